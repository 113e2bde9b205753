// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"

	"polaris/internal/settings"
)

// trayMenu is the menu of Polaris's system-tray icon.
type trayMenu struct {
	u                               *UI
	menu                            *fyne.Menu
	open, protect, tor, pause, quit *fyne.MenuItem
	state                           string // what the menu shows, to refresh only on change
}

// setupTray puts Polaris in the system tray when the desktop has one. It
// must run before the app runs (fyne starts the tray with the app).
func (u *UI) setupTray() {
	if u.o.Tray == TrayOff || u.trayCheck == nil {
		return
	}
	desk, ok := u.app.(desktop.App)
	if !ok {
		return
	}
	// The check started with New and normally answers in milliseconds; a
	// bus that hangs must not hold the window back.
	var avail bool
	select {
	case avail = <-u.trayCheck:
	case <-time.After(500 * time.Millisecond):
	}
	if !avail {
		u.o.Logf("no system tray on this desktop: closing the window will ask whether to keep running")
		return
	}
	u.tray = u.newTrayMenu()
	desk.SetSystemTrayMenu(u.tray.menu)
	desk.SetSystemTrayIcon(u.app.Icon())
}

// newTrayMenu builds the tray menu.
func (u *UI) newTrayMenu() *trayMenu {
	t := &trayMenu{u: u}
	t.open = fyne.NewMenuItem(lang.L("Open Polaris"), u.Show)
	t.protect = fyne.NewMenuItem(lang.L("Protection"), func() {
		on := !u.set.Protection
		u.change(func(s *settings.Settings) error { s.Protection = on; return nil })
	})
	t.tor = fyne.NewMenuItem(lang.L("Route through Tor"), func() {
		on := !u.set.Tor.Enabled
		u.change(func(s *settings.Settings) error { s.Tor.Enabled = on; return nil })
	})
	t.pause = fyne.NewMenuItem(lang.L("Pause blocking for 30 minutes"), func() {
		if paused(u.snap) {
			u.resume()
		} else {
			u.pause(30 * time.Minute)
		}
	})
	t.quit = fyne.NewMenuItem(lang.L("Quit Polaris"), u.quit)
	t.quit.IsQuit = true
	t.menu = fyne.NewMenu(lang.L("Polaris"), t.open, fyne.NewMenuItemSeparator(), t.protect, t.tor, t.pause,
		fyne.NewMenuItemSeparator(), t.quit)
	t.update()
	return t
}

func (t *trayMenu) update() {
	u := t.u
	t.protect.Checked = u.set.Protection
	t.tor.Checked = u.set.Tor.Enabled
	t.pause.Label = lang.L("Pause blocking for 30 minutes")
	if paused(u.snap) {
		t.pause.Label = lang.L("Resume blocking")
	}
	t.pause.Disabled = !u.set.Protection
	state := t.pause.Label
	for _, b := range []bool{t.protect.Checked, t.tor.Checked, t.pause.Disabled} {
		if b {
			state += "1"
		} else {
			state += "0"
		}
	}
	if state != t.state {
		t.state = state
		t.menu.Refresh()
	}
}
