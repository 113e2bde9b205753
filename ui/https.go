// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
)

// httpsScreen: HTTPS for search engines, HTTPS-first, referrer and link
// cleaning, HTTPS filtering with the certificate flow, exclusions.
type httpsScreen struct {
	u *UI

	search, first, referrer, params *Toggle
	bounce                          *Toggle
	filter, defaults                *Toggle

	caState, caDetail          *widget.Label
	install, uninstall, export *button
	regenerate                 *button
	caBusy                     *busyBar
	caBusyText                 *widget.Label

	excEntry *entry
	excAdd   *button
	excErr   *widget.Label
	excRows  *fyne.Container
	shownExc string
	passNote *widget.RichText
	passBtn  *button

	upstream *widget.Label
	dns      dnsSection

	// What the link-cleaning switches reach while filtering is off.
	referrerReach, paramsReach *widget.RichText
}

func (h *httpsScreen) build() fyne.CanvasObject {
	u := h.u
	boolSetting := func(label string, field func(*settings.Settings) *bool) *Toggle {
		return NewToggle(label, func(on bool) {
			u.change(func(s *settings.Settings) error { *field(s) = on; return nil })
		})
	}
	h.search = boolSetting(lang.L("HTTPS for search engines"), func(s *settings.Settings) *bool { return &s.HTTPS.SearchEngines })
	h.first = boolSetting(lang.L("HTTPS first"), func(s *settings.Settings) *bool { return &s.HTTPS.First })
	h.referrer = boolSetting(lang.L("Hide the page you came from"), func(s *settings.Settings) *bool { return &s.HTTPS.TrimReferrer })
	h.params = boolSetting(lang.L("Remove tracking codes from links"), func(s *settings.Settings) *bool { return &s.HTTPS.StripParams })
	h.bounce = boolSetting(lang.L("Skip click trackers"), func(s *settings.Settings) *bool { return &s.HTTPS.SkipRedirectors })
	h.referrerReach, h.paramsReach = note(""), note("")
	secure := section(lang.L("Safer connections"), "",
		switchRow(lang.L("Always use HTTPS for search engines"),
			lang.L("Searches typed as plain http:// on Google, Bing, DuckDuckGo and others go to their secure address, so nobody on your network can read what you search for."), h.search),
		widget.NewSeparator(),
		switchRow(lang.L("HTTPS first for every site"),
			lang.L("Polaris opens the secure address of every site first, and warns you before a site is opened without encryption."), h.first),
		widget.NewSeparator(),
		switchRow(lang.L("Hide the page you came from"),
			lang.L("When you follow a link, the next site learns only which site you came from, not which page. Your search terms never leave the search engine."), h.referrer),
		h.referrerReach,
		widget.NewSeparator(),
		switchRow(lang.L("Remove tracking codes from links"),
			lang.L("Codes such as utm_source or fbclid, added to links to follow where you click, are removed."), h.params),
		h.paramsReach,
		widget.NewSeparator(),
		switchRow(lang.L("Skip click trackers"),
			lang.L("A link that goes through a click counter (google.com/url, l.facebook.com, out.reddit.com and others) goes straight to where it leads. Works with removing tracking codes; on HTTPS links only while Polaris looks inside secure connections."), h.bounce))

	h.filter = NewToggle(lang.L("Look inside secure connections"), h.filterChanged)
	h.caState = strong("")
	h.caDetail = widget.NewLabel("")
	h.caDetail.Wrapping = fyne.TextWrapWord
	h.install = newButtonWithIcon(lang.L("Install the certificate"), theme.ConfirmIcon(), h.installCA)
	h.install.Importance = widget.HighImportance
	h.uninstall = newButtonWithIcon(lang.L("Remove it"), theme.DeleteIcon(), h.uninstallCA)
	h.export = newButtonWithIcon(lang.L("Save a copy…"), theme.DocumentSaveIcon(), h.exportCA)
	h.regenerate = newButtonWithIcon(lang.L("Make a new one…"), theme.ViewRefreshIcon(), h.regenerateCA)
	h.caBusy = h.u.newBusyBar()
	h.caBusyText = widget.NewLabel("")
	h.caBusyText.Hide()
	filtering := section(lang.L("Look inside secure connections (advanced)"),
		lang.L("Most sites use HTTPS, which Polaris cannot see into: there it can only block whole sites and cannot add your privacy signals. To do more, Polaris can act as a certificate authority for this computer alone."),
		textBlock(lang.L("1. Let your browsers trust Polaris"),
			lang.L("Polaris made a certificate just for this computer; its secret key never leaves it. Installing it lets Polaris open secure connections for you — and Polaris still checks every site's real certificate, so a fake site is still refused. You can remove it at any time.")),
		h.caState, h.caDetail,
		container.NewHBox(h.install, h.uninstall, h.export, h.regenerate),
		container.NewBorder(nil, nil, nil, h.caBusyText, h.caBusy),
		widget.NewSeparator(),
		switchRow(lang.L("2. Look inside secure connections"),
			lang.L("Blocking and privacy signals then work on HTTPS sites too. Sites in the list below are never opened."), h.filter))

	h.defaults = boolSetting(lang.L("Never open banking, health and government sites"), func(s *settings.Settings) *bool { return &s.HTTPS.DefaultExclusions })
	h.excEntry, h.excErr, h.excAdd = siteEntry(lang.L("Add"), h.addExclusion)
	h.excRows = container.NewVBox()
	h.passNote = note("")
	h.passBtn = newButtonWithIcon(lang.L("Look inside them again"), theme.ViewRefreshIcon(), h.forgetPassThrough)
	h.passBtn.Hide()
	exclusions := section(lang.L("Never look inside"), "",
		switchRow(lang.L("Never open banking, health and government sites"),
			lang.L("Polaris's built-in list of sensitive sites passes through untouched."), h.defaults),
		widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, h.excAdd, h.excEntry), h.excErr, h.excRows,
		container.NewBorder(nil, nil, nil, container.NewCenter(h.passBtn), h.passNote))

	h.upstream = widget.NewLabel("")
	h.upstream.Wrapping = fyne.TextWrapWord
	choose := newButton(lang.L("Choose a file…"), h.chooseUpstream)
	clear := newButton(lang.L("Clear"), func() {
		u.change(func(s *settings.Settings) error { s.HTTPS.UpstreamCA = ""; return nil })
	})
	upstream := section(lang.L("Extra trusted certificate authority (advanced)"),
		lang.L("Only for networks, such as some company networks, whose own certificate authority you must trust. Polaris always trusts your system's authorities too."),
		container.NewBorder(nil, nil, nil, container.NewHBox(choose, clear), h.upstream))

	return page(lang.L("HTTPS"), lang.L("Keep your connections encrypted and your clicks your own."),
		secure, h.dns.build(u), filtering, exclusions, upstream)
}

