// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// running is a snapshot of a proxy that runs.
func running() status.Snapshot {
	return status.Snapshot{Proxy: status.Proxy{Running: true, Listen: "127.0.0.1:8228"}}
}

func TestOverviewProtectionSwitch(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "overview")
	h.snapshot(running())
	before := f.Settings()
	test.Tap(h.u.overview.toggle)
	h.settle()
	want := before.Clone()
	want.Protection = false
	if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
		t.Errorf("switching protection off applied (-want +got):\n%s", diff)
	}
	h.see("Protection is off")
	if h.u.overview.toggle.On {
		t.Error("the switch is still on")
	}
	// Space on the focused switch turns it back on.
	h.u.win.Canvas().Focus(h.u.overview.toggle)
	test.Type(h.u.overview.toggle, " ")
	h.settle()
	if s := lastApply(t, got); !s.Protection || len(*got) != 2 {
		t.Errorf("after Space: %d applies, protection %v; want 2 and on", len(*got), s.Protection)
	}
}

// seenBrowsers is a snapshot in which Firefox and Chromium used Polaris.
func seenBrowsers(s *status.Snapshot) {
	s.Proxy.Clients = []status.Client{
		{Family: status.Firefox, Version: "153", LastSeen: testNow.Add(-time.Minute)},
		{Family: status.Chrome, Version: "156", LastSeen: testNow.Add(-time.Hour)},
		{Family: status.OtherClient, LastSeen: testNow},
	}
}

// TestOverviewHeadlineStates: every state of the headline, in words and in
// colour; "protecting" and "off" never look alike.
func TestOverviewHeadlineStates(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "overview")
	failed := []status.List{
		{ID: 1, Name: "Polaris tracker list", Enabled: true, Rules: 98, Builtin: true},
		{ID: 2, Name: "EasyPrivacy", Enabled: true, LastError: "no network"},
		{ID: 3, Name: "EasyList", Enabled: true, LastError: "no network"},
		{ID: 4, Name: "AdGuard", Enabled: true, LastError: "no network"},
		{ID: 5, Name: "Old list", Enabled: false, LastError: "gone"},
	}
	for _, tc := range []struct {
		name         string
		snap         func(*status.Snapshot)
		set          func(*settings.Settings)
		level        headLevel
		bg           fyne.ThemeColorName
		head, detail string
	}{
		{"protecting two browsers", func(s *status.Snapshot) { seenBrowsers(s); s.Blocking.BlockedToday = 3210 }, nil,
			levelGood, colorGoodBG, "Protecting 2 browsers", "Firefox 153, Chromium / Chrome 156 used Polaris in the last day. 3,210 trackers blocked today."},
		{"protecting one browser", func(s *status.Snapshot) {
			s.Proxy.Clients = []status.Client{{Family: status.Firefox, Version: "153", LastSeen: testNow}}
		}, nil,
			levelGood, colorGoodBG, "Protecting 1 browser", "No trackers blocked yet today."},
		{"no browser", nil, nil, levelWarn, colorWarningBG, "No browser uses Polaris yet", "nothing is protected"},
		{"only a script", func(s *status.Snapshot) {
			s.Proxy.Clients = []status.Client{{Family: status.OtherClient, LastSeen: testNow}}
		}, nil,
			levelWarn, colorWarningBG, "No browser uses Polaris yet", ""},
		{"browser seen two days ago", func(s *status.Snapshot) {
			s.Proxy.Clients = []status.Client{{Family: status.Firefox, Version: "153", LastSeen: testNow.Add(-48 * time.Hour)}}
		}, nil, levelWarn, colorWarningBG, "No browser uses Polaris yet", ""},
		{"lists missing", func(s *status.Snapshot) { seenBrowsers(s); s.Blocking.Lists = failed }, nil,
			levelWarn, colorWarningBG, "Block lists missing — protection is reduced", "3 of 4 lists could not be downloaded: EasyPrivacy, EasyList, AdGuard."},
		{"paused", func(s *status.Snapshot) { seenBrowsers(s); s.Blocking.PausedUntil = testNow.Add(30 * time.Minute) }, nil,
			levelWarn, colorWarningBG, "Paused until " + testNow.Add(30*time.Minute).Format("15:04"), "Trackers are not blocked until then"},
		{"paused until restart", func(s *status.Snapshot) { seenBrowsers(s); s.Blocking.PausedUntilRestart = true }, nil,
			levelWarn, colorWarningBG, "Paused until Polaris restarts", "Trackers are not blocked."},
		{"tor connecting", func(s *status.Snapshot) {
			seenBrowsers(s)
			s.Tor = status.Tor{Enabled: true, State: status.TorBootstrapping, Progress: 10}
		},
			func(s *settings.Settings) { s.Tor.Enabled = true },
			levelWarn, colorWarningBG, "Tor is connecting — pages are refused until it is ready", "Nothing goes out without Tor"},
		{"tor failed", func(s *status.Snapshot) { seenBrowsers(s); s.Tor = status.Tor{Enabled: true, State: status.TorFailed} },
			func(s *settings.Settings) { s.Tor.Enabled = true },
			levelBad, colorErrorBG, "Tor cannot connect — pages are refused", ""},
		{"loading", func(s *status.Snapshot) { seenBrowsers(s); s.Blocking.Loading = true }, nil,
			levelNeutral, colorInfoBG, "Loading block lists…", "Requests wait"},
		{"off", seenBrowsers, func(s *settings.Settings) { s.Protection = false }, levelBad, colorErrorBG, "Protection is off", "nothing is blocked"},
		{"proxy failed", func(s *status.Snapshot) {
			s.Proxy = status.Proxy{Err: "listen tcp 127.0.0.1:8228: address already in use"}
		}, nil, levelBad, colorErrorBG, "Polaris is not running", "Listen tcp 127.0.0.1:8228: address already in use"},
		{"starting", func(s *status.Snapshot) { s.Proxy = status.Proxy{} }, nil, levelNeutral, colorInfoBG, "Starting…", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := settings.Default()
			if tc.set != nil {
				tc.set(&set)
			}
			f.mu.Lock()
			f.set = set
			f.mu.Unlock()
			snap := running()
			if tc.snap != nil {
				tc.snap(&snap)
			}
			h.snapshot(snap)
			o := h.u.overview
			if o.headline.Text != tc.head {
				t.Errorf("headline %q, want %q", o.headline.Text, tc.head)
			}
			if !strings.Contains(o.state.detail, tc.detail) {
				t.Errorf("detail %q, want it to contain %q", o.state.detail, tc.detail)
			}
			if o.state.level != tc.level || o.heroBG.color != tc.bg {
				t.Errorf("level %d on %s, want %d on %s", o.state.level, o.heroBG.color, tc.level, tc.bg)
			}
			h.see(tc.head)
		})
	}
}

