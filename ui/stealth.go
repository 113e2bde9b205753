// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// stealth is the Blocking tab for what the trackers that get through do
// not get: cookies, identifying headers, with exceptions per site.
type stealth struct {
	u *UI

	trackerCookies, allCookies       *Toggle
	thirdAge, firstAge               *selectBox
	clientData, cacheID, auth, hints *Toggle
	reach                            *callout
	excEntry                         *entry
	excErr                           *widget.Label
	excAdd                           *button
	excChecks                        map[settings.Feature]*checkBox
	excRows                          *fyne.Container
	shownExc                         string
	jsEntry                          *entry
	jsErr                            *widget.Label
	jsAdd                            *button
	jsRows                           *fyne.Container
	shownJS                          string
}

// cookieAges are the lifetime caps the window offers (0: no cap).
var cookieAges = []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

func cookieAgeNames() []string {
	return []string{lang.L("No limit"), lang.L("1 hour"), lang.L("1 day"), lang.L("1 week"), lang.L("30 days")}
}

// featureName names a feature for a person.
func featureName(f settings.Feature) string {
	switch f {
	case settings.FeatureCookies:
		return lang.L("Cookies")
	case settings.FeatureClientData:
		return lang.L("Chrome's identifier")
	case settings.FeatureCacheID:
		return lang.L("Cache identifiers")
	case settings.FeatureAuthorization:
		return lang.L("Passwords kept by the browser")
	case settings.FeatureClientHints:
		return lang.L("Device details")
	case settings.FeaturePageSignals:
		return lang.L("Signals in the page")
	}
	return f.String()
}

