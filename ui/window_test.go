// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"polaris/internal/status"
)

func TestCloseWithoutTrayAsks(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "overview")
	h.u.closeRequested()
	h.see("Keep Polaris running?")
	h.see("To open this window again, start Polaris again.")
	h.tap("Cancel")
	if h.u.hidden || !h.u.win.Canvas().Content().Visible() {
		t.Error("Cancel hid the window")
	}
	h.u.closeRequested()
	h.tap("Keep running")
	if !h.u.hidden {
		t.Error("Keep running did not move Polaris to the background")
	}
}

func TestCloseWithTrayHides(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "overview")
	h.u.tray = h.u.newTrayMenu()
	h.u.closeRequested()
	if !h.u.hidden {
		t.Error("closing the window with a tray did not hide it")
	}
	h.dontSee("Keep Polaris running?")
}

func TestTrayMenu(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	var paused []time.Duration
	f.pause = func(d time.Duration) error { paused = append(paused, d); return nil }
	resumed := 0
	f.resume = func() error { resumed++; return nil }
	h := newHarness(t, f, "overview")
	tr := h.u.newTrayMenu()
	h.u.tray = tr
	if !tr.protect.Checked || tr.tor.Checked {
		t.Errorf("tray shows protection %v tor %v, want on/off", tr.protect.Checked, tr.tor.Checked)
	}
	tr.protect.Action()
	h.settle()
	if s := lastApply(t, got); s.Protection {
		t.Error("the tray's Protection item did not turn protection off")
	}
	if tr.protect.Checked {
		t.Error("the tray still shows protection on")
	}
	tr.tor.Action()
	h.settle()
	if s := lastApply(t, got); !s.Tor.Enabled || !tr.tor.Checked {
		t.Error("the tray's Tor item did not turn Tor on")
	}
	tr.protect.Action() // back on, so that pausing makes sense
	h.settle()
	tr.pause.Action()
	h.settle()
	if len(paused) != 1 || paused[0] != 30*time.Minute {
		t.Errorf("pause from the tray: %v, want [30m]", paused)
	}
	snap := running()
	snap.Blocking.PausedUntil = time.Now().Add(30 * time.Minute)
	h.snapshot(snap)
	if tr.pause.Label != "Resume blocking" {
		t.Errorf("pause item says %q while paused", tr.pause.Label)
	}
	tr.pause.Action()
	h.settle()
	if resumed != 1 {
		t.Errorf("Resume called %d times", resumed)
	}
	if !tr.quit.IsQuit {
		t.Error("the Quit item is not marked as the quit item")
	}
}

func TestKeyboardSwitchesScreens(t *testing.T) {
	f := newFake(t)
	f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, nil }
	h := newHarness(t, f, "overview")
	// The test canvas wraps the software canvas, which handles shortcuts.
	inner := reflect.ValueOf(h.u.win.Canvas()).Elem().FieldByName("WindowlessCanvas").Interface()
	c, ok := inner.(interface{ TypedShortcut(fyne.Shortcut) })
	if !ok {
		t.Fatal("the test canvas takes no shortcuts")
	}
	for i, want := range []string{"overview", "signals", "blocking"} {
		c.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyName(rune('1' + i)), Modifier: fyne.KeyModifierShortcutDefault})
		h.settle()
		if got := h.u.screens[h.u.current].id; got != want {
			t.Errorf("Ctrl+%d opened %q, want %q", i+1, got, want)
		}
	}
}

func TestKeyboardSwitchesTabs(t *testing.T) {
	f := newFake(t)
	f.recent = func(int) []status.Decision { return nil }
	h := newHarness(t, f, "blocking")
	inner := reflect.ValueOf(h.u.win.Canvas()).Elem().FieldByName("WindowlessCanvas").Interface()
	c := inner.(interface{ TypedShortcut(fyne.Shortcut) })
	tabs := h.u.blocking.tabs
	for _, tc := range []struct {
		key  fyne.KeyName
		want int
	}{{fyne.KeyPageDown, 1}, {fyne.KeyPageDown, 2}, {fyne.KeyPageUp, 1}, {fyne.KeyPageUp, 0}, {fyne.KeyPageUp, len(tabIDs) - 1}} {
		c.TypedShortcut(&desktop.CustomShortcut{KeyName: tc.key, Modifier: fyne.KeyModifierShortcutDefault})
		h.settle()
		if got := tabs.SelectedIndex(); got != tc.want {
			t.Errorf("after Ctrl+%s tab %d, want %d", tc.key, got, tc.want)
		}
	}
}

