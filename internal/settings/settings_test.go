// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	d := Default()
	if d.Signals.DNT != DNTUnset {
		t.Errorf("default DNT = %v, want unset (the user has not chosen)", d.Signals.DNT)
	}
	if !IsLoopback(d.Listen) {
		t.Errorf("default listen %q is not loopback", d.Listen)
	}
}

func TestSetGet(t *testing.T) {
	for _, tc := range []struct {
		key, value, want string
	}{
		{"dnt", "1", "1"},
		{"dnt", "0", "0"},
		{"dnt", "unset", "unset"},
		{"dnt", "do-not-track", "1"},
		{"gpc", "off", "off"},
		{"gpc", "TRUE", "on"},
		{"listen", "127.0.0.1:9999", "127.0.0.1:9999"},
		{"listen", "[::1]:8228", "[::1]:8228"},
		{"signals.exceptions", "WWW.Example.co.uk=off, news.example.com=0", "example.co.uk=off,example.com=0"},
		{"signals.exceptions", "", ""},
		{"blocking.allowlist", "*.Example.com,example.org,example.org", "*.example.com,example.org"},
		{"blocking.categories", "social,advertising", "advertising,social"},
		{"log.retention", "7d", "7d"},
		{"log.retention", "1h", "1h"},
		{"log.retention", "24h", "1d"},
		{"stats.retention-days", "30", "30"},
		{"tor.exit-countries", "DE,{nl}", "de,nl"},
		{"tor.bridge-lines", "Bridge obfs4 192.0.2.1:443 ABCD cert=x iat-mode=0", "obfs4 192.0.2.1:443 ABCD cert=x iat-mode=0"},
		{"proxy.auth", "me:correct horse battery", "me:correct horse battery"},
		{"proxy.auth", "me:pässwörtchen", "me:pässwörtchen"},
		{"dns.encrypted", "on", "on"},
		{"dns.resolver", "Mullvad", "mullvad"},
		{"dns.protocol", "TLS", "tls"},
		{"dns.custom", "https://doh.example/dns-query", "https://doh.example/dns-query"},
		{"dns.custom", "tls://dot.example:853", "tls://dot.example:853"},
		{"dns.custom", "", ""},
		{"dns.bootstrap", "192.0.2.1, [2001:DB8::1],192.0.2.1", "192.0.2.1,2001:db8::1"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			s := Default()
			if err := s.Set(tc.key, tc.value); err != nil {
				t.Fatalf("Set(%q, %q) = %v", tc.key, tc.value, err)
			}
			got, err := s.Get(tc.key)
			if err != nil || got != tc.want {
				t.Errorf("Get(%q) = %q, %v; want %q", tc.key, got, err, tc.want)
			}
		})
	}
}

func TestSetRejects(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"dnt", "2"},
		{"dnt", "yes"},
		{"gpc", "maybe"},
		{"listen", "8228"},
		{"listen", ":8228"},
		{"listen", "127.0.0.1:99999"},
		{"signals.exceptions", "example.com"},
		{"signals.exceptions", "com=off"},
		{"signals.exceptions", "example.com=2"},
		{"signals.exceptions", "example.com=off,www.example.com=1"},
		{"blocking.allowlist", "exa mple.com"},
		{"blocking.categories", "ads"},
		{"blocking.preset", "paranoid"},
		{"log.retention", "2d"},
		{"log.max-rows", "10"},
		{"stats.retention-days", "-1"},
		{"tor.bridges", "meek"},
		{"dns.resolver", "opendns"},
		{"dns.protocol", "quic"},
		{"dns.custom", "http://doh.example/dns-query"},
		{"dns.custom", "udp://192.0.2.1"},
		{"dns.custom", "doh.example"},
		{"dns.custom", "tls://dot.example/path"},
		{"dns.custom", "https://user:pw@doh.example/"},
		{"dns.bootstrap", "doh.example"},
		{"tor.exit-countries", "germany"},
		{"tor.torrc", "relative/path"},
		{"https.upstream-ca", "ca.pem"},
		{"proxy.auth", "nopassword"},
		{"proxy.auth", "a:b"},
		{"proxy.auth", "me:elevenchars"[:14]},
		{"proxy.auth", "me:aaaaaaaaaaaaaaaa"},
		{"proxy.auth", "longusername:LongUserName"},
		{"proxy.auth", "me:tab\there-and-more"},
		{"proxy.auth", ":no user name here"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			s := Default()
			before := s.Map()
			err := s.Set(tc.key, tc.value)
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("Set(%q, %q) = %v, want a KeyError", tc.key, tc.value, err)
			}
			if diff := cmp.Diff(before, s.Map()); diff != "" {
				t.Errorf("a refused Set changed the settings (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUnknownKey(t *testing.T) {
	s := Default()
	if err := s.Set("dnt.value", "1"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Set(unknown) = %v, want ErrUnknownKey", err)
	}
	if _, err := s.Get("nope"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Get(unknown) = %v, want ErrUnknownKey", err)
	}
}

func TestOpenProxyRefused(t *testing.T) {
	s := Default()
	if err := s.Set("listen", "0.0.0.0:8228"); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); !errors.Is(err, ErrOpenProxy) {
		t.Errorf("Validate() with a LAN address and no auth = %v, want ErrOpenProxy", err)
	}
	if err := s.Set("proxy.auth", "u:twelve chars!"); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate() with a LAN address and auth = %v, want nil", err)
	}
}

