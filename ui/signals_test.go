// SPDX-License-Identifier: GPL-3.0-or-later

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

func signalsHarness(t *testing.T, f *fakeController) (*harness, *signalsScreen) {
	t.Helper()
	if f.siteAnswers == nil {
		f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, nil }
	}
	h := newHarness(t, f, "signals")
	return h, h.u.screens[1].s.(*signalsScreen)
}

func TestSignalsDNTChoices(t *testing.T) {
	for _, tc := range []struct {
		option int
		from   settings.DNT
		want   settings.DNT
	}{
		{1, settings.DNTUnset, settings.DNTDoNotTrack},
		{2, settings.DNTUnset, settings.DNTAllowTracking},
		{0, settings.DNTDoNotTrack, settings.DNTUnset},
		{2, settings.DNTDoNotTrack, settings.DNTAllowTracking},
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			f := newFake(t)
			f.set.Signals.DNT = tc.from
			got := f.recordApply()
			h, s := signalsHarness(t, f)
			before := f.Settings()
			tapRadio(t, s.dnt, tc.option)
			h.settle()
			want := before.Clone()
			want.Signals.DNT = tc.want
			if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
				t.Errorf("choosing option %d applied (-want +got):\n%s", tc.option, diff)
			}
			if len(*got) != 1 {
				t.Errorf("Apply called %d times, want 1", len(*got))
			}
			if s.dnt.Selected != s.dntOptions[tc.option] {
				t.Errorf("selected %q, want %q", s.dnt.Selected, s.dntOptions[tc.option])
			}
		})
	}
}

func TestSignalsToggles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tog   func(*signalsScreen) *Toggle
		check func(settings.Settings) bool
	}{
		{"gpc", func(s *signalsScreen) *Toggle { return s.gpc }, func(s settings.Settings) bool { return !s.Signals.GPC }},
		{"check sites", func(s *signalsScreen) *Toggle { return s.check }, func(s settings.Settings) bool { return !s.Signals.CheckSites }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			got := f.recordApply()
			h, s := signalsHarness(t, f)
			before := f.Settings()
			test.Tap(tc.tog(s))
			h.settle()
			after := lastApply(t, got)
			if !tc.check(after) {
				t.Errorf("the switch did not change its setting")
			}
			// Nothing else changed.
			var changed []string
			for k, v := range before.Map() {
				if after.Map()[k] != v {
					changed = append(changed, k)
				}
			}
			if len(changed) != 1 {
				t.Errorf("changed %v, want exactly one setting", changed)
			}
		})
	}
}

func TestSignalsExceptions(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h, s := signalsHarness(t, f)
	h.see("No exceptions: every site gets the same signals.")

	// Add: the site is normalised to its registrable domain.
	h.tap("Add an exception…")
	test.Type(s.dlgSite, "WWW.MyBank.co.uk")
	s.dlgMode.SetSelectedIndex(0)
	h.tap("Save")
	want := []settings.SiteException{{Site: "mybank.co.uk", NoSignals: true}}
	if diff := cmp.Diff(want, lastApply(t, got).Signals.Exceptions); diff != "" {
		t.Errorf("after adding (-want +got):\n%s", diff)
	}
	h.see("mybank.co.uk")
	h.see("Send no privacy signals")

	// A bad site is refused in the dialog and nothing is applied.
	n := len(*got)
	h.tap("Add an exception…")
	test.Type(s.dlgSite, "not a site")
	h.tap("Save")
	h.see("Enter a site such as example.com.")
	if len(*got) != n {
		t.Error("a bad site was applied")
	}
	// A second exception for the same site is refused too.
	s.dlgSite.SetText("mybank.co.uk")
	h.tap("Save")
	h.see("mybank.co.uk already has an exception; edit that one.")
	h.tap("Cancel")

	// Edit: allow tracking on that site.
	h.tap("Edit")
	s.dlgMode.SetSelectedIndex(3)
	h.tap("Save")
	want = []settings.SiteException{{Site: "mybank.co.uk", DNT: settings.DNTAllowTracking}}
	if diff := cmp.Diff(want, lastApply(t, got).Signals.Exceptions); diff != "" {
		t.Errorf("after editing (-want +got):\n%s", diff)
	}

	// Remove.
	h.tap("Remove")
	if e := lastApply(t, got).Signals.Exceptions; len(e) != 0 {
		t.Errorf("after removing: %v, want none", e)
	}
	h.see("No exceptions")
}

func TestSignalsSiteAnswers(t *testing.T) {
	f := newFake(t)
	f.siteAnswers = func() ([]status.SiteAnswer, error) {
		return []status.SiteAnswer{
			{Site: "news.example", EFFPolicy: true, HonorsDNT: true, HonorsGPC: true, Checked: testNow.Add(-3 * time.Hour)},
			{Site: "shop.example", TrackingStatus: "T", Checked: testNow.Add(-time.Minute)},
		}, nil
	}
	h, _ := signalsHarness(t, f)
	for _, want := range []string{"news.example", "Honours it (EFF policy)", "Says it honours it", "3 hours ago",
		"shop.example", "Tracks (status T)", "1 minute ago"} {
		h.see(want)
	}
}

