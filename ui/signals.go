// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// signalsScreen: Do Not Track (three choices), Global Privacy Control,
// per-site exceptions and what sites answered.
type signalsScreen struct {
	u *UI

	dnt        *radioGroup
	dntOptions []string
	gpc, check *Toggle
	inPage     *Toggle
	exceptions *fyne.Container
	addExc     *button

	shownExc   string
	reach      *callout
	toHTTPS    *button
	dntReach   *widget.RichText
	gpcReach   *widget.RichText
	answers    *fyne.Container
	answerNote *callout

	// The exception dialog, kept for tests.
	dlg                dialog.Dialog
	dlgSite            *entry
	dlgMode            *selectBox
	dlgSave, dlgCancel *button
	dlgErr             *widget.Label
	dlgModes           []string
}

func (s *signalsScreen) build() fyne.CanvasObject {
	u := s.u
	s.dntOptions = []string{
		lang.L("No preference — Polaris sends nothing and leaves what your browser sends"),
		lang.L("Ask sites not to track me"),
		lang.L("Tell sites I allow tracking"),
	}
	s.dnt = newRadioGroup(s.dntOptions, func(choice string) {
		i := slices.Index(s.dntOptions, choice)
		if i < 0 {
			return // deselection: keep the current choice
		}
		v := []settings.DNT{settings.DNTUnset, settings.DNTDoNotTrack, settings.DNTAllowTracking}[i]
		u.change(func(st *settings.Settings) error { st.Signals.DNT = v; return nil })
	})
	s.dnt.Required = true
	s.dntReach = note("")
	dnt := section(lang.L("Do Not Track"),
		lang.L("Do Not Track is a request sent with a visit. Sites are not forced to honour it, but some do, and your choice applies to every browser that uses Polaris."),
		s.dnt, s.dntReach)

	s.reach = newCallout(status.Info, "", nil)
	s.toHTTPS = newButton(lang.L("Look inside secure connections…"), func() { u.selectScreen("https") })
	reach := container.NewVBox(s.reach.obj, container.NewHBox(s.toHTTPS))

	s.gpc = NewToggle(lang.L("Global Privacy Control"), func(on bool) {
		u.change(func(st *settings.Settings) error { st.Signals.GPC = on; return nil })
	})
	s.inPage = NewToggle(lang.L("Tell the page's scripts too"), func(on bool) {
		u.change(func(st *settings.Settings) error { st.Stealth.PageSignals = on; return nil })
	})
	s.check = NewToggle(lang.L("Check what sites answer"), func(on bool) {
		u.change(func(st *settings.Settings) error { st.Signals.CheckSites = on; return nil })
	})
	s.gpcReach = note("")
	gpc := section(lang.L("Global Privacy Control"), "",
		switchRow(lang.L("Tell sites not to sell or share my data"),
			lang.L("Sends the Global Privacy Control signal. In California, Colorado and a growing number of places, sites must treat it as a legal opt-out."), s.gpc),
		s.gpcReach,
		widget.NewSeparator(),
		switchRow(lang.L("Tell the page's scripts too"),
			lang.L("Consent banners read the signals from the page, not from the request: Polaris adds a tiny script that tells them. On HTTPS sites only while Polaris looks inside secure connections."), s.inPage),
		widget.NewSeparator(),
		switchRow(lang.L("Check what sites answer"),
			lang.L("Polaris asks each site you visit, once per session and without cookies, whether it says it honours these signals. It asks as your browser would, and never while Tor is on."), s.check))

	s.exceptions = container.NewVBox()
	s.addExc = newButtonWithIcon(lang.L("Add an exception…"), theme.ContentAddIcon(), func() { s.editException(nil) })
	exc := section(lang.L("Exceptions for particular sites"),
		lang.L("Send something else to a site you choose — for example nothing at all to your bank, if its pages break."),
		s.exceptions, container.NewHBox(s.addExc))

	s.answers = container.NewVBox()
	s.answerNote = newCallout(status.Info, "", nil)
	refresh := newButtonWithIcon(lang.L("Refresh"), theme.ViewRefreshIcon(), s.loadAnswers)
	ans := section(lang.L("What sites answered"),
		lang.L("Sites can say whether they honour Do Not Track and Global Privacy Control. This is what the sites you visited said."),
		s.answerNote.obj, s.answers, container.NewHBox(refresh))

	return page(lang.L("Privacy signals"),
		lang.L("Polaris adds your privacy choices to the requests it can see: those to plain-HTTP sites, and those to HTTPS sites while it looks inside secure connections."),
		reach, dnt, gpc, exc, ans)
}