func TestOverviewFacts(t *testing.T) {
	f := newFake(t)
	f.recordApply()
	h := newHarness(t, f, "overview")
	snap := running()
	snap.Proxy.Listen = "127.0.0.1:9123"
	snap.Tor = status.Tor{State: status.TorBootstrapping, Progress: 45}
	snap.Blocking.Rules = 84000
	snap.Blocking.Lists = []status.List{{ID: 1, Name: "EasyPrivacy", Enabled: true}, {ID: 2, Name: "EasyList", Enabled: true}}
	f.set.Tor.Enabled = true
	h.snapshot(snap)
	// The proxy's address is under "Set up by hand", closed at first.
	h.dontSee("127.0.0.1:9123")
	h.tap("Set up by hand")
	h.see("127.0.0.1:9123")
	h.see("Connecting to Tor (45%) — pages are refused until Tor is ready.")
	h.see("84,000 rules from 2 lists")
	h.see("No browser has used Polaris in the last day.\nPolaris is not the system proxy")

	// The button makes Polaris the system proxy.
	h.tap("Use as system proxy")
	if !f.Settings().System.SystemProxy {
		t.Error("Use as system proxy did not turn the system proxy on")
	}
	snap.System = status.System{SystemProxy: true, Backends: []string{"gnome"}, Warnings: []string{"Firefox profile default uses its own proxy settings."}}
	h.snapshot(snap)
	h.see("Polaris is the system proxy: browsers that follow the system's settings use it.")
	h.see("No browser has used Polaris in the last day.") // set is not seen
	seenBrowsers(&snap)
	h.snapshot(snap)
	h.see("Used Polaris in the last day: Firefox 153, Chromium / Chrome 156.")
	h.see("Firefox profile default uses its own proxy settings.")
	if h.u.overview.useSystem.Visible() {
		t.Error("the system proxy button is still offered")
	}
}

