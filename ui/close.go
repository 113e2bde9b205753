// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// closeDialog is the question asked when the window closes and there is no
// system tray to keep Polaris in.
type closeDialog struct {
	d                  *dialog.CustomDialog
	quit, keep, cancel *button
}

// askQuitOrBackground asks whether to quit or keep running without a
// window (there is no tray icon to reopen it from).
func (u *UI) askQuitOrBackground() {
	var cd closeDialog
	text := wrapped(lang.L("Polaris protects your browsers only while it runs. Keep it running in the background, without a window? To open this window again, start Polaris again."))
	cd.d = dialog.NewCustomWithoutButtons(lang.L("Keep Polaris running?"), container.NewVBox(text), u.win)
	cd.cancel = newButton(lang.L("Cancel"), func() { cd.d.Hide() })
	cd.quit = newButton(lang.L("Quit Polaris"), func() {
		cd.d.Hide()
		u.quit()
	})
	cd.keep = newButton(lang.L("Keep running"), func() {
		cd.d.Hide()
		u.hideToBackground()
	})
	cd.keep.Importance = widget.HighImportance
	cd.d.SetButtons([]fyne.CanvasObject{cd.cancel, cd.quit, cd.keep})
	cd.d.Resize(fyne.NewSize(480, 0))
	u.closing = &cd
	cd.d.Show()
	u.win.Canvas().Focus(cd.keep)
}
