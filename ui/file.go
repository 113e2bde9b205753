// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
)

// filePick describes a file dialog: one to save to or one to open.
type filePick struct {
	save bool
	name string   // the file name suggested when saving
	exts []string // the extensions offered, such as ".pem"
}

// pickFile asks the user for a file. done runs on the Fyne thread with the
// chosen path, "" when the user cancelled, or the dialog's error. A save
// dialog has already created the file when done runs.
func (u *UI) pickFile(p filePick, done func(path string, err error)) {
	if u.o.pickFile != nil {
		u.o.pickFile(p, done)
		return
	}
	if p.save {
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				done("", err)
				return
			}
			path := w.URI().Path()
			w.Close()
			done(path, nil)
		}, u.win)
		d.SetFileName(p.name)
		d.SetFilter(storage.NewExtensionFileFilter(p.exts))
		d.Show()
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			done("", err)
			return
		}
		path := r.URI().Path()
		r.Close()
		done(path, nil)
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter(p.exts))
	d.Show()
}