func (s *stealth) build() fyne.CanvasObject {
	u := s.u
	toggle := func(label string, field func(*settings.Settings) *bool) *Toggle {
		return NewToggle(label, func(on bool) {
			u.change(func(st *settings.Settings) error { *field(st) = on; return nil })
		})
	}
	age := func(field func(*settings.Settings) *time.Duration) *selectBox {
		return newSelect(cookieAgeNames(), func(choice string) {
			i := slices.Index(cookieAgeNames(), choice)
			if i < 0 {
				return
			}
			u.change(func(st *settings.Settings) error { *field(st) = cookieAges[i]; return nil })
		})
	}
	s.reach = newCallout(status.Info, "", nil)
	s.trackerCookies = toggle(lang.L("Keep trackers' cookies away"), func(st *settings.Settings) *bool { return &st.Stealth.TrackerCookies })
	s.allCookies = toggle(lang.L("Keep every other site's cookies away"), func(st *settings.Settings) *bool { return &st.Stealth.ThirdPartyCookies })
	s.thirdAge = age(func(st *settings.Settings) *time.Duration { return &st.Stealth.ThirdPartyCookieMaxAge })
	s.firstAge = age(func(st *settings.Settings) *time.Duration { return &st.Stealth.FirstPartyCookieMaxAge })
	cookies := section(lang.L("Cookies"), lang.L("A cookie lets a tracker recognise you on every site that loads it. Browsers such as Chrome keep trackers' cookies for good."),
		switchRow(lang.L("Keep trackers' cookies away"),
			lang.L("Known trackers on other sites than the one you are on get no cookie and cannot set one, also those Polaris lets load (allowed once, exceptions, a company's own sites)."), s.trackerCookies),
		widget.NewSeparator(),
		switchRow(lang.L("Keep every other site's cookies away"),
			lang.L("The same for every site other than the one you are on. Logins inside embedded frames (comments, payments) may stop working."), s.allCookies),
		widget.NewSeparator(),
		controlRow(lang.L("Other sites' cookies live at most"),
			lang.L("Cookies that other sites set are forgotten after this time."), fixedWidth(150, s.thirdAge)),
		widget.NewSeparator(),
		controlRow(lang.L("Cookies of the site you are on live at most"),
			lang.L("A limit here can log you out of sites more often."), fixedWidth(150, s.firstAge)))

	s.clientData = toggle(lang.L("Remove Chrome's identifier"), func(st *settings.Settings) *bool { return &st.Stealth.ClientData })
	s.cacheID = toggle(lang.L("Remove cache identifiers"), func(st *settings.Settings) *bool { return &st.Stealth.CacheID })
	s.auth = toggle(lang.L("Keep browser passwords from other sites"), func(st *settings.Settings) *bool { return &st.Stealth.Authorization })
	s.hints = toggle(lang.L("Hide device details from other sites"), func(st *settings.Settings) *bool { return &st.Stealth.ClientHints })
	headers := section(lang.L("What your browser tells other sites"),
		lang.L("Polaris never changes your browser's name and version: a browser that claims to be another is easier to recognise, not harder."),
		switchRow(lang.L("Remove Chrome's identifier"),
			lang.L("Chrome and Edge send Google an identifier of their installation (X-Client-Data)."), s.clientData),
		widget.NewSeparator(),
		switchRow(lang.L("Remove cache identifiers"),
			lang.L("Other sites can hide an identifier in what your browser keeps in its cache (ETag); Polaris removes it, so their files are fetched again instead."), s.cacheID),
		widget.NewSeparator(),
		switchRow(lang.L("Keep browser passwords from other sites"),
			lang.L("Images, scripts and frames from other sites, and every tracker, do not get the passwords your browser remembered. A site's own scripts calling a service with a key keep working."), s.auth),
		widget.NewSeparator(),
		switchRow(lang.L("Hide device details from other sites"),
			lang.L("Other sites do not get your exact browser version, system version, device model or processor."), s.hints))

	s.excEntry, s.excErr, s.excAdd = siteEntry(lang.L("Add"), s.addException)
	s.excChecks = map[settings.Feature]*checkBox{}
	var checks []fyne.CanvasObject
	for _, f := range settings.Features() {
		c := newCheck(featureName(f), nil)
		s.excChecks[f] = c
		checks = append(checks, c)
	}
	s.excRows = container.NewVBox()
	exceptions := section(lang.L("Sites where these protections are off"),
		lang.L("For a site that does not work with them: tick what to turn off there. It applies on the site's pages and to requests to it."),
		container.NewBorder(nil, nil, nil, s.excAdd, s.excEntry), container.NewGridWrap(fyne.NewSize(230, 36), checks...),
		s.excErr, widget.NewSeparator(), s.excRows)
	s.jsEntry, s.jsErr, s.jsAdd = siteEntry(lang.L("Add"), s.addNoScript)
	s.jsRows = container.NewVBox()
	noJS := section(lang.L("Sites without JavaScript"),
		lang.L("Pages of these sites run no script at all (Polaris adds a Content-Security-Policy that forbids them). Many sites need scripts to work; this is for sites you only read."),
		container.NewBorder(nil, nil, nil, s.jsAdd, s.jsEntry), s.jsErr, widget.NewSeparator(), s.jsRows)
	return tabPage(s.reach.obj, cookies, headers, exceptions, noJS)
}

func (s *stealth) addNoScript() {
	p, err := checkSite(s.jsEntry.Text)
	if err != nil {
		return
	}
	s.jsEntry.SetText("")
	s.u.change(func(st *settings.Settings) error {
		if !slices.Contains(st.Stealth.NoScript, p) {
			st.Stealth.NoScript = append(st.Stealth.NoScript, p)
		}
		return nil
	})
}

func (s *stealth) noScriptRows(sites []string) {
	var rows []fyne.CanvasObject
	for _, site := range sites {
		site := site
		rm := newButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() {
			s.u.change(func(st *settings.Settings) error {
				st.Stealth.NoScript = slices.DeleteFunc(st.Stealth.NoScript, func(x string) bool { return x == site })
				return nil
			})
		})
		rows = append(rows, container.NewBorder(nil, nil, nil, rm, widget.NewLabel(site)))
	}
	if len(rows) == 0 {
		rows = append(rows, note(lang.L("No sites yet: scripts run as the sites send them.")))
	}
	s.jsRows.Objects = rows
	s.jsRows.Refresh()
}

