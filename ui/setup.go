// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// The guided set-up (issue 16 item 1), the window's face of `polaris
// setup`: the browsers found, the Do Not Track answer with nothing chosen,
// Global Privacy Control, the system proxy, HTTPS filtering explained with
// its risk (nothing chosen either), and on "yes" the certificate authority
// installed in each browser's own store, then each store read back.

// setupDialog is the open set-up.
type setupDialog struct {
	u        *UI
	browsers *widget.Label
	dnt      *radioGroup
	gpc      *checkBox
	proxy    *checkBox
	https    *radioGroup
	run      *button
	result   *widget.Label
	scroll   *container.Scroll // its page: Tab scrolls it (scrollIntoView)
	d        dialog.Dialog

	dntChoices, httpsChoices []string
}

// setupChoices are the answers of the set-up's two questions, in the
// language of the window: Do Not Track (1, 0, unset) and HTTPS (yes, no).
func setupChoices() (dnt, https []string) {
	return []string{
			lang.X("setup.dnt.1", "Ask sites not to track me"),
			lang.X("setup.dnt.0", "Tell sites I allow tracking"),
			lang.X("setup.dnt.unset", "Send nothing"),
		}, []string{
			lang.X("setup.https.yes", "Yes, filter secure pages too"),
			lang.X("setup.https.no", "No, leave secure pages alone"),
		}
}

// showSetup opens the set-up.
func (u *UI) showSetup() *setupDialog {
	s := &setupDialog{u: u}
	s.dntChoices, s.httpsChoices = setupChoices()
	s.browsers = widget.NewLabel(lang.L("Looking for browsers…"))
	s.browsers.Wrapping = fyne.TextWrapWord
	s.dnt = newRadioGroup(s.dntChoices, func(string) { s.ready() })
	cur := u.c.Settings()
	s.gpc = newCheck(lang.L("Send Global Privacy Control (ask sites not to sell or share my data)"), nil)
	s.gpc.SetChecked(cur.Signals.GPC)
	s.proxy = newCheck(lang.L("Make Polaris this computer's proxy, so that browsers go through it"), nil)
	s.proxy.SetChecked(true)
	s.https = newRadioGroup(s.httpsChoices, func(string) { s.ready() })
	explain := widget.NewLabel(lang.L("HTTPS filtering lets Polaris send your signals, trim referrers and block trackers inside secure (https://) pages too, by having your browsers trust a certificate authority that Polaris made for this computer alone. The risk: anyone who copies that authority's private key from this computer could pose as any website to these browsers, so Polaris keeps the key readable only by you, and you can remove the authority at any time."))
	explain.Wrapping = fyne.TextWrapWord
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	s.run = newButton(lang.L("Set up"), s.apply)
	s.run.Importance = widget.HighImportance
	s.run.Disable()
	content := container.NewVBox(
		widget.NewLabelWithStyle(lang.L("Browsers on this computer"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.browsers,
		widget.NewLabelWithStyle(lang.L("Do Not Track: what should your browsers tell sites?"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.dnt,
		s.gpc, s.proxy,
		widget.NewLabelWithStyle(lang.L("Filter secure pages (HTTPS)?"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), explain, s.https,
		s.run, s.result,
	)
	s.scroll = container.NewVScroll(content)
	s.scroll.SetMinSize(fyne.NewSize(560, 420))
	s.d = dialog.NewCustom(lang.L("Set up Polaris"), lang.L("Close"), s.scroll, u.win)
	// Finished or not, once closed the set-up does not open by itself
	// again; the Overview's row still opens it.
	s.d.SetOnClosed(u.markSetupSeen)
	s.d.Show()
	u.setup = s
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		found := u.c.FindBrowsers(ctx)
		return func() { s.browsers.SetText(browsersWords(found)) }
	})
	return s
}

// openSetupIfNew opens the set-up by itself when it was never finished
// nor closed on this data directory: the window's first start. A window
// started in the background opens it when it is first shown. A start that
// chose its first screen (Options.Screen: documentation screenshots) does
// not, except Screen "setup", which always does.
func (u *UI) openSetupIfNew() {
	if u.o.Screen != "" && u.o.Screen != "setup" {
		return
	}
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(time.Minute)
		defer cancel()
		seen, err := u.c.SetupSeen(ctx)
		if u.o.Screen == "setup" {
			seen, err = false, nil
		}
		return func() {
			if err != nil {
				u.o.Logf("cannot tell whether the set-up was done: %v", err)
				return
			}
			if seen {
				return
			}
			if u.hidden {
				u.setupPending = true
				return
			}
			u.showSetup()
		}
	})
}

// markSetupSeen records that the set-up was finished or closed.
func (u *UI) markSetupSeen() {
	u.setupPending = false
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(time.Minute)
		defer cancel()
		if err := u.c.MarkSetupSeen(ctx); err != nil {
			u.o.Logf("cannot record that the set-up was done: %v", err)
		}
		return nil
	})
}