func (h *httpsScreen) update() {
	set, snap := h.u.set.HTTPS, h.u.snap.HTTPS
	h.search.SetOn(set.SearchEngines)
	h.first.SetOn(set.First)
	h.referrer.SetOn(set.TrimReferrer)
	h.params.SetOn(set.StripParams)
	h.bounce.SetOn(set.SkipRedirectors)
	h.filter.SetOn(set.Filter)
	h.defaults.SetOn(set.DefaultExclusions)
	limit := ""
	if !set.Filter {
		limit = httpOnlyText()
	}
	setNote(h.referrerReach, limit)
	setNote(h.paramsReach, limit)

	ca := snap.CA
	switch {
	case !ca.Present:
		h.caState.SetText(lang.L("Polaris makes its certificate the first time you install it."))
		h.caDetail.SetText("")
		h.caDetail.Hide()
	case len(ca.Installed) == 0:
		h.caState.SetText(lang.L("The certificate is not installed: your browsers do not trust Polaris."))
	default:
		h.caState.SetText(lang.L("Installed in: {{.Where}}", map[string]any{"Where": strings.Join(ca.Installed, lang.X("format.list-separator", ", "))}))
	}
	if ca.Present {
		h.caDetail.SetText(lang.L("Fingerprint (SHA-256): {{.Fingerprint}}\nValid until {{.Date}}", map[string]any{
			"Fingerprint": ca.Fingerprint, "Date": date(ca.NotAfter)}))
		h.caDetail.Show()
	}
	if !h.caBusy.Visible() { // while busy, the buttons come back when the work is done
		enable(h.uninstall, len(ca.Installed) > 0)
		enable(h.export, ca.Present)
		enable(h.regenerate, ca.Present)
	}
	if key := strings.Join(set.Exclusions, "\n"); key != h.shownExc || h.excRows.Objects == nil {
		h.shownExc = key
		h.exclusionRows(set.Exclusions)
	}
	if len(snap.PassThrough) > 0 {
		setNote(h.passNote, lang.L("These sites refused Polaris's certificate (they check for their own) and pass through untouched: {{.Hosts}}",
			map[string]any{"Hosts": strings.Join(snap.PassThrough, lang.X("format.list-separator", ", "))}))
		h.passBtn.Show()
	} else {
		setNote(h.passNote, "")
		h.passBtn.Hide()
	}
	if set.UpstreamCA == "" {
		h.upstream.SetText(lang.L("None"))
	} else {
		h.upstream.SetText(set.UpstreamCA)
	}
	h.dns.update()
}

// exclusionRows shows the user's exclusions with their Remove buttons.
func (h *httpsScreen) exclusionRows(exclusions []string) {
	var rows []fyne.CanvasObject
	for _, p := range exclusions {
		rm := newButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() {
			h.u.change(func(s *settings.Settings) error {
				s.HTTPS.Exclusions = slices.DeleteFunc(s.HTTPS.Exclusions, func(x string) bool { return x == p })
				return nil
			})
		})
		rows = append(rows, container.NewBorder(nil, nil, nil, rm, widget.NewLabel(p)))
	}
	h.excRows.Objects = rows
	h.excRows.Refresh()
}