func TestPresetAndCategories(t *testing.T) {
	s := Default()
	if err := s.Set("blocking.preset", "strict"); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(s.Blocking.Categories, Categories) {
		t.Errorf("strict categories = %v, want all", s.Blocking.Categories)
	}
	if err := s.Set("blocking.categories", "advertising"); err != nil {
		t.Fatal(err)
	}
	if s.Blocking.Preset != PresetCustom {
		t.Errorf("changing categories left preset %q, want custom", s.Blocking.Preset)
	}
	// The map form round-trips whatever the key order.
	got, unknown, errs := FromMap(s.Map())
	if len(unknown) != 0 || len(errs) != 0 {
		t.Fatalf("FromMap: unknown %v errs %v", unknown, errs)
	}
	if !Equal(got, s) {
		t.Errorf("FromMap(Map()) differs: %v", cmp.Diff(s.Map(), got.Map()))
	}
}

func TestFromMapKeepsGoodValues(t *testing.T) {
	s, unknown, errs := FromMap(map[string]string{"dnt": "1", "gpc": "bogus", "from.the.future": "x"})
	if s.Signals.DNT != DNTDoNotTrack {
		t.Errorf("dnt = %v, want 1", s.Signals.DNT)
	}
	if !s.Signals.GPC {
		t.Error("a bad gpc value did not fall back to the default")
	}
	if len(errs) != 1 || !cmp.Equal(unknown, []string{"from.the.future"}) {
		t.Errorf("errs %v unknown %v", errs, unknown)
	}
}

func TestCloneIsDeep(t *testing.T) {
	a := Default()
	a.Blocking.Allowlist = []string{"example.com"}
	b := a.Clone()
	b.Blocking.Allowlist[0] = "changed.com"
	if a.Blocking.Allowlist[0] != "example.com" {
		t.Error("Clone shares slices")
	}
}

