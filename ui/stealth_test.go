// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// Every switch of the tab changes its setting; the lifetime choices and a
// site exception are applied as settings.
func TestStealthTab(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := blockingHarness(t, f, "stealth")
	s := &h.u.blocking.stealth
	h.see("These protections work on plain HTTP sites only")
	for _, tc := range []struct {
		name string
		t    *Toggle
		get  func(settings.Stealth) bool
	}{
		{"tracker cookies", s.trackerCookies, func(x settings.Stealth) bool { return x.TrackerCookies }},
		{"all third-party cookies", s.allCookies, func(x settings.Stealth) bool { return x.ThirdPartyCookies }},
		{"X-Client-Data", s.clientData, func(x settings.Stealth) bool { return x.ClientData }},
		{"cache identifiers", s.cacheID, func(x settings.Stealth) bool { return x.CacheID }},
		{"authorization", s.auth, func(x settings.Stealth) bool { return x.Authorization }},
		{"client hints", s.hints, func(x settings.Stealth) bool { return x.ClientHints }},
	} {
		before := tc.get(h.u.set.Stealth)
		test.Tap(tc.t)
		h.settle()
		if after := tc.get(lastApply(t, got).Stealth); after == before {
			t.Errorf("tapping %s left it %v", tc.name, after)
		}
	}
	s.firstAge.SetSelectedIndex(2)
	h.settle()
	if d := lastApply(t, got).Stealth.FirstPartyCookieMaxAge; d != 24*time.Hour {
		t.Errorf("first-party cookie lifetime applied %v, want 1 day", d)
	}
	test.Type(s.excEntry, "bank.example")
	s.excChecks[settings.FeatureCookies].SetChecked(true)
	s.excChecks[settings.FeatureAuthorization].SetChecked(true)
	test.Tap(s.excAdd)
	h.settle()
	exc := lastApply(t, got).Stealth.Exceptions
	if len(exc) != 1 || exc[0].Site != "bank.example" || exc[0].Off != settings.FeatureCookies|settings.FeatureAuthorization {
		t.Fatalf("exception applied %v, want bank.example=cookies+authorization", exc)
	}
	h.see("bank.example — Cookies, Passwords kept by the browser")
	h.tap("Remove")
	h.settle()
	if exc := lastApply(t, got).Stealth.Exceptions; len(exc) != 0 {
		t.Errorf("after Remove the exceptions are %v", exc)
	}
	test.Type(s.jsEntry, "reader.example")
	test.Tap(s.jsAdd)
	h.settle()
	if js := lastApply(t, got).Stealth.NoScript; len(js) != 1 || js[0] != "reader.example" {
		t.Errorf("sites without JavaScript applied %q, want reader.example", js)
	}
}

// The in-page signals and click-tracker switches change their settings.
func TestPageSignalsAndRedirectorSwitches(t *testing.T) {
	f := newFake(t)
	f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, nil }
	got := f.recordApply()
	h := newHarness(t, f, "signals")
	var sig *signalsScreen
	for _, d := range h.u.screens {
		if s, ok := d.s.(*signalsScreen); ok {
			sig = s
		}
	}
	before := h.u.set.Stealth.PageSignals
	test.Tap(sig.inPage)
	h.settle()
	if lastApply(t, got).Stealth.PageSignals == before {
		t.Error("the in-page signals switch did not change signals.in-page")
	}
	h.u.selectScreen("https")
	h.settle()
	var hs *httpsScreen
	for _, d := range h.u.screens {
		if s, ok := d.s.(*httpsScreen); ok {
			hs = s
		}
	}
	before = h.u.set.HTTPS.SkipRedirectors
	test.Tap(hs.bounce)
	h.settle()
	if lastApply(t, got).HTTPS.SkipRedirectors == before {
		t.Error("the click trackers switch did not change urls.skip-redirectors")
	}
}
