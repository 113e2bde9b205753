// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fmt"
	"net"
	"strconv"
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

// systemScreen: system proxy, PAC, autostart, port, what Polaris stores,
// export/import and deleting everything.
type systemScreen struct {
	u *UI

	sysProxy, firefox, failOpen, autostart *Toggle
	sysState                               *widget.Label
	sysWarn                                *widget.RichText
	pac                                    *widget.Label

	listening *widget.Label

	port     *entry
	portSave *button
	portErr  *widget.Label

	statsDays  *entry
	statsSave  *button
	logPersist *Toggle
	logKeep    *selectBox
	retention  *widget.Label
	inventory  *fyne.Container
	invDetails *foldout
	invNote    *callout
	exportBtn  *button
	importBtn  *button
	deleteBtn  *button
	dataBusy   *busyBar
	export     *exportForm // the Export dialog, while it shows
	passAsk    *passForm   // the passphrase dialog of an import, while it shows
}

var logRetentions = []time.Duration{settings.LogRetentionHour, settings.LogRetentionDay, settings.LogRetentionWeek}

func (y *systemScreen) build() fyne.CanvasObject {
	u := y.u
	boolSetting := func(label string, field func(*settings.Settings) *bool) *Toggle {
		return NewToggle(label, func(on bool) {
			u.change(func(s *settings.Settings) error { *field(s) = on; return nil })
		})
	}
	y.sysProxy = boolSetting(lang.L("Use Polaris as the system proxy"), func(s *settings.Settings) *bool { return &s.System.SystemProxy })
	y.firefox = boolSetting(lang.L("Make Firefox follow the system proxy"), func(s *settings.Settings) *bool { return &s.System.FirefoxUserJS })
	y.failOpen = boolSetting(lang.L("Let traffic through when Polaris is not running"), func(s *settings.Settings) *bool { return &s.System.PACFailOpen })
	y.autostart = boolSetting(lang.L("Start Polaris when I log in"), func(s *settings.Settings) *bool { return &s.System.Autostart })
	y.sysState = widget.NewLabel("")
	y.sysState.Wrapping = fyne.TextWrapWord
	y.sysWarn = note("")
	browsers := section(lang.L("Browsers"), "",
		switchRow(lang.L("Use Polaris as the system proxy"),
			lang.L("Every browser and program that follows your system settings goes through Polaris. Your previous settings are put back when you turn this off or quit Polaris — even after a crash."), y.sysProxy),
		y.sysState, y.sysWarn,
		widget.NewSeparator(),
		switchRow(lang.L("Make Firefox follow the system proxy"),
			lang.L("Firefox can use its own proxy settings. Polaris can set them to follow the system while Polaris is the system proxy, and restores them afterwards."), y.firefox),
		widget.NewSeparator(),
		switchRow(lang.L("Start Polaris when I log in"), lang.L("So you are protected from the start."), y.autostart))

	y.pac = widget.NewLabel("")
	y.pac.TextStyle.Monospace = true
	y.pac.Wrapping = fyne.TextWrapBreak
	copyPAC := newButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(y.pac.Text)
		u.inform(lang.L("Address copied"))
	})
	pacSec := section(lang.L("Automatic proxy configuration"),
		lang.L("Programs that ask for an “automatic proxy configuration URL” can use this address."),
		container.NewBorder(nil, nil, nil, copyPAC, y.pac),
		widget.NewSeparator(),
		switchRow(lang.L("Let traffic through when Polaris is not running"),
			lang.L("Off (recommended): the configuration at this address has no direct fallback, so a program that has loaded it refuses to connect while Polaris is stopped instead of going out unprotected."), y.failOpen))

	y.port = newEntry()
	y.port.SetPlaceHolder(strconv.Itoa(settings.DefaultPort))
	y.portErr = widget.NewLabel("")
	y.portErr.Importance = widget.DangerImportance
	y.portErr.Wrapping = fyne.TextWrapWord
	y.portErr.Hide()
	y.listening = wrapped("")
	y.portSave = newButton(lang.L("Change port"), y.savePort)
	y.portSave.Disable()
	y.port.OnChanged = func(string) {
		_, err := y.listenFor(y.port.Text)
		cur, _ := portOf(u.set.Listen)
		switch {
		case err != nil:
			y.portErr.SetText(lang.L("Enter a port number from 1024 to 65535."))
			y.portErr.Show()
			y.portSave.Disable()
		case y.port.Text == cur:
			y.portErr.Hide()
			y.portSave.Disable()
		default:
			y.portErr.Hide()
			y.portSave.Enable()
		}
	}
	y.port.OnSubmitted = func(string) {
		if !y.portSave.Disabled() {
			y.savePort()
		}
	}
	portSec := section(lang.L("Proxy port"),
		lang.L("Polaris listens on this computer only. Change the port if another program already uses it; browsers set up by hand must then be told the new port."),
		container.NewHBox(fixedWidth(120, y.port), y.portSave), y.portErr, y.listening)

	y.statsDays = newEntry()
	y.statsSave = newButton(lang.L("Save"), y.saveStatsDays)
	y.statsDays.OnSubmitted = func(string) { y.saveStatsDays() }
	y.logPersist = boolSetting(lang.L("Keep the activity log on disk"), func(s *settings.Settings) *bool { return &s.Data.LogPersist })
	names := []string{lang.L("for 1 hour"), lang.L("for 1 day"), lang.L("for 7 days")}
	y.logKeep = newSelect(names, func(string) {
		i := y.logKeep.SelectedIndex()
		if i < 0 {
			return
		}
		d := logRetentions[i]
		u.change(func(s *settings.Settings) error { s.Data.LogRetention = d; return nil })
	})
	y.inventory = container.NewVBox()
	// Every table and file, folded away: it is long, and most people
	// only want to know that they can look.
	y.invDetails = newFoldout(lang.L("Everything Polaris stores, table by table"), y.inventory)
	y.invNote = newCallout(status.Info, "", nil)
	refresh := newButtonWithIcon(lang.L("Refresh"), theme.ViewRefreshIcon(), y.loadInventory)
	stores := section(lang.L("What Polaris keeps"),
		lang.L("Polaris keeps as little as it can, only on this computer, and sends nothing anywhere. Daily counts never include the addresses you visited."),
		controlRow(lang.L("Daily statistics"), lang.L("How many days of blocked-request counts to keep."),
			container.NewHBox(fixedWidth(80, y.statsDays), widget.NewLabel(lang.L("days")), y.statsSave)),
		widget.NewSeparator(),
		switchRow(lang.L("Keep the activity log on disk"),
			lang.L("Off: the list of recent requests lives in memory only and is gone when Polaris quits."), y.logPersist),
		controlRow(lang.L("Keep the log"), "", y.logKeep),
		widget.NewSeparator(),
		y.invNote.obj, y.invDetails, container.NewHBox(refresh))

	y.exportBtn = newButtonWithIcon(lang.L("Export my data…"), theme.DownloadIcon(), y.exportData)
	y.importBtn = newButtonWithIcon(lang.L("Import…"), theme.UploadIcon(), y.importData)
	y.deleteBtn = newButtonWithIcon(lang.L("Delete all data…"), theme.DeleteIcon(), y.confirmDelete)
	y.deleteBtn.Importance = widget.DangerImportance
	y.dataBusy = y.u.newBusyBar()
	y.retention = widget.NewLabel("")
	data := section(lang.L("Your data"),
		lang.L("Take your settings, lists, allowed sites, rules and statistics with you as one file, or bring them back. Deleting removes everything Polaris stored — including its certificate, after removing it from your browsers — and puts your system settings back."),
		container.NewHBox(y.exportBtn, y.importBtn, widget.NewSeparator(), y.deleteBtn), y.dataBusy)

	return page(lang.L("System & data"), "", browsers, pacSec, portSec, stores, data)
}

