// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"fyne.io/fyne/v2"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
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

	// Filtering without the certificate asks first; the safe answer is
	// the default (highlighted and focused: Enter or Space chooses it)
	// and leaves it off.
	test.Tap(hs.filter)
	h.settle()
	h.see("Until your browsers trust Polaris's certificate")
	r := h.u.risky
	if r == nil || h.u.win.Canvas().Focused() != r.safe || r.safe.Importance != widget.HighImportance ||
		r.risky.Importance == widget.HighImportance || r.safe.Text != "Keep it off" {
		t.Fatalf("the risky question's default is not the safe answer: %+v", r)
	}
	r.safe.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // Space on the focused button
	h.settle()
	if len(*got) != 0 || hs.filter.On {
		t.Fatalf("declining applied %d changes, switch on %v", len(*got), hs.filter.On)
	}
	h.dontSee("Until your browsers trust Polaris's certificate")
	// Closing the question any other way is the safe answer too.
	test.Tap(hs.filter)
	h.settle()
	h.u.risky.d.Hide()
	h.settle()
	if len(*got) != 0 || hs.filter.On {
		t.Fatalf("closing applied %d changes, switch on %v", len(*got), hs.filter.On)
	}
	// The risky answer names what it does.
	test.Tap(hs.filter)
	h.settle()
	h.tap("Turn it on anyway")
	if s := lastApply(t, got); !s.HTTPS.Filter {
		t.Fatal("turning it on anyway did not apply")
	}
	f.set.HTTPS.Filter = false
	*got = nil
	h.u.reloadSettings()

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

func TestHTTPSExportCA(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "https")
	hs := httpsScreenOf(h)
	if !hs.export.Disabled() {
		t.Error("Save a copy is offered before there is a certificate")
	}
	h.snapshot(caSnapshot())

	h.files = func(filePick) (string, error) { return "", nil }
	h.tap("Save a copy…") // cancelled: a nil exportCA fails on a call
	want := filePick{save: true, name: "polaris-ca.pem", exts: []string{".pem", ".crt", ".der", ".cer"}}
	if diff := cmp.Diff([]filePick{want}, h.picks, cmp.AllowUnexported(filePick{})); diff != "" {
		t.Errorf("the dialog asked for (-want +got):\n%s", diff)
	}
	if got := h.u.banner.Text(); got != "" {
		t.Errorf("cancelling shows %q", got)
	}

	type exported struct {
		Path string
		DER  bool
	}
	var got []exported
	f.exportCA = func(path string, der bool) error {
		got = append(got, exported{path, der})
		if strings.Contains(path, "readonly") {
			return errors.New("open " + path + ": permission denied")
		}
		return nil
	}
	for _, tc := range []struct {
		path   string
		der    bool
		banner string
	}{
		{"/home/u/polaris-ca.pem", false, "The certificate was saved to /home/u/polaris-ca.pem."},
		{"/home/u/ca.crt", false, "The certificate was saved to /home/u/ca.crt."},
		{"/home/u/For Windows/ca.DER", true, "The certificate was saved to /home/u/For Windows/ca.DER."},
		{"/home/u/ca.cer", true, "The certificate was saved to /home/u/ca.cer."},
		{"/home/u/der.pem", false, "The certificate was saved to /home/u/der.pem."},
		{"/readonly/ca.pem", false, "Open /readonly/ca.pem: permission denied"},
	} {
		got = nil
		h.files = func(filePick) (string, error) { return tc.path, nil }
		h.tap("Save a copy…")
		if diff := cmp.Diff([]exported{{tc.path, tc.der}}, got); diff != "" {
			t.Errorf("saving to %s: ExportCA (-want +got):\n%s", tc.path, diff)
		}
		if b := h.u.banner.Text(); b != tc.banner {
			t.Errorf("saving to %s: banner = %q, want %q", tc.path, b, tc.banner)
		}
		if hs.export.Disabled() || hs.caBusy.Visible() {
			t.Errorf("saving to %s: the buttons did not come back", tc.path)
		}
	}
}

func TestHTTPSRegenerateCA(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "https")
	hs := httpsScreenOf(h)
	if !hs.regenerate.Disabled() {
		t.Error("Make a new one is offered before there is a certificate")
	}
	h.snapshot(caSnapshot("system"))

	h.tap("Make a new one…")
	h.see("Make a new certificate?")
	h.see("If it was installed, Polaris installs the new one in its place.")
	h.tap("No") // a nil regenerateCA fails on a call
	h.dontSee("Make a new certificate?")

	calls := 0
	f.regenerateCA = func() error {
		calls++
		if calls == 2 {
			return errors.New("installing the new certificate: certutil: the Firefox profile is locked")
		}
		return nil
	}
	h.tap("Make a new one…")
	h.tap("Yes")
	if calls != 1 {
		t.Fatalf("RegenerateCA called %d times, want 1", calls)
	}
	if got := h.u.banner.Text(); got != "Polaris now uses a new certificate." {
		t.Errorf("banner = %q", got)
	}
	h.tap("Make a new one…")
	h.tap("Yes")
	if got := h.u.banner.Text(); got != "Installing the new certificate: certutil: the Firefox profile is locked" {
		t.Errorf("banner = %q", got)
	}
	if hs.regenerate.Disabled() || hs.caBusy.Visible() {
		t.Error("the buttons did not come back after a failure")
	}
}

func TestHTTPSUpstreamCA(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "https")
	hs := httpsScreenOf(h)
	if hs.upstream.Text != "None" {
		t.Errorf("upstream CA shows %q, want None", hs.upstream.Text)
	}

	h.files = func(filePick) (string, error) { return "", nil }
	h.tap("Choose a file…") // cancelled: a nil apply fails on a call
	if diff := cmp.Diff([]filePick{{exts: []string{".pem", ".crt", ".cer"}}}, h.picks, cmp.AllowUnexported(filePick{})); diff != "" {
		t.Errorf("the dialog asked for (-want +got):\n%s", diff)
	}
	h.files = func(filePick) (string, error) { return "", errors.New("the portal refused to open a file") }
	h.tap("Choose a file…")
	if got := h.u.banner.Text(); got != "The portal refused to open a file" {
		t.Errorf("banner = %q", got)
	}

	got := f.recordApply()
	h.files = func(filePick) (string, error) { return "/etc/ssl/company root.pem", nil }
	h.tap("Choose a file…")
	want := settings.Default()
	want.HTTPS.UpstreamCA = "/etc/ssl/company root.pem"
	if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
		t.Errorf("choosing a file applied (-want +got):\n%s", diff)
	}
	h.see("/etc/ssl/company root.pem")

	h.tap("Clear")
	if diff := cmp.Diff(settings.Default(), lastApply(t, got)); diff != "" {
		t.Errorf("Clear applied (-want +got):\n%s", diff)
	}
	if hs.upstream.Text != "None" {
		t.Errorf("after Clear the upstream CA shows %q, want None", hs.upstream.Text)
	}
	h.dontSee("/etc/ssl/company root.pem")
	if len(*got) != 2 {
		t.Errorf("%d changes applied, want 2", len(*got))
	}
}
