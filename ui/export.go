// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/passphrase"
	"polaris/internal/settings"
)

// Export and import of the user's data, encrypted with a passphrase or
// not.
//
// A passphrase goes from the entry to the engine as a []byte, cleared as
// soon as the engine has used it; the entries are emptied when their
// dialog closes. What cannot be cleared: the entry's text is a Go string
// (immutable), which stays in memory until the garbage collector reuses
// it.

// exportForm is the Export dialog's form (kept while it shows, for tests).
type exportForm struct {
	encrypt     *checkBox
	pass, again *widget.Entry // Fyne's password entries: in a dialog, nothing to scroll
	strength    *widget.Label
	save        *button
	dlg         dialog.Dialog
}

// passForm is the dialog asking for an encrypted file's passphrase.
type passForm struct {
	pass    *widget.Entry
	problem *widget.Label
	open    *button
	dlg     dialog.Dialog
}

// exportData asks whether to encrypt (on by default) and for the
// passphrase, then where to save, then exports.
func (y *systemScreen) exportData() {
	u := y.u
	f := &exportForm{}
	f.pass = widget.NewPasswordEntry()
	f.pass.SetPlaceHolder(lang.L("Passphrase"))
	f.again = widget.NewPasswordEntry()
	f.again.SetPlaceHolder(lang.L("The same passphrase again"))
	f.strength = widget.NewLabel("")
	f.strength.Wrapping = fyne.TextWrapWord
	f.encrypt = newCheck(lang.L("Encrypt with a passphrase"), nil)
	f.encrypt.SetChecked(true)
	intro := wrapped(lang.L("The file holds your settings (with the proxy password, if you set one), your allowed sites, exceptions and own rules, your blocklists and the daily statistics. Encrypted, all of it is encrypted: without the passphrase nobody can read it, not even you, and a lost passphrase cannot be recovered."))
	finish := func() {
		f.pass.SetText("")
		f.again.SetText("")
		f.dlg.Hide()
		if y.export == f {
			y.export = nil
		}
	}
	f.save = newButton(lang.L("Choose where to save…"), func() {
		var pass []byte
		if f.encrypt.Checked {
			pass = []byte(f.pass.Text)
		}
		finish()
		y.exportTo(pass)
	})
	f.save.Importance = widget.HighImportance
	update := func() {
		if !f.encrypt.Checked {
			f.pass.Disable()
			f.again.Disable()
			f.strength.SetText(lang.L("The file will not be encrypted: whoever gets it can read all of it."))
			f.save.Enable()
			return
		}
		f.pass.Enable()
		f.again.Enable()
		p := []byte(f.pass.Text)
		defer clear(p)
		switch {
		case len(p) == 0:
			f.strength.SetText("")
			f.save.Disable()
			return
		case passphrase.Check(p) != nil:
			f.strength.SetText(sentence(passphrase.Check(p).Error()) + ".")
			f.save.Disable()
			return
		}
		f.strength.SetText(strengthText(passphrase.Estimate(p)))
		if f.again.Text != f.pass.Text {
			if f.again.Text != "" {
				f.strength.SetText(f.strength.Text + " " + lang.L("The two passphrases differ."))
			}
			f.save.Disable()
			return
		}
		f.save.Enable()
	}
	f.pass.OnChanged = func(string) { update() }
	f.again.OnChanged = func(string) { update() }
	f.encrypt.OnChanged = func(bool) { update() }
	update()
	form := container.NewVBox(intro, f.encrypt, f.pass, f.again, f.strength)
	f.dlg = dialog.NewCustomWithoutButtons(lang.L("Export my data"), form, u.win)
	f.dlg.(*dialog.CustomDialog).SetButtons([]fyne.CanvasObject{newButton(lang.L("Cancel"), finish), f.save})
	f.dlg.Resize(fyne.NewSize(520, 0))
	y.export = f
	f.dlg.Show()
	u.win.Canvas().Focus(f.pass)
}