// browsersWords lists the browsers found, one a line.
func browsersWords(found []status.FoundBrowser) string {
	if len(found) == 0 {
		return lang.L("None found in this account. Any browser set to use Polaris is protected all the same.")
	}
	lines := make([]string, 0, len(found))
	for _, b := range found {
		prof := lang.L("no profile yet")
		if len(b.Profiles) > 0 {
			prof = strings.Join(b.Profiles, lang.X("format.list-separator", ", "))
		}
		line := fmt.Sprintf("%s: %s", b.Name, prof)
		if b.Running {
			line += " " + lang.L("(open now)")
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// ready enables "Set up" once both questions without a default are
// answered.
func (s *setupDialog) ready() {
	if s.dnt.Selected != "" && s.https.Selected != "" {
		s.run.Enable()
	} else {
		s.run.Disable()
	}
}

// apply installs the CA (on yes) before filtering goes on, so that no
// browser refuses it first, then applies the settings and reads each
// browser's store back.
func (s *setupDialog) apply() {
	u := s.u
	c := s.dntChoices
	dnt := map[string]settings.DNT{c[0]: settings.DNTDoNotTrack, c[1]: settings.DNTAllowTracking, c[2]: settings.DNTUnset}[s.dnt.Selected]
	filter := s.https.Selected == s.httpsChoices[0]
	gpc, proxy := s.gpc.Checked, s.proxy.Checked
	s.run.Disable()
	s.result.SetText(lang.L("Setting up…"))
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		var lines []string
		var problem error
		if filter {
			if _, err := u.c.InstallCAInBrowsers(ctx); err != nil {
				problem = err
			}
		}
		set := u.c.Settings()
		set.Signals.DNT, set.Signals.GPC, set.System.SystemProxy, set.HTTPS.Filter = dnt, gpc, proxy, filter
		if err := u.c.Apply(ctx, set); err != nil {
			problem = err
		}
		if filter {
			report, err := u.c.BrowserTrust(ctx)
			if err != nil && problem == nil {
				problem = err
			}
			lines = trustWords(report)
		}
		return func() {
			s.run.Enable()
			u.reloadSettings()
			text := lang.L("Done.")
			if len(lines) > 0 {
				text += "\n" + strings.Join(lines, "\n")
			}
			if !filter {
				text += "\n" + lang.L("Secure pages pass through Polaris untouched, without your signals.")
			}
			if problem != nil {
				text += "\n" + problem.Error()
			}
			s.result.SetText(text)
		}
	})
}

// trustWords says a trust check's report in words, one store a line.
func trustWords(report string) []string {
	var out []string
	for _, l := range strings.Split(report, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, "installed in "):
			out = append(out, lang.L("Trusts Polaris: {{.Store}}", map[string]any{"Store": strings.TrimPrefix(l, "installed in ")}))
		default:
			out = append(out, lang.L("Does not trust Polaris yet (its secure pages are not filtered): {{.Store}}", map[string]any{"Store": l}))
		}
	}
	return out
}