func TestOverviewChart(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "overview")
	snap := running()
	for i := range 30 {
		d := status.DayCount{Day: testNow.AddDate(0, 0, i-29).Truncate(24 * time.Hour), ByCategory: map[string]int64{}}
		d.ByCategory["advertising"] = int64(10 * i)
		d.ByCategory["analytics"] = int64(5 * i)
		d.Total = int64(15 * i)
		snap.Blocking.Daily = append(snap.Blocking.Daily, d)
	}
	snap.Blocking.Daily[29].Total += 7 // not attributed to a category
	h.snapshot(snap)
	// 15*(0+...+29) + 7
	h.see("6,532 requests blocked in the last 30 days")
	if n := len(h.u.overview.legend.Objects); n != 3 {
		t.Errorf("legend has %d entries, want 3 (advertising, analytics, other)", n)
	}
	r := test.WidgetRenderer(h.u.overview.chart).(*chartRenderer)
	if len(r.bars) != 30 || len(r.bars[0]) != 0 || len(r.bars[29]) != 3 {
		t.Errorf("bars: %d days, first %d segments, last %d; want 30, 0, 3", len(r.bars), len(r.bars[0]), len(r.bars[29]))
	}
	if r.max != 500 {
		t.Errorf("y axis max %d, want 500 (rounded up from 442)", r.max)
	}
	// Pointing at the last bar tells that day's story.
	c := h.u.overview.chart
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(c.Size().Width-2, 50)}})
	h.see("442 requests blocked. Advertising 290, Analytics 145")
	c.MouseOut()
	h.see("6,532 requests blocked")
	// Keyboard: focus selects the newest day, Left moves back.
	h.u.win.Canvas().Focus(c)
	c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	h.see("420 requests blocked")
}

func TestOverviewPauseAndResume(t *testing.T) {
	f := newFake(t)
	var pausedFor []time.Duration
	f.pause = func(d time.Duration) error { pausedFor = append(pausedFor, d); return nil }
	resumed := 0
	f.resume = func() error { resumed++; return nil }
	h := newHarness(t, f, "overview")
	h.snapshot(running())
	h.u.pause(30 * time.Minute)
	h.settle()
	if !cmp.Equal(pausedFor, []time.Duration{30 * time.Minute}) {
		t.Errorf("Pause got %v, want [30m]", pausedFor)
	}
	snap := running()
	snap.Blocking.PausedUntil = time.Now().Add(30 * time.Minute)
	h.snapshot(snap)
	h.tap("Resume")
	if resumed != 1 {
		t.Errorf("Resume called %d times, want 1", resumed)
	}
}

func TestOverviewPauseMenu(t *testing.T) {
	f := newFake(t)
	var pausedFor []time.Duration
	f.pause = func(d time.Duration) error { pausedFor = append(pausedFor, d); return nil }
	h := newHarness(t, f, "overview")
	h.snapshot(running())
	h.tap("Pause…")
	for _, item := range []string{"For 5 minutes", "For 30 minutes", "For 1 hour", "Until Polaris restarts"} {
		h.see(item)
	}
	h.tapMenu("For 1 hour")
	if !cmp.Equal(pausedFor, []time.Duration{time.Hour}) {
		t.Errorf("Pause got %v, want [1h]", pausedFor)
	}
}

func TestOverviewShowsControllerError(t *testing.T) {
	f := newFake(t)
	f.pause = func(time.Duration) error { return errUnavailable }
	h := newHarness(t, f, "overview")
	h.snapshot(running())
	h.u.pause(5 * time.Minute)
	h.settle()
	if got, want := h.u.banner.Text(), "This is not available in this version of Polaris yet"; got != want {
		t.Errorf("banner = %q, want %q", got, want)
	}
	h.tap("") // the dismiss button (icon only)
	if got := h.u.banner.Text(); got != "" {
		t.Errorf("banner after dismiss = %q, want hidden", got)
	}
}
