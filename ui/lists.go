// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"net/url"
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
	"polaris/internal/status"
)

// lists is the Lists tab: the subscribed block lists, updating them,
// adding one by URL, removing one.
type lists struct {
	u *UI

	rows      *fyne.Container
	updateAll *button
	progress  *busyBar
	progText  *widget.Label

	url, name *entry
	add       *button
	addErr    *widget.Label

	busy  map[int64]bool // lists with an action running (id 0: all)
	adds  int
	shown string // what the rows show, to rebuild only on change
}

// intervals offered for list updates.
var intervals = settings.ListIntervals

func intervalNames() []string {
	names := make([]string, len(intervals))
	for i, d := range intervals {
		names[i] = lang.L("Updates: {{.Every}}", map[string]any{"Every": every(d)})
		if d == 0 {
			names[i] = lang.L("No automatic updates")
		}
	}
	return names
}

func (l *lists) build() fyne.CanvasObject {
	l.busy = map[int64]bool{}
	l.rows = container.NewVBox()
	l.updateAll = newButtonWithIcon(lang.L("Update all now"), theme.ViewRefreshIcon(), func() { l.update1(0) })
	l.progress = l.u.newBusyBar()
	l.progText = widget.NewLabel("")
	l.progText.Hide()

	l.url = newEntry()
	l.url.SetPlaceHolder(lang.L("https://example.com/list.txt"))
	l.name = newEntry()
	l.name.SetPlaceHolder(lang.L("Name (optional)"))
	l.addErr = widget.NewLabel("")
	l.addErr.Importance = widget.DangerImportance
	l.addErr.Wrapping = fyne.TextWrapWord
	l.addErr.Hide()
	l.add = newButtonWithIcon(lang.L("Add list"), theme.ContentAddIcon(), l.addList)
	l.add.Disable()
	l.url.OnChanged = func(v string) {
		err := checkListURL(v)
		switch {
		case strings.TrimSpace(v) == "":
			l.addErr.Hide()
			l.add.Disable()
		case err != nil:
			l.addErr.SetText(lang.L("Enter the full address of a list, starting with https://"))
			l.addErr.Show()
			l.add.Disable()
		default:
			l.addErr.Hide()
			if l.adds == 0 {
				l.add.Enable()
			}
		}
	}
	l.url.OnSubmitted = func(string) {
		if !l.add.Disabled() {
			l.addList()
		}
	}

	subscribed := container.NewVBox(
		container.NewBorder(nil, nil, nil, l.updateAll,
			note(lang.L("Polaris downloads these lists itself and checks them for updates. Lists marked “non-commercial” are free for personal use only."))),
		container.NewBorder(nil, nil, nil, l.progText, l.progress),
		l.rows)
	add := section(lang.L("Add a list"),
		lang.L("Any list in Adblock Plus (EasyList) or hosts-file format. Polaris downloads it now and then checks it for updates."),
		container.NewBorder(nil, nil, nil, l.add, container.NewGridWithColumns(2, l.url, l.name)), l.addErr)
	return tabPage(heading(lang.L("Your lists")), subscribed, add)
}

func checkListURL(v string) error {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("not an http(s) URL")
	}
	return nil
}

func (l *lists) addList() {
	u := l.u
	addr, name := strings.TrimSpace(l.url.Text), strings.TrimSpace(l.name.Text)
	if checkListURL(addr) != nil {
		return
	}
	l.adds++
	l.add.Disable()
	l.refreshProgress()
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		err := u.c.AddList(ctx, addr, name)
		return func() {
			l.adds--
			switch {
			case errors.Is(err, status.ErrNotDownloaded):
				// Offline: the list stays, and says why it has no rules yet.
				l.url.SetText("")
				l.name.SetText("")
				why := strings.TrimPrefix(err.Error(), status.ErrNotDownloaded.Error()+": ")
				u.banner.show(status.Warning, lang.L("The list was added, but it could not be downloaded now ({{.Why}}). Polaris downloads it by itself as soon as it can reach it.",
					map[string]any{"Why": why}))
			case err != nil:
				u.fail(err)
			default:
				l.url.SetText("")
				l.name.SetText("")
				u.inform(lang.L("The list was added."))
			}
			if checkListURL(l.url.Text) == nil {
				l.add.Enable()
			}
			l.refreshProgress()
		}
	})
}

// update1 updates one list now (all when id is 0).
func (l *lists) update1(id int64) {
	u := l.u
	l.busy[id] = true
	l.refreshProgress()
	l.shown = "" // redraw the rows' buttons
	l.update()
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		err := u.c.UpdateLists(ctx, id)
		return func() {
			delete(l.busy, id)
			u.fail(err)
			l.refreshProgress()
			l.shown = ""
			l.update()
		}
	})
}