// listenFor returns the listen address with port p on the current host.
func (y *systemScreen) listenFor(p string) (string, error) {
	n, err := strconv.Atoi(strings.TrimSpace(p))
	if err != nil || n < 1024 || n > 65535 {
		return "", strconv.ErrRange
	}
	host, _, err := net.SplitHostPort(y.u.set.Listen)
	if err != nil {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, strconv.Itoa(n))
	probe := y.u.set.Clone()
	if err := probe.Set("listen", addr); err != nil {
		return "", err
	}
	return addr, nil
}

func portOf(listen string) (string, error) {
	_, p, err := net.SplitHostPort(listen)
	return p, err
}

func (y *systemScreen) savePort() {
	addr, err := y.listenFor(y.port.Text)
	if err != nil {
		return
	}
	y.portSave.Disable()
	y.u.change(func(s *settings.Settings) error { return s.Set("listen", addr) })
}

func (y *systemScreen) saveStatsDays() {
	v := strings.TrimSpace(y.statsDays.Text)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 3650 {
		// In words: settings.Set's error names the setting's key.
		y.u.fail(fmt.Errorf("%s", lang.L("Enter a number of days from 1 to 3650.")))
		return
	}
	y.u.change(func(s *settings.Settings) error { s.Data.StatsRetentionDays = n; return nil })
}