func (s *signalsScreen) update() {
	set := s.u.set.Signals
	s.dnt.SetSelected(s.dntOptions[dntIndex(set.DNT)])
	s.gpc.SetOn(set.GPC)
	s.check.SetOn(set.CheckSites)
	s.inPage.SetOn(s.u.set.Stealth.PageSignals)
	s.updateReach()

	key := fmt.Sprint(set.Exceptions)
	if key == s.shownExc && s.exceptions.Objects != nil {
		return // rebuild the rows only when they change
	}
	s.shownExc = key
	var rows []fyne.CanvasObject
	for _, e := range set.Exceptions {
		e := e
		edit := newButtonWithIcon(lang.L("Edit"), theme.DocumentCreateIcon(), func() { s.editException(&e) })
		remove := newButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() {
			s.u.change(func(st *settings.Settings) error {
				st.Signals.Exceptions = slices.DeleteFunc(st.Signals.Exceptions, func(x settings.SiteException) bool { return x.Site == e.Site })
				return nil
			})
		})
		rows = append(rows, container.NewBorder(nil, nil, nil, container.NewHBox(edit, remove),
			container.NewGridWithColumns(2, strong(e.Site), wrapped(exceptionText(e)))))
	}
	if len(rows) == 0 {
		rows = append(rows, note(lang.L("No exceptions: every site gets the same signals.")))
	}
	s.exceptions.Objects = rows
	s.exceptions.Refresh()
}

// httpOnlyText says what a signal reaches while HTTPS filtering is off.
func httpOnlyText() string {
	return lang.L("HTTPS filtering is off: this reaches plain-HTTP sites only. Most sites use HTTPS and do not get it.")
}

// updateReach shows the share of the last day's requests that carried the
// user's signals, and what the switches reach with filtering off.
func (s *signalsScreen) updateReach() {
	set, snap := s.u.set, s.u.snap
	filter := set.HTTPS.Filter
	limit := ""
	if !filter {
		limit = httpOnlyText()
	}
	setNote(s.gpcReach, limit)
	if set.Signals.DNT == settings.DNTUnset {
		setNote(s.dntReach, "")
	} else {
		setNote(s.dntReach, limit)
	}
	enable(s.toHTTPS, !filter)
	if filter {
		s.toHTTPS.Hide()
	} else {
		s.toHTTPS.Show()
	}
	r := snap.Proxy.Reach
	switch {
	case !set.Protection:
		s.reach.set(status.Warning, lang.L("Protection is off: no signals are sent."))
	case set.Signals.DNT == settings.DNTUnset && !set.Signals.GPC:
		s.reach.set(status.Info, lang.L("You chose no signal to send."))
	case r.Requests == 0:
		s.reach.set(status.Info, lang.L("No requests went through Polaris in the last day, so no signal was sent yet."))
	default:
		pct := int(r.Signalled * 100 / r.Requests)
		text := lang.L("Reach: {{.Percent}}% of the last day's requests through Polaris carried your signals ({{.Signalled}} of {{.Requests}}).",
			map[string]any{"Percent": pct, "Signalled": count(int64(min(r.Signalled, 1<<62))), "Requests": count(int64(min(r.Requests, 1<<62)))})
		sev := status.Info
		if !filter && r.Signalled < r.Requests {
			text += " " + lang.L("The others went to HTTPS sites, which Polaris does not look inside: each such connection is counted once.")
			if pct < 50 {
				sev = status.Warning
			}
		}
		s.reach.set(sev, text)
	}
}

func dntIndex(d settings.DNT) int {
	switch d {
	case settings.DNTDoNotTrack:
		return 1
	case settings.DNTAllowTracking:
		return 2
	}
	return 0
}

// exceptionModes are the choices for one site, in dialog order.
func exceptionModes() []string {
	return []string{
		lang.L("Send no privacy signals"),
		lang.L("Send no Do Not Track preference"),
		lang.L("Ask not to be tracked"),
		lang.L("Allow tracking"),
	}
}

func exceptionMode(e settings.SiteException) int {
	if e.NoSignals {
		return 0
	}
	return 1 + dntIndex(e.DNT)
}

func exceptionText(e settings.SiteException) string { return exceptionModes()[exceptionMode(e)] }

func (s *signalsScreen) shown() { s.loadAnswers() }

