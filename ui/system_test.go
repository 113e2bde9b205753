// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
	"polaris/internal/status"
)

func systemHarness(t *testing.T, f *fakeController) (*harness, *systemScreen) {
	t.Helper()
	if f.inventory == nil {
		f.inventory = func() (status.Inventory, error) { return status.Inventory{}, errUnavailable }
	}
	h := newHarness(t, f, "system")
	return h, h.u.screens[5].s.(*systemScreen)
}

func TestSystemSwitches(t *testing.T) {
	for _, tc := range []struct {
		name string
		tog  func(*systemScreen) *Toggle
		want func(*settings.Settings)
	}{
		{"system proxy", func(y *systemScreen) *Toggle { return y.sysProxy }, func(s *settings.Settings) { s.System.SystemProxy = true }},
		{"firefox", func(y *systemScreen) *Toggle { return y.firefox }, func(s *settings.Settings) { s.System.FirefoxUserJS = true }},
		{"pac fail open", func(y *systemScreen) *Toggle { return y.failOpen }, func(s *settings.Settings) { s.System.PACFailOpen = true }},
		{"autostart", func(y *systemScreen) *Toggle { return y.autostart }, func(s *settings.Settings) { s.System.Autostart = true }},
		{"log persist", func(y *systemScreen) *Toggle { return y.logPersist }, func(s *settings.Settings) { s.Data.LogPersist = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			got := f.recordApply()
			h, y := systemHarness(t, f)
			test.Tap(tc.tog(y))
			h.settle()
			want := settings.Default()
			tc.want(&want)
			if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSystemPortAndPAC(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h, y := systemHarness(t, f)
	// The PAC address is the one programs fetch directly, on the port
	// Polaris really listens on (the reserved host name only works
	// through the proxy itself).
	h.see("http://127.0.0.1:8228/proxy.pac")
	h.see("Polaris is not listening now.")
	h.snapshot(running())
	h.see("Polaris is listening on 127.0.0.1:8228.")
	snap := running()
	snap.Proxy.Listen = "127.0.0.1:28780"
	snap.System.PACURL = "http://127.0.0.1:28780/proxy.pac"
	h.snapshot(snap)
	h.see("http://127.0.0.1:28780/proxy.pac")
	h.see("Polaris is listening on 127.0.0.1:28780 for now (it was started with another address); the port above is used from the next start.")
	if y.port.Text != "8228" {
		t.Errorf("port shows %q, want 8228", y.port.Text)
	}
	h.u.win.Canvas().Focus(y.port)
	y.port.SetText("80")
	h.see("Enter a port number from 1024 to 65535.")
	if !y.portSave.Disabled() {
		t.Error("Change port is enabled for port 80")
	}
	y.port.SetText("9000")
	h.tap("Change port")
	if s := lastApply(t, got); s.Listen != "127.0.0.1:9000" {
		t.Errorf("listen %q, want 127.0.0.1:9000", s.Listen)
	}
	y.statsDays.SetText("30")
	h.tap("Save")
	if s := lastApply(t, got); s.Data.StatsRetentionDays != 30 {
		t.Errorf("stats retention %d, want 30", s.Data.StatsRetentionDays)
	}
}

func TestSystemProxyState(t *testing.T) {
	f := newFake(t)
	f.set.System.SystemProxy = true
	h, _ := systemHarness(t, f)
	snap := running()
	snap.System = status.System{SystemProxy: true, Backends: []string{"gnome", "environment.d"},
		Places:   []string{"GNOME", "programs started from a terminal, from your next login"},
		Warnings: []string{"Firefox profile default-release uses its own proxy settings."}}
	h.snapshot(snap)
	h.see("The system points at Polaris (set in: GNOME, programs started from a terminal, from your next login).")
	h.see("Firefox profile default-release uses its own proxy settings.")
}

func TestSystemInventory(t *testing.T) {
	f := newFake(t)
	f.inventory = func() (status.Inventory, error) {
		return status.Inventory{Dir: "/home/u/.config/polaris",
			Tables: []status.TableInfo{{Name: "stats_daily", What: "Blocked requests per day and category", Why: "The chart on the Overview", Rows: 1234, Retention: "90 days"}},
			Files:  []status.FileInfo{{Path: "polaris.db", Bytes: 2_400_000, What: "The database"}},
		}, nil
	}
	h, y := systemHarness(t, f)
	h.see("Everything is in /home/u/.config/polaris")
	h.dontSee("Blocked requests per day and category") // folded away until asked for
	y.invDetails.Open()
	for _, want := range []string{"Blocked requests per day and category", "1,234 entries",
		"Why: The chart on the Overview", "Kept: 90 days", "polaris.db", "2.4 MB"} {
		h.see(want)
	}
}

func TestSystemInventoryUnavailable(t *testing.T) {
	f := newFake(t)
	h, _ := systemHarness(t, f)
	h.see("This is not available in this version of Polaris yet")
}

func TestSystemDeleteAllAsksFirst(t *testing.T) {
	f := newFake(t)
	deleted := 0
	f.deleteAll = func() error {
		deleted++
		if deleted == 2 {
			return errors.New("removing the certificate from Firefox: the profile is locked")
		}
		return nil
	}
	h, _ := systemHarness(t, f)
	h.tap("Delete all data…")
	h.see("This cannot be undone.")
	h.tap("Keep my data")
	if deleted != 0 {
		t.Fatal("deleted without confirmation")
	}
	h.tap("Delete all data…")
	h.tap("Delete everything")
	if deleted != 1 {
		t.Fatalf("DeleteAllData called %d times, want 1", deleted)
	}
	h.see("Everything Polaris stored has been deleted.")
	h.tap("Delete all data…")
	h.tap("Delete everything")
	if got := h.u.banner.Text(); got != "Removing the certificate from Firefox: the profile is locked" {
		t.Errorf("banner = %q", got)
	}
}

// In Tor mode the PAC file never falls back to direct, so the fail-open
// switch cannot be used.
func TestSystemFailOpenOffInTorMode(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	_, y := systemHarness(t, f)
	if !y.failOpen.Disabled() {
		t.Error("the fail-open switch can be used in Tor mode")
	}
}
