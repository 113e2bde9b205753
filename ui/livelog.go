// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// liveLog is the Recent activity tab: the newest decisions, with the rule
// and list that matched, and an "allow" action. It re-reads the log only
// when the engine says it changed (Snapshot.Blocking.LogSeq) and the tab
// is visible.
type liveLog struct {
	u *UI

	list        *listBox
	onlyBlocked *checkBox
	filter      *entry
	empty       *widget.RichText

	all, rows []status.Decision
	stale     bool
	loading   bool
	parts     map[fyne.CanvasObject]*logRow // the list recycles rows
}

// logSize is how many decisions the tab shows.
const logSize = 500

func (l *liveLog) build() fyne.CanvasObject {
	l.onlyBlocked = newCheck(lang.L("Blocked requests only"), func(bool) { l.applyFilter() })
	l.onlyBlocked.SetChecked(true)
	l.filter = newEntry()
	l.filter.SetPlaceHolder(lang.L("Filter by site or address"))
	l.filter.OnChanged = func(string) { l.applyFilter() }
	l.empty = note("")
	l.list = newList(
		func() int { return len(l.rows) },
		l.newRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { l.fillRow(i, o) })
	top := container.NewVBox(
		note(lang.L("What Polaris did with the latest requests, newest first. Kept in memory only.")),
		container.NewBorder(nil, nil, l.onlyBlocked, nil, l.filter),
		l.empty)
	return container.NewBorder(container.NewPadded(top), nil, nil, nil, l.list)
}

// logRow is one decision in the list.
type logRow struct {
	icon    *widget.Icon
	when    *widget.Label
	what    *widget.Label
	why     *widget.RichText
	allow   *button
	circuit *button // Tor mode: new circuits for the row's site
	obj     fyne.CanvasObject
	current status.Decision
}

func (l *liveLog) newRow() fyne.CanvasObject {
	r := &logRow{icon: widget.NewIcon(theme.CancelIcon()), when: widget.NewLabel("00:00:00"),
		what: widget.NewLabel(""), why: note("")}
	r.what.TextStyle.Bold = true
	r.what.Truncation = fyne.TextTruncateEllipsis
	r.allow = newButtonWithIcon(lang.L("Allow…"), theme.MenuDropDownIcon(), nil)
	r.allow.OnTapped = func() { l.allowMenu(r.current, r.allow) }
	r.circuit = newButtonWithIcon(lang.L("New Tor circuits"), theme.ViewRefreshIcon(), nil)
	r.circuit.OnTapped = func() { l.newCircuit(rowSite(r.current)) }
	r.circuit.Hide()
	r.obj = container.NewBorder(nil, nil, container.NewHBox(r.icon, r.when),
		container.NewHBox(container.NewCenter(r.circuit), container.NewCenter(r.allow)),
		container.NewVBox(r.what, r.why))
	if l.parts == nil {
		l.parts = map[fyne.CanvasObject]*logRow{}
	}
	l.parts[r.obj] = r
	return r.obj
}

func (l *liveLog) fillRow(i int, o fyne.CanvasObject) {
	r := l.parts[o]
	if r == nil || i >= len(l.rows) {
		return
	}
	d := l.rows[i]
	r.when.SetText(d.Time.Format(lang.X("format.clock-seconds", "15:04:05")))
	r.what.SetText(d.URL)
	r.current = d
	switch d.Verdict {
	case status.Blocked:
		r.icon.SetResource(theme.NewErrorThemedResource(theme.CancelIcon()))
		r.allow.Show()
	case status.Excepted:
		r.icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		r.allow.Hide()
	case status.Redirected:
		r.icon.SetResource(theme.NewPrimaryThemedResource(theme.MailForwardIcon()))
		r.allow.Hide()
	default:
		r.icon.SetResource(theme.ConfirmIcon())
		r.allow.Hide()
	}
	if d.Host == "" {
		r.allow.Hide()
	}
	if l.u.set.Tor.Enabled && rowSite(d) != "" {
		r.circuit.Show()
	} else {
		r.circuit.Hide()
	}
	setNote(r.why, decisionWhy(d))
}