func FuzzSet(f *testing.F) {
	for _, k := range Keys() {
		f.Add(k.Name, k.get(ptr(Default())))
	}
	f.Add("signals.exceptions", "a.b.c=off,,;x=1")
	f.Add("listen", "[::]:0")
	f.Fuzz(func(t *testing.T, key, value string) {
		s := Default()
		if err := s.Set(key, value); err != nil {
			return
		}
		// A value that was accepted must survive its own textual form.
		got, _ := s.Get(key)
		c := Default()
		if err := c.Set(key, got); err != nil {
			t.Fatalf("Set(%q, %q) ok, but its form %q is refused: %v", key, value, got, err)
		}
		if again, _ := c.Get(key); again != got {
			t.Fatalf("%s: %q -> %q -> %q is not stable", key, value, got, again)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestStealthKeys(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"cookies.trackers", "off", "off"},
		{"cookies.third-party", "on", "on"},
		{"cookies.third-party-max-age", "1d", "1d"},
		{"cookies.third-party-max-age", "off", "0"},
		{"cookies.first-party-max-age", "168h", "7d"},
		{"cookies.first-party-max-age", "90m", "1h30m0s"},
		{"headers.authorization-allow", "Portal.Example > intranet.example, *.a.example>b.example", "portal.example>intranet.example,*.a.example>b.example"},
		{"stealth.exceptions", "Bank.example=cookies+cache-id, bank.example=authorization, news.example=all", "bank.example=cookies+cache-id+authorization,news.example=all"},
		{"stealth.exceptions", "x.example=page-signals|client-hints", "x.example=client-hints+page-signals"},
		{"signals.in-page", "off", "off"},
	} {
		s := Default()
		if err := s.Set(tc.key, tc.value); err != nil {
			t.Errorf("Set(%q, %q) = %v", tc.key, tc.value, err)
			continue
		}
		if got, _ := s.Get(tc.key); got != tc.want {
			t.Errorf("Get(%q) after Set(%q) = %q, want %q", tc.key, tc.value, got, tc.want)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("Validate after Set(%q, %q) = %v", tc.key, tc.value, err)
		}
	}
	for _, tc := range []struct{ key, value string }{
		{"cookies.third-party-max-age", "30s"},
		{"cookies.third-party-max-age", "500d"},
		{"cookies.first-party-max-age", "soon"},
		{"headers.authorization-allow", "portal.example"},
		{"headers.authorization-allow", "portal.example>bad host"},
		{"stealth.exceptions", "example.com"},
		{"stealth.exceptions", "example.com=cookies+nothing"},
		{"stealth.exceptions", "example.com="},
		{"stealth.exceptions", "exa mple.com=all"},
	} {
		s := Default()
		if err := s.Set(tc.key, tc.value); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("Set(%q, %q) = %v, want an invalid-setting error", tc.key, tc.value, err)
		}
	}
	d := Default().Stealth
	if !d.TrackerCookies || d.ThirdPartyCookies || !d.ClientData || !d.CacheID || !d.Authorization || !d.ClientHints || !d.PageSignals {
		t.Errorf("default stealth = %+v", d)
	}
}

// Every interval reads back as itself, in days or in hours, and nothing
// else is one.
func TestListIntervals(t *testing.T) {
	for _, d := range ListIntervals {
		for _, s := range []string{FormatListInterval(d), fmt.Sprintf("%dh", int(d/time.Hour))} {
			if got, err := ParseListInterval(s); err != nil || got != d {
				t.Errorf("ParseListInterval(%q) = %v, %v; want %v", s, got, err, d)
			}
		}
		if err := CheckListInterval(d); err != nil {
			t.Errorf("CheckListInterval(%v) = %v", d, err)
		}
	}
	for _, s := range []string{"2d", "3d", "1h", "-12h", "-1d", "", "7", "weekly", "12hours", "99999999999d"} {
		if d, err := ParseListInterval(s); err == nil {
			t.Errorf("ParseListInterval(%q) = %v, want an error", s, d)
		}
	}
	if err := CheckListInterval(48 * time.Hour); err == nil {
		t.Error("CheckListInterval(48h) = nil")
	}
}

func TestDNSServer(t *testing.T) {
	d := Default().DNS
	if d.Encrypted {
		t.Error("encrypted DNS is on by default: sending every name to a third party is the user's decision")
	}
	if u, addrs := d.Server(); u != "https://dns.quad9.net/dns-query" || len(addrs) == 0 {
		t.Errorf("default Server() = %q, %v", u, addrs)
	}
	d.Protocol = DNSOverTLS
	if u, _ := d.Server(); u != "tls://dns.quad9.net" {
		t.Errorf("Server() over TLS = %q", u)
	}
	for _, r := range WellKnownResolvers() {
		if CheckDNSAddress(r.HTTPS) != nil || CheckDNSAddress(r.TLS) != nil || len(r.Addrs) == 0 {
			t.Errorf("well-known resolver %s is not usable: %+v", r.ID, r)
		}
		for _, a := range r.Addrs {
			if _, err := checkIP(a); err != nil {
				t.Errorf("%s: address %q: %v", r.ID, a, err)
			}
		}
	}
	s := Default()
	s.DNS.Resolver = DNSCustom
	if err := s.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("custom resolver without an address: Validate() = %v, want ErrInvalid", err)
	}
	s.DNS.Custom, s.DNS.Bootstrap = "https://doh.example:8443/q", []string{"192.0.2.7"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if u, addrs := s.DNS.Server(); u != s.DNS.Custom || !cmp.Equal(addrs, []string{"192.0.2.7"}) || s.DNS.ResolverName() != "doh.example" {
		t.Errorf("custom Server() = %q, %v, name %q", u, addrs, s.DNS.ResolverName())
	}
}
