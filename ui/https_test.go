package ui

import (
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
	"polaris/internal/status"
)

func httpsScreenOf(h *harness) *httpsScreen { return h.u.screens[3].s.(*httpsScreen) }

func TestHTTPSSwitches(t *testing.T) {
	for _, tc := range []struct {
		name string
		tog  func(*httpsScreen) *Toggle
		want func(*settings.HTTPS)
	}{
		{"search engines", func(h *httpsScreen) *Toggle { return h.search }, func(s *settings.HTTPS) { s.SearchEngines = false }},
		{"https first", func(h *httpsScreen) *Toggle { return h.first }, func(s *settings.HTTPS) { s.First = true }},
		{"referrer", func(h *httpsScreen) *Toggle { return h.referrer }, func(s *settings.HTTPS) { s.TrimReferrer = false }},
		{"params", func(h *httpsScreen) *Toggle { return h.params }, func(s *settings.HTTPS) { s.StripParams = false }},
		{"default exclusions", func(h *httpsScreen) *Toggle { return h.defaults }, func(s *settings.HTTPS) { s.DefaultExclusions = false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			got := f.recordApply()
			h := newHarness(t, f, "https")
			test.Tap(tc.tog(httpsScreenOf(h)))
			h.settle()
			want := settings.Default().HTTPS
			tc.want(&want)
			if diff := cmp.Diff(want, lastApply(t, got).HTTPS); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func caSnapshot(installed ...string) status.Snapshot {
	s := running()
	s.HTTPS.CA = status.CA{Present: true, Subject: "Polaris local CA", Fingerprint: "ab12cd34",
		NotAfter: time.Date(2036, 11, 21, 0, 0, 0, 0, time.UTC), Installed: installed}
	return s
}

func TestHTTPSCertificateFlow(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	f.installCA = func() (string, error) {
		return "Added to the Firefox profile default-release and to the system store.", nil
	}
	h := newHarness(t, f, "https")
	hs := httpsScreenOf(h)
	h.snapshot(caSnapshot())
	h.see("The certificate is not installed: your browsers do not trust Polaris.")
	h.see("Fingerprint (SHA-256): ab12cd34")
	if !hs.uninstall.Disabled() {
		t.Error("Remove is offered for a certificate that is not installed")
	}

	// Filtering without the certificate asks first; "No" leaves it off.
	test.Tap(hs.filter)
	h.settle()
	h.see("Until your browsers trust Polaris's certificate")
	h.tap("No")
	if len(*got) != 0 || hs.filter.On {
		t.Fatalf("declining applied %d changes, switch on %v", len(*got), hs.filter.On)
	}

	h.tap("Install the certificate")
	h.see("Added to the Firefox profile default-release and to the system store.")
	h.tap("OK")
	h.snapshot(caSnapshot("Firefox default-release", "system"))
	h.see("Installed in: Firefox default-release, system")
	if hs.uninstall.Disabled() {
		t.Error("Remove is not offered for an installed certificate")
	}
	// Installed: the switch applies at once.
	test.Tap(hs.filter)
	h.settle()
	if s := lastApply(t, got); !s.HTTPS.Filter {
		t.Error("filtering was not turned on")
	}
}

func TestHTTPSCertificateErrors(t *testing.T) {
	f := newFake(t)
	f.installCA = func() (string, error) {
		return "", errors.New("certutil: the Firefox profile is locked; close Firefox and try again")
	}
	f.uninstallCA = func() (string, error) { return "", errUnavailable }
	h := newHarness(t, f, "https")
	h.snapshot(caSnapshot("system"))
	h.tap("Install the certificate")
	if got := h.u.banner.Text(); got != "Certutil: the Firefox profile is locked; close Firefox and try again" {
		t.Errorf("banner = %q", got)
	}
	h.tap("Remove it")
	h.tap("Yes")
	if got := h.u.banner.Text(); got != "This is not available in this version of Polaris yet" {
		t.Errorf("banner = %q", got)
	}
	// The buttons come back after the work.
	if h.button("Install the certificate").Disabled() {
		t.Error("Install stays disabled")
	}
}

func TestHTTPSExclusions(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "https")
	hs := httpsScreenOf(h)
	test.Type(hs.excEntry, "bank")
	h.settle()
	test.Type(hs.excEntry, ".example")
	h.tap("Add")
	if s := lastApply(t, got); !cmp.Equal(s.HTTPS.Exclusions, []string{"bank.example"}) {
		t.Errorf("exclusions %v", s.HTTPS.Exclusions)
	}
	snap := running()
	snap.HTTPS.PassThrough = []string{"pinned.example"}
	h.snapshot(snap)
	h.see("pass through untouched: pinned.example")
	h.tap("Remove")
	if s := lastApply(t, got); len(s.HTTPS.Exclusions) != 0 {
		t.Errorf("after Remove: %v", s.HTTPS.Exclusions)
	}
}