// rowSite is the site a log row's request was made for: the page's site,
// or the page itself for a page load.
func rowSite(d status.Decision) string {
	if d.Site != "" {
		return d.Site
	}
	if d.Type == "document" {
		return d.Host
	}
	return ""
}

// newCircuit gives site new Tor circuits (issue 19: also from the log).
func (l *liveLog) newCircuit(site string) {
	u := l.u
	if site == "" {
		return
	}
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		done, err := u.c.NewCircuit(ctx, site)
		return func() {
			if err != nil {
				u.fail(err)
				return
			}
			u.inform(newCircuitsDone(done))
		}
	})
}

// decisionWhy says which rule of which list decided, or why, and through
// which chain of names when the host is an alias (CNAME uncloaking).
func decisionWhy(d status.Decision) string {
	why := ruleWhy(d)
	if len(d.CNAMEs) == 0 {
		return why
	}
	chain := d.Host + " → " + strings.Join(d.CNAMEs, " → ")
	if d.CNAME != "" {
		return why + "\n" + lang.L("A tracker hidden behind the site's name: {{.Chain}}", map[string]any{"Chain": chain})
	}
	return why + "\n" + lang.L("Alias of: {{.Chain}}", map[string]any{"Chain": chain})
}

func ruleWhy(d status.Decision) string {
	site := d.Site
	if site == "" {
		site = lang.L("an unknown site")
	}
	switch {
	case d.Rule != "" && d.List != "":
		return lang.L("On {{.Site}} · rule {{.Rule}} from {{.List}}", map[string]any{"Site": site, "Rule": d.Rule, "List": d.List})
	case d.Rule != "":
		return lang.L("On {{.Site}} · rule {{.Rule}}", map[string]any{"Site": site, "Rule": d.Rule})
	case d.Reason != "":
		return lang.L("On {{.Site}} · {{.Reason}}", map[string]any{"Site": site, "Reason": d.Reason})
	}
	return lang.L("On {{.Site}}", map[string]any{"Site": site})
}

// The allow actions of a blocked request, narrowest first: this tracker
// on this site only; protection off on the whole site (named, confirmed);
// this tracker on every site (confirmed). A request whose site is unknown
// (an HTTPS connection Polaris did not look inside) offers only the last:
// allowing "its site" would allow the tracker itself everywhere.

// allowMenu offers the allow actions for d below the button.
func (l *liveLog) allowMenu(d status.Decision, under fyne.CanvasObject) {
	u := l.u
	var items []*fyne.MenuItem
	if d.Site != "" {
		items = append(items,
			fyne.NewMenuItem(lang.L("Allow {{.Tracker}} on {{.Site}} only", map[string]any{"Tracker": d.Host, "Site": d.Site}),
				func() { l.allowPair(d.Host, d.Site) }),
			fyne.NewMenuItem(lang.L("Turn off protection on {{.Site}}…", map[string]any{"Site": d.Site}),
				func() { l.confirmAllowSite(d.Site) }))
	}
	items = append(items, fyne.NewMenuItem(lang.L("Allow {{.Tracker}} on every site…", map[string]any{"Tracker": d.Host}),
		func() { l.confirmAllowEverywhere(d) }))
	m := fyne.NewMenu("", items...)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(under)
	widget.ShowPopUpMenuAtPosition(m, u.win.Canvas(), pos.AddXY(0, under.Size().Height))
}

// exceptionRule is the rule that lets host through: on site only, or
// everywhere when site is "".
func exceptionRule(host, site string) string {
	r := "@@||" + host + "^"
	if site != "" {
		r += "$domain=" + site
	}
	return r
}

// addRule appends an exception rule to the user's own rules (once).
func (l *liveLog) addRule(rule, done string) {
	u := l.u
	u.change(func(s *settings.Settings) error {
		for _, line := range strings.Split(s.Blocking.CustomRules, "\n") {
			if strings.TrimSpace(line) == rule {
				return nil
			}
		}
		if s.Blocking.CustomRules != "" && !strings.HasSuffix(s.Blocking.CustomRules, "\n") {
			s.Blocking.CustomRules += "\n"
		}
		s.Blocking.CustomRules += rule
		return nil
	})
	u.inform(done)
}

