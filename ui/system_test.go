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
	y.invDetails.Open(0)
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

func TestSystemExportData(t *testing.T) {
	f := newFake(t)
	h, y := systemHarness(t, f)

	// Cancelled: nothing is called (a nil exportData fails on a call).
	h.files = func(filePick) (string, error) { return "", nil }
	h.tap("Export my data…")
	want := filePick{save: true, name: "polaris-data.json", exts: []string{".json"}}
	if diff := cmp.Diff([]filePick{want}, h.picks, cmp.AllowUnexported(filePick{})); diff != "" {
		t.Errorf("the dialog asked for (-want +got):\n%s", diff)
	}
	if got := h.u.banner.Text(); got != "" {
		t.Errorf("cancelling shows %q", got)
	}

	// The dialog itself fails: the error is shown, nothing is called.
	h.files = func(filePick) (string, error) { return "", errors.New("the folder /media/usb is not writable") }
	h.tap("Export my data…")
	if got := h.u.banner.Text(); got != "The folder /media/usb is not writable" {
		t.Errorf("banner = %q", got)
	}

	var paths []string
	f.exportData = func(path string) error {
		paths = append(paths, path)
		if len(paths) == 2 {
			return errors.New("writing /home/u/full disk/polaris-data.json: no space left on device")
		}
		return nil
	}
	h.files = func(filePick) (string, error) { return "/home/u/My Documents/polaris-data.json", nil }
	h.tap("Export my data…")
	if diff := cmp.Diff([]string{"/home/u/My Documents/polaris-data.json"}, paths); diff != "" {
		t.Errorf("ExportData paths (-want +got):\n%s", diff)
	}
	if got := h.u.banner.Text(); got != "Your data was saved to /home/u/My Documents/polaris-data.json." {
		t.Errorf("banner = %q", got)
	}

	h.files = func(filePick) (string, error) { return "/home/u/full disk/polaris-data.json", nil }
	h.tap("Export my data…")
	if got := h.u.banner.Text(); got != "Writing /home/u/full disk/polaris-data.json: no space left on device" {
		t.Errorf("banner = %q", got)
	}
	for _, b := range []string{"Export my data…", "Import…", "Delete all data…"} {
		if h.button(b).Disabled() {
			t.Errorf("%q stays disabled after the export", b)
		}
	}
	if y.dataBusy.Visible() {
		t.Error("the progress bar stays after the export")
	}
}

func TestSystemImportData(t *testing.T) {
	f := newFake(t)
	h, y := systemHarness(t, f)

	h.files = func(filePick) (string, error) { return "", nil }
	h.tap("Import…")
	if diff := cmp.Diff([]filePick{{exts: []string{".json"}}}, h.picks, cmp.AllowUnexported(filePick{})); diff != "" {
		t.Errorf("the dialog asked for (-want +got):\n%s", diff)
	}
	h.dontSee("Replace your data?") // cancelled: no question, no call

	// A file chosen, then "No": nothing is imported.
	h.files = func(filePick) (string, error) { return "/home/u/backup/polaris-data.json", nil }
	h.tap("Import…")
	h.see("Replace your data?")
	h.see("Polaris checks the whole file first and changes nothing if it is not valid.")
	h.tap("No")
	h.dontSee("Replace your data?")

	var paths []string
	f.importData = func(path, confirmed string) error {
		if confirmed != "" {
			t.Errorf("ImportData confirmed %q for a file that widens nothing", confirmed)
		}
		paths = append(paths, path)
		if len(paths) == 2 {
			return errors.New(`reading /home/u/backup/polaris-data.json: not a Polaris export (no "polaris" version)`)
		}
		f.set.System.SystemProxy = true // what the file held (under the fake's lock)
		return nil
	}
	h.tap("Import…")
	h.tap("Yes")
	if diff := cmp.Diff([]string{"/home/u/backup/polaris-data.json"}, paths); diff != "" {
		t.Errorf("ImportData paths (-want +got):\n%s", diff)
	}
	if got := h.u.banner.Text(); got != "Your data was imported." {
		t.Errorf("banner = %q", got)
	}
	if !y.sysProxy.On {
		t.Error("the screen does not show the imported settings (system proxy still off)")
	}

	h.tap("Import…")
	h.tap("Yes")
	if got := h.u.banner.Text(); got != `Reading /home/u/backup/polaris-data.json: not a Polaris export (no "polaris" version)` {
		t.Errorf("banner = %q", got)
	}
	if h.button("Import…").Disabled() {
		t.Error("Import stays disabled after a failed import")
	}
}

// An imported file that would open Polaris to others: the window shows
// each such setting, and imports it only with the user's yes.
func TestSystemImportWidening(t *testing.T) {
	f := newFake(t)
	h, _ := systemHarness(t, f)
	h.files = func(filePick) (string, error) { return "/tmp/from-a-stranger.json", nil }
	f.checkImport = func(path string) (settings.ImportCheck, error) {
		return settings.ImportCheck{Path: path, Digest: "d1g3st", Widening: []settings.Change{
			{Key: "listen", From: "127.0.0.1:8228", To: "0.0.0.0:8228", Why: "other computers on the network could use this Polaris"},
			{Key: "tor.binary", From: "", To: "/tmp/evil", Why: "Polaris would run this program, with your rights, as Tor"},
		}}, nil
	}
	var got []string
	f.importData = func(path, confirmed string) error {
		got = append(got, confirmed)
		return nil
	}
	h.tap("Import…")
	h.see("This file opens Polaris to others")
	h.see("listen: 127.0.0.1:8228 → 0.0.0.0:8228")
	h.see("tor.binary: (none) → /tmp/evil")
	h.see("Polaris would run this program, with your rights, as Tor")
	h.dontSee("Replace your data?")
	h.tap("Cancel")
	h.dontSee("This file opens Polaris to others")
	h.tap("Import…")
	h.tap("Import without them")
	h.tap("Import…")
	h.tap("Import with these changes")
	if diff := cmp.Diff([]string{"", "d1g3st"}, got); diff != "" {
		t.Errorf("ImportData confirmations (-want +got):\n%s", diff)
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
