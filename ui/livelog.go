// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/status"
)

// liveLog is the Recent activity tab: the newest decisions, with the rule
// and list that matched, and an "allow" action. It re-reads the log only
// when the engine says it changed (Snapshot.Blocking.LogSeq) and the tab
// is visible.
type liveLog struct {
	u *UI

	list        *widget.List
	onlyBlocked *widget.Check
	filter      *widget.Entry
	empty       *widget.RichText

	all, rows []status.Decision
	stale     bool
	loading   bool
	parts     map[fyne.CanvasObject]*logRow // the list recycles rows
}

// logSize is how many decisions the tab shows.
const logSize = 500

func (l *liveLog) build() fyne.CanvasObject {
	l.onlyBlocked = widget.NewCheck(lang.L("Blocked requests only"), func(bool) { l.applyFilter() })
	l.onlyBlocked.SetChecked(true)
	l.filter = widget.NewEntry()
	l.filter.SetPlaceHolder(lang.L("Filter by site or address"))
	l.filter.OnChanged = func(string) { l.applyFilter() }
	l.empty = note("")
	l.list = widget.NewList(
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
	icon        *widget.Icon
	when        *widget.Label
	what        *widget.Label
	why         *widget.RichText
	allow       *widget.Button
	obj         fyne.CanvasObject
	currentSite string
}

func (l *liveLog) newRow() fyne.CanvasObject {
	r := &logRow{icon: widget.NewIcon(theme.CancelIcon()), when: widget.NewLabel("00:00:00"),
		what: widget.NewLabel(""), why: note("")}
	r.what.TextStyle.Bold = true
	r.what.Truncation = fyne.TextTruncateEllipsis
	r.allow = widget.NewButton(lang.L("Allow on this site"), nil)
	r.allow.OnTapped = func() { l.allow(r.currentSite) }
	r.obj = container.NewBorder(nil, nil, container.NewHBox(r.icon, r.when), container.NewCenter(r.allow),
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
	r.currentSite = firstNonEmpty(d.Site, d.Host)
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
	if r.currentSite == "" {
		r.allow.Hide()
	}
	setNote(r.why, decisionWhy(d))
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

// allow turns protections off on site, after the user confirmed by
// clicking (the button names the action).
func (l *liveLog) allow(site string) {
	u := l.u
	if site == "" {
		return
	}
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		err := u.c.AllowSite(ctx, site)
		return func() {
			if err != nil {
				u.fail(err)
				return
			}
			u.inform(lang.L("Protections are now off on {{.Site}}. You can undo this under Allowed sites.", map[string]any{"Site": site}))
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