func (h *httpsScreen) shown() {}

func (h *httpsScreen) filterChanged(on bool) {
	u := h.u
	apply := func() { u.change(func(s *settings.Settings) error { s.HTTPS.Filter = on; return nil }) }
	if on && len(u.snap.HTTPS.CA.Installed) == 0 {
		u.confirmRisky(lang.L("The certificate is not installed"),
			lang.L("Until your browsers trust Polaris's certificate, secure sites will show a warning instead of opening. Turn this on anyway?"),
			lang.L("Turn it on anyway"), lang.L("Keep it off"),
			func(risky bool) {
				if risky {
					apply()
				} else {
					h.filter.SetOn(false)
				}
			})
		return
	}
	apply()
}

// caWork runs a certificate action with the progress bar showing.
func (h *httpsScreen) caWork(doing string, work func() (report string, err error), done func(report string)) {
	u := h.u
	h.caBusyText.SetText(doing)
	h.caBusyText.Show()
	h.caBusy.Show()
	h.caBusy.Start()
	for _, b := range []*button{h.install, h.uninstall, h.export, h.regenerate} {
		b.Disable()
	}
	u.bg(func() func() {
		report, err := work()
		return func() {
			h.caBusy.Stop()
			h.caBusy.Hide()
			h.caBusyText.Hide()
			h.install.Enable()
			u.refresh()
			if err != nil {
				u.fail(err)
				return
			}
			if done != nil {
				done(report)
			}
		}
	})
}

func (h *httpsScreen) installCA() {
	u := h.u
	h.caWork(lang.L("Installing…"), func() (string, error) {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		return u.c.InstallCA(ctx)
	}, func(report string) {
		dialog.ShowInformation(lang.L("Certificate installed"), report, u.win)
	})
}

func (h *httpsScreen) uninstallCA() {
	u := h.u
	dialog.ShowConfirm(lang.L("Remove Polaris's certificate?"),
		lang.L("Your browsers will stop trusting Polaris. Looking inside secure connections is turned off too."),
		func(ok bool) {
			if !ok {
				return
			}
			h.caWork(lang.L("Removing…"), func() (string, error) {
				ctx, cancel := u.ctxFor(longCall)
				defer cancel()
				return u.c.UninstallCA(ctx)
			}, func(report string) {
				dialog.ShowInformation(lang.L("Certificate removed"), report, u.win)
			})
		}, u.win)
}

func (h *httpsScreen) regenerateCA() {
	u := h.u
	dialog.ShowConfirm(lang.L("Make a new certificate?"),
		lang.L("The old certificate stops working. If it was installed, Polaris installs the new one in its place."),
		func(ok bool) {
			if !ok {
				return
			}
			h.caWork(lang.L("Making a new certificate…"), func() (string, error) {
				ctx, cancel := u.ctxFor(longCall)
				defer cancel()
				return "", u.c.RegenerateCA(ctx)
			}, func(string) { u.inform(lang.L("Polaris now uses a new certificate.")) })
		}, u.win)
}

func (h *httpsScreen) exportCA() {
	u := h.u
	u.pickFile(filePick{save: true, name: "polaris-ca.pem", exts: []string{".pem", ".crt", ".der", ".cer"}}, func(path string, err error) {
		if err != nil || path == "" {
			u.fail(err) // nil (cancelled): nothing
			return
		}
		ext := strings.ToLower(filepath.Ext(path))
		der := ext == ".der" || ext == ".cer"
		h.caWork(lang.L("Saving…"), func() (string, error) { return "", u.c.ExportCA(path, der) },
			func(string) {
				u.inform(lang.L("The certificate was saved to {{.Path}}.", map[string]any{"Path": path}))
			})
	})
}

func (h *httpsScreen) chooseUpstream() {
	u := h.u
	u.pickFile(filePick{exts: []string{".pem", ".crt", ".cer"}}, func(path string, err error) {
		if err != nil || path == "" {
			u.fail(err)
			return
		}
		u.change(func(s *settings.Settings) error { return s.Set("https.upstream-ca", path) })
	})
}

// forgetPassThrough looks inside the sites that refused the certificate
// again (their apps may have stopped checking for their own).
func (h *httpsScreen) forgetPassThrough() {
	u := h.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(time.Minute)
		defer cancel()
		_, err := u.c.ForgetPassThrough(ctx, "")
		return func() {
			if err != nil {
				u.fail(err)
				return
			}
			u.inform(lang.L("Polaris looks inside those sites again. If one of them refuses the certificate again, it passes through again."))
		}
	})
}

func (h *httpsScreen) addExclusion() {
	p, err := checkSite(h.excEntry.Text)
	if err != nil {
		return
	}
	h.excEntry.SetText("")
	h.u.change(func(s *settings.Settings) error {
		if !slices.Contains(s.HTTPS.Exclusions, p) {
			s.HTTPS.Exclusions = append(s.HTTPS.Exclusions, p)
		}
		return nil
	})
}