func (l *lists) remove(item status.List) {
	u := l.u
	dialog.ShowConfirm(lang.L("Remove this list?"),
		lang.L("Polaris will stop using the rules of “{{.Name}}”. You can add it again later.", map[string]any{"Name": item.Name}),
		func(ok bool) {
			if !ok {
				return
			}
			l.busy[item.ID] = true
			l.shown = ""
			l.update()
			u.bg(func() func() {
				ctx, cancel := u.ctxFor(longCall)
				defer cancel()
				err := u.c.RemoveList(ctx, item.ID)
				return func() { delete(l.busy, item.ID); u.fail(err); l.shown = ""; l.update() }
			})
		}, u.win)
}

func (l *lists) setEnabled(id int64, on bool) {
	u := l.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		err := u.c.SetListEnabled(ctx, id, on)
		return func() {
			u.fail(err)
			l.shown = ""
			l.update() // back to what the engine says
		}
	})
}

func (l *lists) setInterval(id int64, d time.Duration) {
	u := l.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		err := u.c.SetListInterval(ctx, id, d)
		return func() { u.fail(err); l.shown = ""; l.update() }
	})
}

// refreshProgress shows the bar while a download runs.
func (l *lists) refreshProgress() {
	running := l.adds > 0 || len(l.busy) > 0
	for _, it := range l.u.snap.Blocking.Lists {
		running = running || it.Updating
	}
	if running {
		l.progText.SetText(lang.L("Downloading…"))
		l.progText.Show()
		l.progress.Show()
		l.progress.Start()
		l.updateAll.Disable()
	} else {
		l.progress.Stop()
		l.progress.Hide()
		l.progText.Hide()
		l.updateAll.Enable()
	}
}

func (l *lists) update() {
	if l.rows == nil {
		return
	}
	l.refreshProgress()
	items := l.u.snap.Blocking.Lists
	key := listsKey(items, l.u.now())
	if key == l.shown {
		return
	}
	l.shown = key
	var rows []fyne.CanvasObject
	for _, it := range items {
		rows = append(rows, l.row(it))
	}
	if len(rows) == 0 {
		rows = append(rows, panel(note(lang.L("No lists yet. Polaris uses its own small built-in list until you add one."))))
	}
	l.rows.Objects = rows
	l.rows.Refresh()
}

// listsKey summarises what the rows display.
func listsKey(items []status.List, now time.Time) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(it.Name)
		b.WriteString(it.LastError)
		b.WriteString(it.License)
		b.WriteString(ago(now, it.LastSuccess))
		b.WriteString(count(it.Rules) + "/" + count(it.Errors) + "/" + it.Interval.String())
		if it.Enabled {
			b.WriteString("+")
		}
		if it.Updating {
			b.WriteString("~")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (l *lists) row(it status.List) fyne.CanvasObject {
	u := l.u
	id := it.ID
	on := NewToggle(lang.L("Use this list"), func(v bool) { l.setEnabled(id, v) })
	on.SetOn(it.Enabled)
	name := strong(it.Name)
	head := []fyne.CanvasObject{name}
	if it.NonCommercial {
		nc := widget.NewLabel(lang.L("Non-commercial licence"))
		nc.Importance = widget.WarningImportance
		nc.TextStyle.Bold = true
		head = append(head, nc)
	}
	upd := newButtonWithIcon(lang.L("Update now"), theme.ViewRefreshIcon(), func() { l.update1(id) })
	rm := newButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() { l.remove(it) })
	if l.busy[id] || l.busy[0] || it.Updating {
		upd.Disable()
		rm.Disable()
	}
	names := intervalNames()
	sel := newSelect(names, nil)
	if i := slices.Index(intervals, it.Interval); i >= 0 {
		sel.SetSelectedIndex(i)
	} else {
		sel.PlaceHolder = lang.L("Updates: {{.Every}}", map[string]any{"Every": every(it.Interval)})
	}
	sel.OnChanged = func(string) { l.setInterval(id, intervals[sel.SelectedIndex()]) }

	licence := it.License
	if licence == "" {
		licence = lang.L("unknown")
	}
	// Cells wrap rather than widen the row: a long licence or address must
	// not push the switches and buttons off the window.
	facts := container.NewGridWithColumns(3,
		wrapped(lang.N("{{.Count}} rules", it.Rules, map[string]any{"Count": count(it.Rules)})),
		wrapped(lang.L("Updated {{.When}}", map[string]any{"When": ago(u.now(), it.LastSuccess)})),
		wrapped(lang.N("{{.Count}} lines skipped", it.Errors, map[string]any{"Count": count(it.Errors)})),
	)
	body := []fyne.CanvasObject{
		container.NewBorder(nil, nil, container.NewCenter(on), container.NewHBox(upd, rm), container.NewVBox(head...)),
		container.NewBorder(nil, nil, nil, fixedWidth(210, sel), facts),
		wrapped(lang.L("Licence: {{.Licence}}", map[string]any{"Licence": licence})),
	}
	if it.URL != "" {
		body = append(body, note(it.URL))
	}
	if it.LastError != "" {
		e := widget.NewLabel(lang.L("The last update failed: {{.Err}}", map[string]any{"Err": it.LastError}))
		e.Importance = widget.DangerImportance
		e.Wrapping = fyne.TextWrapWord
		body = append(body, e)
	}
	return panel(body...)
}