// strengthText says how strong a passphrase is estimated to be; a weak
// one is warned about (and may still be used).
func strengthText(s passphrase.Strength) string {
	level := map[passphrase.Level]string{passphrase.VeryWeak: lang.L("very weak"), passphrase.Weak: lang.L("weak"),
		passphrase.Good: lang.L("good"), passphrase.Strong: lang.L("strong")}[s.Level()]
	if !s.Weak() {
		return lang.L("Estimated strength: {{.Level}} (about {{.Bits}} bits).", map[string]any{"Level": level, "Bits": s.Bits})
	}
	t := lang.L("Weak passphrase: estimated strength {{.Level}} (about {{.Bits}} bits)", map[string]any{"Level": level, "Bits": s.Bits})
	if s.Short() {
		t += ", " + lang.L("{{.Chars}} characters", map[string]any{"Chars": s.Chars})
	}
	return t + ". " + lang.L("Whoever gets the file can try guesses at their own pace; five or six random words are safer. You can still use it.")
}

// exportTo asks where to save and exports; pass (nil: not encrypted) is
// cleared when done.
func (y *systemScreen) exportTo(pass []byte) {
	u := y.u
	pick := filePick{save: true, name: "polaris-data.json", exts: []string{".json"}}
	if pass != nil {
		pick = filePick{save: true, name: "polaris-data.age", exts: []string{".age"}}
	}
	u.pickFile(pick, func(path string, err error) {
		if err != nil || path == "" {
			clear(pass)
			u.fail(err)
			return
		}
		y.dataWork(func() error {
			defer clear(pass)
			ctx, cancel := u.ctxFor(longCall)
			defer cancel()
			return u.c.ExportData(ctx, path, pass)
		}, func() {
			if pass != nil {
				u.inform(lang.L("Your data was saved to {{.Path}}, encrypted with your passphrase.", map[string]any{"Path": path}))
				return
			}
			u.inform(lang.L("Your data was saved to {{.Path}}.", map[string]any{"Path": path}))
		})
	})
}

func (y *systemScreen) importData() {
	u := y.u
	u.pickFile(filePick{exts: []string{".json", ".age"}}, func(path string, err error) {
		if err != nil || path == "" {
			u.fail(err)
			return
		}
		y.checkImport(path, nil)
	})
}

// checkImport checks the file (with pass, for an encrypted one) and asks
// what the file needs: its passphrase (again, after a wrong one), a
// confirmation of the settings and lists that open Polaris to others, or
// a plain yes. pass is cleared when the import is done or abandoned.
func (y *systemScreen) checkImport(path string, pass []byte) {
	u := y.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		chk, err := u.c.CheckImport(ctx, path, pass)
		return func() {
			switch {
			case errors.Is(err, passphrase.ErrNeeded):
				y.askPassphrase(path, "")
				return
			case errors.Is(err, passphrase.ErrWrong):
				clear(pass)
				y.askPassphrase(path, lang.L("This passphrase does not open the file. Try again."))
				return
			case err != nil:
				clear(pass)
				u.fail(err)
				return
			}
			if len(chk.Widening) > 0 {
				y.confirmWidening(chk, pass)
				return
			}
			d := dialog.NewConfirm(lang.L("Replace your data?"),
				lang.L("Your settings, lists, allowed sites, rules and statistics are replaced by those in the file. Polaris checks the whole file first and changes nothing if it is not valid."),
				func(ok bool) {
					if ok {
						y.runImport(path, "", pass, "")
						return
					}
					clear(pass)
				}, u.win)
			d.Show()
		}
	})
}

