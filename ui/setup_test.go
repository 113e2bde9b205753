// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// The guided set-up from the Overview: nothing is chosen for the user in
// the two questions that have no safe default, the CA goes into the
// browsers' stores before filtering is turned on, and each store is read
// back and shown.
func TestSetupDialog(t *testing.T) {
	f := newFake(t)
	applied := f.recordApply()
	var calls []string
	f.findBrowsers = func() []status.FoundBrowser {
		return []status.FoundBrowser{{Name: "Firefox", Family: status.Firefox, Installed: true, Profiles: []string{"default-esr"}}, {Name: "Chromium", Family: status.Chrome, Installed: true}}
	}
	f.installBrowsers = func() (string, error) {
		calls = append(calls, "install")
		if len(*applied) > 0 && (*applied)[len(*applied)-1].HTTPS.Filter {
			t.Error("filtering was turned on before the CA was in the browsers")
		}
		return "added to Firefox profile 'default-esr'", nil
	}
	f.browserTrust = func() (string, error) {
		calls = append(calls, "check")
		return "installed in Firefox profile 'default-esr' (~/.config/mozilla/firefox/x.default-esr)\nnot in Chromium (~/.pki/nssdb)", nil
	}
	h := newHarness(t, f, "overview")
	h.tap("Set up…")
	h.see("Firefox: default-esr")
	h.see("Chromium: no profile yet")
	s := h.u.setup
	if s.dnt.Selected != "" || s.https.Selected != "" {
		t.Fatalf("answers chosen for the user: DNT %q, HTTPS %q", s.dnt.Selected, s.https.Selected)
	}
	if !s.run.Disabled() {
		t.Fatal("Set up is offered before Do Not Track and HTTPS are answered")
	}
	s.dnt.SetSelected("Ask sites not to track me")
	if !s.run.Disabled() {
		t.Fatal("Set up is offered before HTTPS is answered")
	}
	s.https.SetSelected("Yes, filter secure pages too")
	if s.run.Disabled() {
		t.Fatal("Set up is not offered once both are answered")
	}
	test.Tap(s.run)
	h.settle()
	if strings.Join(calls, ",") != "install,check" {
		t.Errorf("engine calls %v, want install, then check", calls)
	}
	if len(*applied) != 1 {
		t.Fatalf("%d settings applied, want 1", len(*applied))
	}
	got := (*applied)[0]
	if got.Signals.DNT != settings.DNTDoNotTrack || !got.Signals.GPC || !got.System.SystemProxy || !got.HTTPS.Filter {
		t.Errorf("applied DNT %v GPC %v proxy %v filter %v", got.Signals.DNT, got.Signals.GPC, got.System.SystemProxy, got.HTTPS.Filter)
	}
	h.see("Trusts Polaris: Firefox profile 'default-esr'")
	h.see("Does not trust Polaris yet (its secure pages are not filtered): not in Chromium")
}

// The set-up opens by itself at the window's first start on a data
// directory where it was never finished nor closed; closing it records
// that, so the next start of the window (same data directory) does not
// open it, and the Overview's row still does.
func TestSetupOpensAtFirstStartOnly(t *testing.T) {
	seen := false
	newF := func() *fakeController {
		f := newFake(t)
		f.setupSeen = &seen // the data directory, shared by both starts
		f.findBrowsers = func() []status.FoundBrowser { return nil }
		return f
	}
	h := newHarness(t, newF(), "")
	if h.u.setup == nil {
		t.Fatal("the set-up did not open at the window's first start")
	}
	h.see("Set up Polaris")
	h.see("Do Not Track: what should your browsers tell sites?")
	if seen {
		t.Fatal("the set-up was recorded as done before it was closed")
	}
	h.tap("Close")
	if !seen {
		t.Fatal("closing the set-up was not recorded")
	}
	h.dontSee("Do Not Track: what should your browsers tell sites?")
	h.u.cancel()

	h2 := newHarness(t, newF(), "")
	if h2.u.setup != nil {
		t.Fatal("the set-up opened by itself again after it was closed")
	}
	h2.dontSee("Set up Polaris")
	h2.tap("Set up…")
	h2.see("Do Not Track: what should your browsers tell sites?")
}

// Finishing the set-up (then closing it) records it too, and a window
// started in the background opens the set-up when it is first shown.
func TestSetupFirstStartInBackground(t *testing.T) {
	seen := false
	f := newFake(t)
	f.setupSeen = &seen
	f.findBrowsers = func() []status.FoundBrowser { return nil }
	a := newTestApp(t)
	h := &harness{t: t, f: f, queue: make(chan func(), 1024)}
	u := New(Options{Controller: f, App: a, Tray: TrayOff, Version: "test", Background: true,
		do: func(fn func()) { h.queue <- fn }, now: func() time.Time { return testNow }})
	h.u = u
	u.hidden = true
	u.startWorkers()
	t.Cleanup(u.cancel)
	h.settle()
	if u.setup != nil {
		t.Fatal("the set-up opened on a window that is not shown")
	}
	u.Show()
	h.settle()
	if u.setup == nil {
		t.Fatal("the set-up did not open when the window was first shown")
	}
	applied := f.recordApply()
	u.setup.dnt.SetSelected("Send nothing")
	u.setup.https.SetSelected("No, leave secure pages alone")
	test.Tap(u.setup.run)
	h.settle()
	if len(*applied) != 1 {
		t.Fatalf("%d settings applied, want 1", len(*applied))
	}
	h.see("Secure pages pass through Polaris untouched, without your signals.")
	h.tap("Close")
	if !seen {
		t.Fatal("finishing and closing the set-up was not recorded")
	}
}

// A start that chose its first screen (documentation screenshots) does not
// open the set-up by itself; Screen "setup" opens it even once it was done.
func TestSetupScreenOption(t *testing.T) {
	seen := false
	f := newFake(t)
	f.setupSeen = &seen
	h := newHarness(t, f, "tor")
	if h.u.setup != nil {
		t.Fatal("the set-up opened over a chosen first screen")
	}
	seen = true
	f2 := newFake(t)
	f2.setupSeen = &seen
	f2.findBrowsers = func() []status.FoundBrowser { return nil }
	h2 := newHarness(t, f2, "setup")
	if h2.u.setup == nil {
		t.Fatal("Screen setup did not open the set-up")
	}
	h2.see("Overview")
}
