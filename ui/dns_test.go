// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// TestEncryptedDNSSwitch: the switch asks before every name goes to a
// third party, and "No" changes nothing.
func TestEncryptedDNSSwitch(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "https")
	d := &httpsScreenOf(h).dns
	h.see("The names of the sites you visit go to the resolver you pick instead of your network")

	test.Tap(d.on)
	h.settle()
	h.see("Send every site name to Quad9?")
	h.tap("No")
	if len(*got) != 0 || d.on.On {
		t.Fatalf("declining applied %d changes, switch on %v", len(*got), d.on.On)
	}
	test.Tap(d.on)
	h.settle()
	h.tap("Yes")
	h.settle()
	if s := lastApply(t, got); !s.DNS.Encrypted || s.DNS.Resolver != "quad9" {
		t.Errorf("applied DNS = %+v, want encrypted with Quad9", s.DNS)
	}
}

func TestEncryptedDNSResolverPicker(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "https")
	d := &httpsScreenOf(h).dns

	d.resolver.SetSelected(d.choices[1]) // Mullvad
	h.settle()
	if s := lastApply(t, got); s.DNS.Resolver != "mullvad" {
		t.Errorf("picked Mullvad, applied %q", s.DNS.Resolver)
	}
	d.protocol.SetSelected(d.protos[1])
	h.settle()
	if s := lastApply(t, got); s.DNS.Protocol != settings.DNSOverTLS {
		t.Errorf("picked DNS over TLS, applied %q", s.DNS.Protocol)
	}

	// My own resolver waits for a valid address.
	n := len(*got)
	d.resolver.SetSelected(d.choices[len(d.choices)-1])
	h.settle()
	if len(*got) != n || !d.customBox.Visible() {
		t.Fatalf("picking my own resolver applied %d changes (want none yet), address box shown %v", len(*got)-n, d.customBox.Visible())
	}
	h.snapshot(running()) // a refresh meanwhile keeps the choice
	if d.resolver.Selected != d.choices[len(d.choices)-1] {
		t.Fatalf("a refresh put back %q while the address is being typed", d.resolver.Selected)
	}
	d.custom.SetText("http://dns.example/dns-query")
	test.Tap(d.customSave)
	h.settle()
	h.see("Want https://host/dns-query (DNS over HTTPS) or tls://host (DNS over TLS)")
	d.custom.SetText("tls://dns.example")
	d.bootstrap.SetText("192.0.2.53")
	test.Tap(d.customSave)
	h.settle()
	s := lastApply(t, got)
	if s.DNS.Resolver != settings.DNSCustom || s.DNS.Custom != "tls://dns.example" || len(s.DNS.Bootstrap) != 1 {
		t.Errorf("applied DNS = %+v, want my own resolver tls://dns.example at 192.0.2.53", s.DNS)
	}
}

func TestEncryptedDNSState(t *testing.T) {
	f := newFake(t)
	s := settings.Default()
	s.DNS.Encrypted = true
	f.set = s
	h := newHarness(t, f, "https")
	snap := running()
	snap.DNS = status.DNS{Encrypted: true, Resolver: "Quad9"}
	h.snapshot(snap)
	h.see("Names are looked up by Quad9, encrypted.")
	snap.DNS.Err = "the encrypted DNS server https://dns.quad9.net/dns-query cannot be reached: timeout"
	h.snapshot(snap)
	h.see("Quad9 cannot be reached: sites do not open until it answers. Nothing is looked up in the clear.")
	snap.Tor.Enabled = true
	h.snapshot(snap)
	h.see("Tor is on: Tor looks names up")
}

// TestActivityShowsTheChain: a tracker blocked behind a site's own name
// shows the chain of names in the activity log.
func TestActivityShowsTheChain(t *testing.T) {
	d := status.Decision{Host: "metrics.news.example", Site: "news.example", Verdict: status.Blocked,
		Rule: "||tracker.example^$third-party", List: "EasyPrivacy",
		CNAMEs: []string{"edge.news.example", "news.example.tracker.example"}, CNAME: "news.example.tracker.example"}
	want := "On news.example · rule ||tracker.example^$third-party from EasyPrivacy\nA tracker hidden behind the site's name: metrics.news.example → edge.news.example → news.example.tracker.example"
	newTestApp(t)
	if got := decisionWhy(d); got != want {
		t.Errorf("decisionWhy = %q, want %q", got, want)
	}
	d.CNAME, d.Verdict, d.Rule, d.List = "", status.Allowed, "", ""
	if got := decisionWhy(d); got != "On news.example\nAlias of: metrics.news.example → edge.news.example → news.example.tracker.example" {
		t.Errorf("decisionWhy (allowed) = %q", got)
	}
}