// reachText says where the protections work, given HTTPS filtering.
func reachText(filter bool) string {
	if filter {
		return lang.L("These protections work on plain HTTP sites and, since Polaris looks inside secure connections, on HTTPS sites too (except the sites it never opens).")
	}
	return lang.L("These protections work on plain HTTP sites only: on HTTPS sites they need Polaris to look inside secure connections (HTTPS screen).")
}

func (s *stealth) update() {
	set := s.u.set.Stealth
	sev := status.Info
	if !s.u.set.HTTPS.Filter {
		sev = status.Warning
	}
	s.reach.set(sev, reachText(s.u.set.HTTPS.Filter))
	s.trackerCookies.SetOn(set.TrackerCookies)
	s.allCookies.SetOn(set.ThirdPartyCookies)
	selectAge(s.thirdAge, set.ThirdPartyCookieMaxAge)
	selectAge(s.firstAge, set.FirstPartyCookieMaxAge)
	s.clientData.SetOn(set.ClientData)
	s.cacheID.SetOn(set.CacheID)
	s.auth.SetOn(set.Authorization)
	s.hints.SetOn(set.ClientHints)
	parts := make([]string, len(set.Exceptions))
	for i, e := range set.Exceptions {
		parts[i] = e.String()
	}
	if key := strings.Join(parts, "\n"); key != s.shownExc || s.excRows.Objects == nil {
		s.shownExc = key
		s.exceptionRows(set.Exceptions)
	}
	if key := strings.Join(set.NoScript, "\n"); key != s.shownJS || s.jsRows.Objects == nil {
		s.shownJS = key
		s.noScriptRows(set.NoScript)
	}
}

// selectAge shows d in sel, adding it as a choice when the window does not
// offer it (set from the command line).
func selectAge(sel *selectBox, d time.Duration) {
	names := cookieAgeNames()
	if i := slices.Index(cookieAges, d); i >= 0 {
		sel.Options = names
		sel.SetSelectedIndex(i)
		return
	}
	sel.Options = append(names, d.String())
	sel.SetSelectedIndex(len(names))
}

func (s *stealth) exceptionRows(exc []settings.StealthException) {
	var rows []fyne.CanvasObject
	for _, e := range exc {
		site := e.Site
		var names []string
		for _, f := range settings.Features() {
			if e.Off&f != 0 {
				names = append(names, featureName(f))
			}
		}
		rm := newButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() {
			s.u.change(func(st *settings.Settings) error {
				st.Stealth.Exceptions = slices.DeleteFunc(st.Stealth.Exceptions, func(x settings.StealthException) bool { return x.Site == site })
				return nil
			})
		})
		label := widget.NewLabel(site + " — " + strings.Join(names, lang.X("format.list-separator", ", ")))
		label.Wrapping = fyne.TextWrapWord
		rows = append(rows, container.NewBorder(nil, nil, nil, rm, label))
	}
	if len(rows) == 0 {
		rows = append(rows, note(lang.L("No sites yet: these protections are on everywhere.")))
	}
	s.excRows.Objects = rows
	s.excRows.Refresh()
}

func (s *stealth) addException() {
	p, err := checkSite(s.excEntry.Text)
	if err != nil {
		return
	}
	var off settings.Feature
	for f, c := range s.excChecks {
		if c.Checked {
			off |= f
		}
	}
	if off == 0 {
		s.excErr.SetText(lang.L("Tick at least one protection to turn off on this site."))
		s.excErr.Show()
		return
	}
	s.excEntry.SetText("")
	for _, c := range s.excChecks {
		c.SetChecked(false)
	}
	s.u.change(func(st *settings.Settings) error {
		i := slices.IndexFunc(st.Stealth.Exceptions, func(x settings.StealthException) bool { return x.Site == p })
		if i >= 0 {
			st.Stealth.Exceptions[i].Off |= off
		} else {
			st.Stealth.Exceptions = append(st.Stealth.Exceptions, settings.StealthException{Site: p, Off: off})
		}
		return nil
	})
}
