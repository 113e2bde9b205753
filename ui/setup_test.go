// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"
	"testing"

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