// allowPair lets one tracker through on one site: nothing else changes.
func (l *liveLog) allowPair(host, site string) {
	l.addRule(exceptionRule(host, site),
		lang.L("{{.Tracker}} is now allowed on {{.Site}}, and still blocked everywhere else. You can undo this under Blocking, Your rules.",
			map[string]any{"Tracker": host, "Site": site}))
}

// confirmAllowSite asks before turning every protection off on site.
func (l *liveLog) confirmAllowSite(site string) {
	l.u.confirmRisky(lang.L("Turn off protection on {{.Site}}?", map[string]any{"Site": site}),
		lang.L("Nothing will be blocked on {{.Site}} and its subdomains: none of the trackers its pages load. Other sites stay protected.", map[string]any{"Site": site}),
		lang.L("Turn off protection on {{.Site}}", map[string]any{"Site": site}), lang.L("Cancel"),
		func(risky bool) {
			if risky {
				l.allowSite(site)
			}
		})
}

// confirmAllowEverywhere asks before letting a tracker through on every site.
func (l *liveLog) confirmAllowEverywhere(d status.Decision) {
	msg := lang.L("{{.Tracker}} will be allowed on every site you visit, and can follow you from one to the next.", map[string]any{"Tracker": d.Host})
	if d.Site == "" {
		msg += " " + lang.L("Polaris could not tell which site loaded it: it does not look inside this secure connection, so it can only allow it everywhere or nowhere.")
	}
	l.u.confirmRisky(lang.L("Allow {{.Tracker}} on every site?", map[string]any{"Tracker": d.Host}), msg,
		lang.L("Allow it everywhere"), lang.L("Cancel"),
		func(risky bool) {
			if risky {
				l.addRule(exceptionRule(d.Host, ""),
					lang.L("{{.Tracker}} is now allowed on every site. You can undo this under Blocking, Your rules.", map[string]any{"Tracker": d.Host}))
			}
		})
}

// allowSite turns protections off on site (after the user confirmed).
func (l *liveLog) allowSite(site string) {
	u := l.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		err := u.c.AllowSite(ctx, site)
		return func() {
			if err != nil {
				u.fail(err)
				return
			}
			text := lang.L("Protections are now off on {{.Site}}. You can undo this under Allowed sites.", map[string]any{"Site": site})
			if !u.set.HTTPS.Filter {
				text += " " + lang.L("Trackers it loads over HTTPS connections that Polaris does not look inside are still blocked: Polaris cannot tell which site those come from.")
			}
			u.inform(text)
			u.reloadSettings()
		}
	})
}

// reload re-reads the log, off the Fyne thread.
func (l *liveLog) reload() {
	if l.list == nil {
		return
	}
	if l.loading {
		l.stale = true
		return
	}
	l.loading, l.stale = true, false
	u := l.u
	u.bg(func() func() {
		ds := u.c.RecentDecisions(logSize)
		return func() {
			l.loading = false
			l.all = ds
			l.applyFilter()
			if l.stale {
				l.reload()
			}
		}
	})
}

func (l *liveLog) applyFilter() {
	if l.list == nil {
		return
	}
	q := strings.ToLower(strings.TrimSpace(l.filter.Text))
	l.rows = l.rows[:0]
	for _, d := range l.all {
		if l.onlyBlocked.Checked && d.Verdict != status.Blocked {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(d.URL), q) && !strings.Contains(strings.ToLower(d.Site), q) {
			continue
		}
		l.rows = append(l.rows, d)
	}
	switch {
	case len(l.all) == 0:
		setNote(l.empty, lang.L("Nothing yet. Requests appear here as your browsers use Polaris."))
	case len(l.rows) == 0:
		setNote(l.empty, lang.L("No request matches."))
	default:
		setNote(l.empty, "")
	}
	l.list.Refresh()
}

func (l *liveLog) update() {}

// shownTab is called when the tab becomes visible.
func (l *liveLog) shownTab() {
	if l.stale || l.all == nil {
		l.reload()
	}
}