func TestEngineNoticesAndStop(t *testing.T) {
	f := newFake(t)
	done := make(chan error, 1)
	a := newTestApp(t)
	h := &harness{t: t, f: f, queue: make(chan func(), 1024)}
	h.u = New(Options{Controller: f, App: a, Tray: TrayOff, EngineDone: done,
		do: func(fn func()) { h.queue <- fn }, now: func() time.Time { return testNow }})
	h.u.win.Resize(fyne.NewSize(1000, 720))
	h.u.win.Show()
	h.u.startWorkers()
	t.Cleanup(h.u.cancel)
	h.settle()

	snap := running()
	snap.Notices = []status.Notice{
		{Time: testNow, Severity: status.Info, Text: "Lists loaded."},
		{Time: testNow.Add(time.Second), Severity: status.Warning, Text: "The database was corrupt and has been rebuilt; the old file is at /x."},
	}
	h.snapshot(snap)
	if got := h.u.banner.Text(); got != "The database was corrupt and has been rebuilt; the old file is at /x." {
		t.Errorf("banner = %q, want the warning", got)
	}
	h.tap("")
	h.snapshot(snap) // the same notice is not shown twice
	if got := h.u.banner.Text(); got != "" {
		t.Errorf("an old notice came back: %q", got)
	}

	done <- errors.New("listen tcp 127.0.0.1:8228: bind: address already in use")
	h.until("the engine error", func() bool { return h.u.banner.Text() != "" })
	if got, want := h.u.banner.Text(), "Polaris has stopped: Listen tcp 127.0.0.1:8228: bind: address already in use. Nothing goes through it until it runs again: fix the cause (another port can be chosen under System & data) and start Polaris again."; got != want {
		t.Errorf("banner = %q, want %q", got, want)
	}
	h.snapshot(status.Snapshot{})
	h.see("Polaris is not running")
}

func TestApplyQueueKeepsOrder(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "overview")
	tog := h.u.overview.toggle
	for range 5 {
		test.Tap(tog)
	}
	h.settle()
	if len(*got) != 5 {
		t.Fatalf("%d applies, want 5", len(*got))
	}
	for i, s := range *got {
		if want := i%2 == 1; s.Protection != want {
			t.Errorf("apply %d: protection %v, want %v", i, s.Protection, want)
		}
	}
	if tog.On {
		t.Error("after five flips from on the switch shows on")
	}
}

// A second start of Polaris asks the running one to show its window: the
// engine calls Show (main wires App.OnShowRequest to it) on its instance
// server's goroutine. A window kept running in the background comes back,
// with what happened meanwhile.
func TestShowBringsBackgroundWindowForward(t *testing.T) {
	f := newFake(t)
	decisions := []status.Decision{{Time: testNow, URL: "https://tracker.example/a.gif", Host: "tracker.example",
		Site: "news.example", Verdict: status.Blocked, Rule: "||tracker.example^", List: "EasyPrivacy"}}
	f.recent = func(int) []status.Decision { return decisions }
	h := newHarness(t, f, "blocking/activity")
	h.see("https://tracker.example/a.gif")

	// Closed without a tray, kept running in the background.
	h.u.closeRequested()
	h.tap("Keep running")
	if !h.u.hidden {
		t.Fatal("Keep running did not move Polaris to the background")
	}
	// Meanwhile Polaris blocks something else (under the fake's lock:
	// the log is read from the UI's goroutines).
	f.mu.Lock()
	decisions = append([]status.Decision{{Time: testNow.Add(time.Second), URL: "https://pixel.example/b.gif",
		Host: "pixel.example", Site: "shop.example", Verdict: status.Blocked, Rule: "||pixel.example^", List: "EasyPrivacy"}}, decisions...)
	f.mu.Unlock()
	snap := running()
	snap.Blocking.LogSeq = 2
	h.snapshot(snap)

	shown := make(chan struct{})
	go func() { h.u.Show(); close(shown) }() // as the instance server does
	<-shown
	h.until("the window is shown", func() bool { return !h.u.hidden })
	h.settle()
	if !h.u.win.Content().Visible() {
		t.Error("the window's content is not visible")
	}
	h.see("https://pixel.example/b.gif")
	h.see("https://tracker.example/a.gif")
	h.dontSee("Keep Polaris running?")
}