// editException opens the dialog to add (orig nil) or edit an exception.
func (s *signalsScreen) editException(orig *settings.SiteException) {
	u := s.u
	s.dlgModes = exceptionModes()
	s.dlgSite = newEntry()
	s.dlgSite.SetPlaceHolder(lang.L("example.com"))
	s.dlgMode = newSelect(s.dlgModes, nil)
	s.dlgMode.SetSelectedIndex(0)
	s.dlgErr = widget.NewLabel("")
	s.dlgErr.Importance = widget.DangerImportance
	s.dlgErr.Wrapping = fyne.TextWrapWord
	s.dlgErr.Hide()
	heading := lang.L("Add an exception")
	if orig != nil {
		heading = lang.L("Change the exception")
		s.dlgSite.SetText(orig.Site)
		s.dlgMode.SetSelectedIndex(exceptionMode(*orig))
	}
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Site"), s.dlgSite),
		widget.NewFormItem(lang.L("Send"), s.dlgMode),
	)
	s.dlgCancel = newButton(lang.L("Cancel"), func() { s.dlg.Hide() })
	s.dlgSave = newButton(lang.L("Save"), func() {
		e, err := settings.RegistrableDomain(siteOf(s.dlgSite.Text))
		if err != nil {
			s.dlgErr.SetText(lang.L("Enter a site such as example.com."))
			s.dlgErr.Show()
			return
		}
		exc := settings.SiteException{Site: e}
		switch s.dlgMode.SelectedIndex() {
		case 0:
			exc.NoSignals = true
		case 2:
			exc.DNT = settings.DNTDoNotTrack
		case 3:
			exc.DNT = settings.DNTAllowTracking
		}
		if orig == nil || orig.Site != exc.Site {
			if _, dup := u.set.Signals.Exception(exc.Site); dup {
				s.dlgErr.SetText(lang.L("{{.Site}} already has an exception; edit that one.", map[string]any{"Site": exc.Site}))
				s.dlgErr.Show()
				return
			}
		}
		s.dlg.Hide()
		var old string
		if orig != nil {
			old = orig.Site
		}
		u.change(func(st *settings.Settings) error {
			i := slices.IndexFunc(st.Signals.Exceptions, func(x settings.SiteException) bool { return x.Site == old })
			if old != "" && i >= 0 {
				st.Signals.Exceptions[i] = exc
			} else {
				st.Signals.Exceptions = append(st.Signals.Exceptions, exc)
			}
			return nil
		})
	})
	s.dlgSave.Importance = widget.HighImportance
	s.dlgSite.OnSubmitted = func(string) { s.dlgSave.OnTapped() }
	s.dlg = dialog.NewCustomWithoutButtons(heading, container.NewVBox(form, s.dlgErr), u.win)
	s.dlg.(*dialog.CustomDialog).SetButtons([]fyne.CanvasObject{s.dlgCancel, s.dlgSave})
	s.dlg.Resize(fyne.NewSize(460, 0))
	s.dlg.Show()
	u.win.Canvas().Focus(s.dlgSite)
}

// loadAnswers reads what sites answered, off the Fyne thread.
func (s *signalsScreen) loadAnswers() {
	u := s.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		answers, err := u.c.SiteAnswers(ctx)
		return func() { s.showAnswers(answers, err) }
	})
}

func (s *signalsScreen) showAnswers(answers []status.SiteAnswer, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		s.answerNote.set(status.Info, unavailableText(err))
	case len(answers) == 0:
		s.answerNote.set(status.Info, lang.L("No answers yet. Polaris records them as you browse, when “Check what sites answer” is on."))
	default:
		s.answerNote.set(status.Info, "")
		rows = append(rows, container.NewGridWithColumns(4,
			strong(lang.L("Site")), strong(lang.L("Do Not Track")), strong(lang.L("Global Privacy Control")), strong(lang.L("Checked"))))
		now := s.u.now()
		for _, a := range answers {
			rows = append(rows, container.NewGridWithColumns(4,
				wrapped(a.Site), wrapped(dntAnswer(a)), wrapped(gpcAnswer(a)), wrapped(ago(now, a.Checked))))
		}
	}
	s.answers.Objects = rows
	s.answers.Refresh()
}

// dntAnswer says in words what a site answered about DNT.
func dntAnswer(a status.SiteAnswer) string {
	switch {
	case a.EFFPolicy:
		return lang.L("Honours it (EFF policy)")
	case a.HonorsDNT:
		return lang.L("Says it honours it")
	case a.TrackingStatus != "" || a.Tk != "":
		return lang.L("Tracks (status {{.Status}})", map[string]any{"Status": firstNonEmpty(a.TrackingStatus, a.Tk)})
	}
	return lang.L("No answer")
}

func gpcAnswer(a status.SiteAnswer) string {
	if a.HonorsGPC {
		return lang.L("Says it honours it")
	}
	return lang.L("No answer")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