func TestSignalsSiteAnswersUnavailable(t *testing.T) {
	f := newFake(t)
	f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, errUnavailable }
	h, _ := signalsHarness(t, f)
	h.see("This is not available in this version of Polaris yet")
}

func TestSignalsApplyErrorRevertsAndShows(t *testing.T) {
	f := newFake(t)
	f.apply = func(settings.Settings) error { return errors.New("saving settings: disk full") }
	h, s := signalsHarness(t, f)
	tapRadio(t, s.dnt, 1)
	h.settle()
	if got, want := h.u.banner.Text(), "Saving settings: disk full"; got != want {
		t.Errorf("banner = %q, want %q", got, want)
	}
	if s.dnt.Selected != s.dntOptions[0] {
		t.Errorf("after a refused change the choice shows %q, want it back at %q", s.dnt.Selected, s.dntOptions[0])
	}
}

// A change made elsewhere (polaris config set) reaches the widgets with
// the next snapshot.
func TestSignalsFollowOutsideChanges(t *testing.T) {
	f := newFake(t)
	h, s := signalsHarness(t, f)
	f.mu.Lock()
	f.set.Signals.DNT = settings.DNTAllowTracking
	f.set.Signals.GPC = false
	f.set.Signals.Exceptions = []settings.SiteException{{Site: "news.example", DNT: settings.DNTDoNotTrack}}
	f.mu.Unlock()
	h.snapshot(running())
	if s.dnt.Selected != s.dntOptions[2] || s.gpc.On {
		t.Errorf("after an outside change: DNT shows %q, GPC %v; want allow tracking, off", s.dnt.Selected, s.gpc.On)
	}
	h.see("news.example")
	h.see("Ask not to be tracked")
}

// TestSignalsSayWhatTheyReach: the screen promises nothing for requests it
// cannot see; the reach figure is the share of the last day's requests
// that carried the signals, and each switch says it reaches plain-HTTP
// sites only while HTTPS filtering is off.
func TestSignalsSayWhatTheyReach(t *testing.T) {
	f := newFake(t)
	f.set.Signals.DNT = settings.DNTDoNotTrack
	f.set.Signals.GPC = true
	h, s := signalsHarness(t, f)
	snap := running()
	snap.Proxy.Reach = status.Reach{Requests: 2000, Signalled: 500}
	h.snapshot(snap)
	h.dontSee("every request")
	h.see("Reach: 25% of the last day's requests through Polaris carried your signals (500 of 2,000).")
	h.see("which Polaris does not look inside")
	if s.reach.bg.color != colorWarningBG {
		t.Errorf("a reach of 25%% with filtering off is shown on %s, want the warning colour", s.reach.bg.color)
	}
	if !s.gpcReach.Visible() || !s.dntReach.Visible() || !s.toHTTPS.Visible() {
		t.Error("with filtering off, the switches do not say they reach plain-HTTP sites only, or there is no way to the HTTPS screen")
	}
	h.see("HTTPS filtering is off: this reaches plain-HTTP sites only.")
	h.tap("Look inside secure connections…")
	if h.u.screens[h.u.current].id != "https" {
		t.Errorf("the button opened %s, want the HTTPS screen", h.u.screens[h.u.current].id)
	}
	hs := h.u.screens[3].s.(*httpsScreen)
	if !hs.referrerReach.Visible() || !hs.paramsReach.Visible() {
		t.Error("the link-cleaning switches do not say what they reach with filtering off")
	}

	// With filtering on: no limit to tell.
	f.mu.Lock()
	f.set.HTTPS.Filter = true
	f.mu.Unlock()
	snap.Proxy.Reach = status.Reach{Requests: 2000, Signalled: 1990}
	h.snapshot(snap)
	if s.gpcReach.Visible() || s.dntReach.Visible() || s.toHTTPS.Visible() || hs.referrerReach.Visible() {
		t.Error("with filtering on, a switch still says it reaches plain-HTTP sites only")
	}
	h.u.selectScreen("signals")
	h.see("Reach: 99% of the last day's requests")
	h.dontSee("which Polaris does not look inside")

	// No signal chosen, no traffic, protection off: said as such.
	f.mu.Lock()
	f.set.Signals.DNT, f.set.Signals.GPC = settings.DNTUnset, false
	f.mu.Unlock()
	h.snapshot(snap)
	h.see("You chose no signal to send.")
	f.mu.Lock()
	f.set.Signals.GPC = true
	f.mu.Unlock()
	snap.Proxy.Reach = status.Reach{}
	h.snapshot(snap)
	h.see("No requests went through Polaris in the last day")
	f.mu.Lock()
	f.set.Protection = false
	f.mu.Unlock()
	h.snapshot(snap)
	h.see("Protection is off: no signals are sent.")
}