// askPassphrase asks for the passphrase of the encrypted file at path.
func (y *systemScreen) askPassphrase(path, problem string) {
	u := y.u
	f := &passForm{pass: widget.NewPasswordEntry(), problem: widget.NewLabel(problem)}
	f.pass.SetPlaceHolder(lang.L("Passphrase"))
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Importance = widget.DangerImportance
	if problem == "" {
		f.problem.Hide()
	}
	finish := func() {
		f.pass.SetText("")
		f.dlg.Hide()
		if y.passAsk == f {
			y.passAsk = nil
		}
	}
	f.open = newButton(lang.L("Open"), func() {
		pass := []byte(f.pass.Text)
		finish()
		y.checkImport(path, pass)
	})
	f.open.Importance = widget.HighImportance
	f.open.Disable()
	f.pass.OnChanged = func(s string) {
		if s == "" {
			f.open.Disable()
		} else {
			f.open.Enable()
		}
	}
	f.pass.OnSubmitted = func(s string) {
		if s != "" {
			f.open.OnTapped()
		}
	}
	intro := wrapped(lang.L("{{.Path}} is encrypted. Type the passphrase it was exported with.", map[string]any{"Path": path}))
	f.dlg = dialog.NewCustomWithoutButtons(lang.L("Encrypted file"), container.NewVBox(intro, f.pass, f.problem), u.win)
	f.dlg.(*dialog.CustomDialog).SetButtons([]fyne.CanvasObject{newButton(lang.L("Cancel"), finish), f.open})
	f.dlg.Resize(fyne.NewSize(480, 0))
	y.passAsk = f
	f.dlg.Show()
	u.win.Canvas().Focus(f.pass)
}

// confirmWidening shows the settings of an import that open Polaris, this
// computer or its traffic to others, and lets the user import with them,
// without them (the default), or not at all.
func (y *systemScreen) confirmWidening(chk settings.ImportCheck, pass []byte) {
	u := y.u
	list := container.NewVBox()
	for _, c := range chk.Widening {
		from, to := c.From, c.To
		if from == "" {
			from = lang.L("(none)")
		}
		if to == "" {
			to = lang.L("(none)")
		}
		k := widget.NewLabelWithStyle(c.Key+": "+from+" → "+to, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		k.Wrapping = fyne.TextWrapWord
		why := widget.NewLabel(c.Why)
		why.Wrapping = fyne.TextWrapWord
		list.Add(k)
		list.Add(why)
	}
	intro := widget.NewLabel(lang.L("Your settings, lists, allowed sites, rules and statistics are replaced by those in the file. It also changes settings that open Polaris, this computer or your traffic to others. Import them only if you made this file yourself:"))
	intro.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(list)
	scroll.SetMinSize(fyne.NewSize(520, 220))
	d := dialog.NewCustomWithoutButtons(lang.L("This file opens Polaris to others"), container.NewBorder(intro, nil, nil, nil, scroll), u.win)
	with := newButton(lang.L("Import with these changes"), func() { d.Hide(); y.runImport(chk.Path, chk.Digest, pass, "") })
	with.Importance = widget.DangerImportance
	var left []string
	for _, c := range chk.Widening {
		if !slices.Contains(left, c.Key) {
			left = append(left, c.Key)
		}
	}
	without := newButton(lang.L("Import without them"), func() {
		d.Hide()
		y.runImport(chk.Path, "", pass, lang.L("Your data was imported, except what would open Polaris to others; kept as they were: {{.Keys}}.", map[string]any{"Keys": strings.Join(left, ", ")}))
	})
	without.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{newButton(lang.L("Cancel"), func() { clear(pass); d.Hide() }), with, without})
	d.Show()
}

// runImport imports path; confirmed is the digest of the check whose
// widening settings the user accepted, or "". pass is cleared after.
// done is the message when it worked ("": the usual one).
func (y *systemScreen) runImport(path, confirmed string, pass []byte, done string) {
	u := y.u
	y.dataWork(func() error {
		defer clear(pass)
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		return u.c.ImportData(ctx, path, confirmed, pass)
	}, func() {
		if done == "" {
			done = lang.L("Your data was imported.")
		}
		u.inform(done)
	})
}