func (y *systemScreen) update() {
	u := y.u
	set, snap := u.set, u.snap.System
	y.sysProxy.SetOn(set.System.SystemProxy)
	y.firefox.SetOn(set.System.FirefoxUserJS)
	y.failOpen.SetOn(set.System.PACFailOpen)
	enable(y.failOpen, !set.Tor.Enabled) // in Tor mode the PAC file never falls back to direct
	y.autostart.SetOn(set.System.Autostart)
	switch {
	case snap.SystemProxy && len(snap.Backends) > 0:
		y.sysState.SetText(lang.L("The system points at Polaris (set in: {{.Where}}).",
			map[string]any{"Where": strings.Join(snap.Places, lang.X("format.list-separator", ", "))}))
	case snap.SystemProxy:
		y.sysState.SetText(lang.L("The system points at Polaris."))
	case set.System.SystemProxy:
		y.sysState.SetText(lang.L("The system does not point at Polaris yet."))
	default:
		y.sysState.SetText(lang.L("The system proxy settings are yours, untouched."))
	}
	setNote(y.sysWarn, strings.Join(snap.Warnings, "\n"))
	y.pac.SetText(pacURLFor(snap.PACURL, u.snap.Proxy.Listen, set.Listen))
	switch listen := u.snap.Proxy.Listen; {
	case !u.snap.Proxy.Running || listen == "":
		y.listening.SetText(lang.L("Polaris is not listening now."))
	case listen != set.Listen:
		y.listening.SetText(lang.L("Polaris is listening on {{.Addr}} for now (it was started with another address); the port above is used from the next start.",
			map[string]any{"Addr": listen}))
	default:
		y.listening.SetText(lang.L("Polaris is listening on {{.Addr}}.", map[string]any{"Addr": listen}))
	}

	if c := u.win.Canvas().Focused(); c != y.port {
		p, _ := portOf(u.set.Listen)
		y.port.SetText(p)
		y.portSave.Disable()
	}
	if u.win.Canvas().Focused() != y.statsDays {
		y.statsDays.SetText(strconv.Itoa(set.Data.StatsRetentionDays))
	}
	y.logPersist.SetOn(set.Data.LogPersist)
	for i, d := range logRetentions {
		if d == set.Data.LogRetention {
			y.logKeep.SetSelectedIndex(i)
		}
	}
	if set.Data.LogPersist {
		y.logKeep.Enable()
	} else {
		y.logKeep.Disable()
	}
}

func (y *systemScreen) shown() { y.loadInventory() }

func (y *systemScreen) loadInventory() {
	u := y.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		inv, err := u.c.Inventory(ctx)
		return func() { y.showInventory(inv, err) }
	})
}

func (y *systemScreen) showInventory(inv status.Inventory, err error) {
	var rows []fyne.CanvasObject
	if err != nil {
		y.invNote.set(status.Info, unavailableText(err))
	} else {
		y.invNote.set(status.Info, lang.L("Everything is in {{.Dir}}", map[string]any{"Dir": inv.Dir}))
		y.invDetails.SetTitle(lang.L("Everything Polaris stores, table by table ({{.Tables}} tables, {{.Files}} files)",
			map[string]any{"Tables": len(inv.Tables), "Files": len(inv.Files)}))
		for _, t := range inv.Tables {
			rows = append(rows, panel(
				container.NewBorder(nil, nil, nil,
					widget.NewLabel(lang.N("{{.Count}} entries", int(min(t.Rows, 1<<30)), map[string]any{"Count": count(t.Rows)})),
					strong(t.What)),
				note(lang.L("Why: {{.Why}}", map[string]any{"Why": t.Why})),
				note(lang.L("Kept: {{.Retention}}", map[string]any{"Retention": t.Retention}))))
		}
		if len(inv.Files) > 0 {
			rows = append(rows, strong(lang.L("Files")))
		}
		for _, f := range inv.Files {
			rows = append(rows, container.NewBorder(nil, nil, nil, widget.NewLabel(bytesText(f.Bytes)),
				container.NewVBox(widget.NewLabel(f.Path), note(f.What))))
		}
	}
	y.inventory.Objects = rows
	y.inventory.Refresh()
}

// dataWork runs a data action with progress showing.
func (y *systemScreen) dataWork(work func() error, done func()) {
	u := y.u
	for _, b := range []*button{y.exportBtn, y.importBtn, y.deleteBtn} {
		b.Disable()
	}
	y.dataBusy.Show()
	y.dataBusy.Start()
	u.bg(func() func() {
		err := work()
		return func() {
			y.dataBusy.Stop()
			y.dataBusy.Hide()
			for _, b := range []*button{y.exportBtn, y.importBtn, y.deleteBtn} {
				b.Enable()
			}
			if err != nil {
				u.fail(err)
				return
			}
			done()
			u.reloadSettings()
			y.loadInventory()
		}
	})
}

// confirmDelete asks before deleting everything.
func (y *systemScreen) confirmDelete() {
	u := y.u
	d := dialog.NewConfirm(lang.L("Delete all data?"),
		lang.L("Polaris will put your system proxy settings back, remove its certificate from your browsers, and delete its settings, lists, statistics and Tor data. This cannot be undone."),
		func(ok bool) {
			if ok {
				y.deleteAll()
			}
		}, u.win)
	d.SetConfirmText(lang.L("Delete everything"))
	d.SetConfirmImportance(widget.DangerImportance)
	d.SetDismissText(lang.L("Keep my data"))
	d.Show()
}

func (y *systemScreen) deleteAll() {
	u := y.u
	y.dataWork(func() error {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		return u.c.DeleteAllData(ctx)
	}, func() { u.inform(lang.L("Everything Polaris stored has been deleted.")) })
}

// pacURLFor is the address of the PAC file that programs fetch directly
// (not through the proxy): the running proxy's, else the configured one's.
func pacURLFor(fromSnapshot, listening, configured string) string {
	if fromSnapshot != "" {
		return fromSnapshot
	}
	addr := firstNonEmpty(listening, configured)
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		addr = net.JoinHostPort(host, port)
	}
	return "http://" + addr + "/proxy.pac"
}
