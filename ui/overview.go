// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// overviewScreen: the big switch, the state in words, where things stand
// (proxy, system proxy, Tor, lists) and the 30-day chart.
type overviewScreen struct {
	u *UI

	toggle   *Toggle
	headline *widget.Label
	detail   *widget.RichText
	pauseBtn *button
	heroBG   *themedRect
	heroIcon *widget.Icon
	state    headState // what the headline shows (tests)

	address, browsers, tor, lists *widget.Label
	useSystem                     *button
	byHand                        *button
	warnings                      *widget.RichText
	clients                       *clientsList // the browsers seen (browsers.go)

	chart       *dayChart
	shownLegend string
	legend      *fyne.Container
	caption     *widget.Label
}

func (o *overviewScreen) build() fyne.CanvasObject {
	u := o.u
	o.toggle = newBigToggle(lang.L("Protection"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Protection = on; return nil })
	})
	o.headline = widget.NewLabel("")
	o.headline.SizeName = theme.SizeNameSubHeadingText
	o.headline.TextStyle.Bold = true
	o.headline.Wrapping = fyne.TextWrapWord
	o.detail = note("")
	o.pauseBtn = newButtonWithIcon(lang.L("Pause…"), theme.MediaPauseIcon(), o.pauseMenu)
	o.heroBG = newThemedRect(colorInfoBG, 10)
	o.heroIcon = widget.NewIcon(theme.InfoIcon())
	hero := container.NewStack(o.heroBG, container.New(layout.NewCustomPaddedLayout(10, 10, 14, 14),
		container.NewBorder(nil, nil, container.NewHBox(container.NewCenter(o.toggle), container.NewCenter(o.heroIcon)),
			container.NewCenter(o.pauseBtn), container.NewVBox(o.headline, o.detail))))

	o.address = widget.NewLabel("") // not selectable: a selectable label is a Tab stop that shows no focus; Copy copies it
	copyBtn := newButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(o.address.Text)
		u.inform(lang.L("Proxy address copied"))
	})
	o.browsers = wrapped("")
	o.useSystem = newButton(lang.L("Use as system proxy"), func() {
		u.change(func(s *settings.Settings) error { s.System.SystemProxy = true; return nil })
	})
	o.useSystem.Importance = widget.HighImportance
	o.warnings = note("")
	o.clients = newClientsList(u)
	o.tor = wrapped("")
	torBtn := newButton(lang.L("Tor settings"), func() { u.selectScreen("tor") })
	o.lists = wrapped("")
	listsBtn := newButton(lang.L("Blocking settings"), func() { u.selectScreen("blocking") })

	// The proxy's address is for setting a browser up by hand: tucked away.
	// (A button, not an accordion: Fyne's accordion is not a Tab stop.)
	manual := container.NewVBox(
		note(lang.L("For a browser or program that does not follow the system's proxy settings: in its own network settings, choose a manual proxy and enter this address for HTTP and HTTPS.")),
		factRow(lang.L("Proxy address"), o.address, copyBtn))
	manual.Hide()
	o.byHand = newButtonWithIcon(lang.L("Set up by hand"), theme.MenuExpandIcon(), nil)
	o.byHand.Alignment = widget.ButtonAlignLeading
	o.byHand.Importance = widget.LowImportance
	o.byHand.OnTapped = func() {
		if manual.Visible() {
			manual.Hide()
			o.byHand.SetIcon(theme.MenuExpandIcon())
		} else {
			manual.Show()
			o.byHand.SetIcon(theme.MenuDropDownIcon())
		}
	}
	byHand := container.NewVBox(o.byHand, manual)
	facts := panel(
		factRow(lang.L("Browsers"), container.NewVBox(o.browsers, o.clients.box, o.warnings), o.useSystem),
		widget.NewSeparator(),
		factRow(lang.L("Set-up"), wrapped(lang.L("Your signals, the system proxy and secure pages, step by step.")),
			newButton(lang.L("Set up…"), func() { u.showSetup() })),
		widget.NewSeparator(),
		factRow(lang.L("Tor"), o.tor, torBtn),
		widget.NewSeparator(),
		factRow(lang.L("Block lists"), o.lists, listsBtn),
		widget.NewSeparator(),
		byHand,
	)

	o.chart = newDayChart(u.now)
	o.caption = widget.NewLabel("")
	o.caption.Wrapping = fyne.TextWrapWord
	o.chart.OnSelect = func(int) { o.updateCaption() }
	o.legend = container.New(layout.NewRowWrapLayout())
	chart := section(lang.L("Blocked in the last 30 days"), "",
		o.chart, o.legend, o.caption)

	return page(lang.L("Overview"), "", hero, facts, chart)
}

// factRow: a bold name on the left, the value, an action on the right.
func factRow(name string, value fyne.CanvasObject, action fyne.CanvasObject) fyne.CanvasObject {
	k := widget.NewLabel(name)
	k.TextStyle.Bold = true
	left := container.New(layout.NewGridWrapLayout(fyne.NewSize(150, k.MinSize().Height)), k)
	return container.NewBorder(nil, nil, left, container.NewCenter(action), value)
}

func (o *overviewScreen) update() {
	u := o.u
	snap, set := u.snap, u.set
	o.toggle.SetOn(set.Protection)
	o.state = protectionState(snap, set, u.now())
	o.headline.SetText(o.state.head)
	setNote(o.detail, o.state.detail)
	switch o.state.level {
	case levelGood:
		o.heroBG.SetColor(colorGoodBG)
		o.heroIcon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	case levelWarn:
		o.heroBG.SetColor(colorWarningBG)
		o.heroIcon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
	case levelBad:
		o.heroBG.SetColor(colorErrorBG)
		o.heroIcon.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
	default:
		o.heroBG.SetColor(colorInfoBG)
		o.heroIcon.SetResource(theme.NewPrimaryThemedResource(theme.InfoIcon()))
	}
	if paused(snap) {
		o.pauseBtn.SetText(lang.L("Resume"))
		o.pauseBtn.SetIcon(theme.MediaPlayIcon())
	} else {
		o.pauseBtn.SetText(lang.L("Pause…"))
		o.pauseBtn.SetIcon(theme.MediaPauseIcon())
	}
	if set.Protection && snap.Proxy.Running {
		o.pauseBtn.Enable()
	} else {
		o.pauseBtn.Disable()
	}

	addr := snap.Proxy.Listen
	if addr == "" {
		addr = set.Listen
	}
	o.address.SetText(addr)

	// What was seen first (the browsers that sent requests), then what
	// was set (the system proxy): setting it is no proof that a browser
	// follows it.
	seen := lang.L("No browser has used Polaris in the last day.")
	if names := browsersSeen(snap, u.now()); len(names) > 0 {
		seen = lang.L("Used Polaris in the last day: {{.Browsers}}.", map[string]any{"Browsers": strings.Join(names, lang.X("format.list-separator", ", "))})
	}
	var sys string
	switch {
	case snap.System.SystemProxy:
		sys = lang.L("Polaris is the system proxy: browsers that follow the system's settings use it.")
		o.useSystem.Hide()
	case set.System.SystemProxy:
		sys = lang.L("Polaris should be the system proxy, but the system does not point at it yet.")
		o.useSystem.Hide()
	default:
		sys = lang.L("Polaris is not the system proxy: a browser uses it only if set up by hand.")
		o.useSystem.Show()
	}
	o.browsers.SetText(seen + "\n" + sys)
	setNote(o.warnings, strings.Join(snap.System.Warnings, "\n"))

	o.tor.SetText(torSummary(snap.Tor, set.Tor.Enabled))
	o.lists.SetText(listsSummary(snap.Blocking))

	o.chart.SetDays(snap.Blocking.Daily)
	o.updateLegend()
	o.updateCaption()
	o.clients.update(snap, set.HTTPS.Filter, u.now())
}

// headLevel is how the headline looks: protecting is green with a tick,
// reduced protection orange with a warning sign, off or broken red.
type headLevel int

const (
	levelNeutral headLevel = iota // starting, loading
	levelGood
	levelWarn
	levelBad
)

// headState is the headline: its colour, its words, a sentence of detail.
type headState struct {
	level        headLevel
	head, detail string
}

// recentClient is how long ago a browser's last request may be for it to
// count as using Polaris.
const recentClient = 24 * time.Hour

// browsersSeen returns the browsers (not other programs) that sent requests
// through Polaris in the last day, in words ("Firefox 153").
func browsersSeen(snap status.Snapshot, now time.Time) []string {
	var out []string
	for _, c := range snap.Proxy.Clients {
		if c.Family == status.OtherClient || c.Family == "" || now.Sub(c.LastSeen) > recentClient {
			continue
		}
		name := c.Family.Words()
		if c.Version != "" {
			name += " " + c.Version
		}
		out = append(out, name)
	}
	return out
}

// missingLists returns the names of the lists that are on but have no rules
// because they could not be downloaded.
func missingLists(b status.Blocking) (missing []string, on int) {
	for _, l := range b.Lists {
		if !l.Enabled {
			continue
		}
		on++
		if l.Rules == 0 && l.LastError != "" && !l.Updating {
			missing = append(missing, l.Name)
		}
	}
	return missing, on
}

// protectionState says in words, and in colour, what Polaris is doing.
// The order is the order of importance: what stops protection first.
func protectionState(snap status.Snapshot, set settings.Settings, now time.Time) headState {
	sep := lang.X("format.list-separator", ", ")
	switch {
	case !snap.Proxy.Running && snap.Proxy.Err != "":
		return headState{levelBad, lang.L("Polaris is not running"), sentence(snap.Proxy.Err)}
	case !snap.Proxy.Running:
		return headState{levelNeutral, lang.L("Starting…"), lang.L("Polaris is starting its proxy.")}
	case !set.Protection:
		return headState{levelBad, lang.L("Protection is off"), lang.L("Polaris passes your traffic on unchanged: nothing is blocked and no privacy signals are sent.")}
	case snap.Blocking.PausedUntilRestart:
		return headState{levelWarn, lang.L("Paused until Polaris restarts"), lang.L("Trackers are not blocked. Privacy signals are still sent.")}
	case snap.Blocking.PausedUntil.After(now):
		return headState{levelWarn, lang.L("Paused until {{.Time}}", map[string]any{"Time": clock(snap.Blocking.PausedUntil)}),
			lang.L("Trackers are not blocked until then; blocking resumes by itself. Privacy signals are still sent.")}
	case set.Tor.Enabled && snap.Tor.State == status.TorFailed:
		return headState{levelBad, lang.L("Tor cannot connect — pages are refused"),
			lang.L("Nothing goes out without Tor while Tor is on. See the Tor screen for what is wrong.")}
	case set.Tor.Enabled && snap.Tor.State != status.TorReady:
		detail := lang.L("Nothing goes out without Tor while Tor is on. See the Tor screen for its progress.")
		if snap.Tor.Stalled && snap.Tor.Waiting != "" {
			detail = snap.Tor.Waiting + " " + lang.L("The Tor screen offers bridges.")
		}
		return headState{levelWarn, lang.L("Tor is connecting — pages are refused until it is ready"), detail}
	case snap.Blocking.Loading:
		return headState{levelNeutral, lang.L("Loading block lists…"), lang.L("Requests wait until the lists are loaded, so that nothing slips through.")}
	}
	if missing, on := missingLists(snap.Blocking); len(missing) > 0 {
		return headState{levelWarn, lang.L("Block lists missing — protection is reduced"),
			lang.N("{{.Missing}} of {{.Count}} lists could not be downloaded: {{.Names}}. Polaris tries again by itself; the Blocking screen says why.", on,
				map[string]any{"Missing": len(missing), "Count": on, "Names": strings.Join(missing, sep)})}
	}
	blocked := lang.L("No trackers blocked yet today.")
	if n := snap.Blocking.BlockedToday; n > 0 {
		blocked = lang.N("{{.Count}} trackers blocked today.", int(min(n, 1<<30)), map[string]any{"Count": count(n)})
	}
	seen := browsersSeen(snap, now)
	if len(seen) == 0 {
		return headState{levelWarn, lang.L("No browser uses Polaris yet"),
			lang.L("No browser has sent a request through Polaris in the last day, so nothing is protected. Make Polaris the system proxy below, or set it up in your browser.")}
	}
	return headState{levelGood,
		lang.N("Protecting {{.Count}} browsers", len(seen), map[string]any{"Count": len(seen)}),
		lang.L("{{.Browsers}} used Polaris in the last day. {{.Blocked}}", map[string]any{"Browsers": strings.Join(seen, sep), "Blocked": blocked})}
}

// paused reports whether blocking is paused.
func paused(snap status.Snapshot) bool {
	return snap.Blocking.PausedUntilRestart || !snap.Blocking.PausedUntil.IsZero() && snap.Blocking.PausedUntil.After(time.Now())
}

func torSummary(t status.Tor, enabled bool) string {
	if !enabled {
		return lang.L("Off — your traffic goes directly to the sites you visit.")
	}
	switch t.State {
	case status.TorReady:
		return lang.L("Connected — all your traffic goes through Tor.")
	case status.TorBootstrapping:
		return lang.L("Connecting to Tor ({{.Percent}}%) — pages are refused until Tor is ready.", map[string]any{"Percent": t.Progress})
	case status.TorFailed:
		return lang.L("Tor could not connect — pages are refused, nothing goes out directly.")
	}
	return lang.L("Starting Tor — pages are refused until Tor is ready.")
}

func listsSummary(b status.Blocking) string {
	on := 0
	for _, l := range b.Lists {
		if l.Enabled {
			on++
		}
	}
	if b.Rules == 0 && on == 0 {
		return lang.L("No block lists loaded yet.")
	}
	return lang.N("{{.Rules}} rules from {{.Count}} lists", on, map[string]any{"Rules": count(b.Rules), "Count": on})
}

// categoryName is the display name of a tracker category.
func categoryName(c string) string {
	switch c {
	case "advertising":
		return lang.X("category.advertising", "Advertising")
	case "analytics":
		return lang.X("category.analytics", "Analytics")
	case "social":
		return lang.X("category.social", "Social media")
	case "fingerprinting":
		return lang.X("category.fingerprinting", "Fingerprinting")
	case "cryptomining":
		return lang.X("category.cryptomining", "Cryptomining")
	case "email":
		return lang.X("category.email", "Email tracking")
	case "content":
		return lang.X("category.content", "Embedded content")
	}
	return lang.X("category.other", "Other")
}

func (o *overviewScreen) updateLegend() {
	present := map[string]bool{}
	for _, d := range o.u.snap.Blocking.Daily {
		var sum int64
		for c, n := range d.ByCategory {
			if n > 0 {
				present[c] = true
				sum += n
			}
		}
		if d.Total > sum {
			present["other"] = true
		}
	}
	var items []fyne.CanvasObject
	key := fmt.Sprint(present)
	if key == o.shownLegend {
		return
	}
	o.shownLegend = key
	for _, c := range settings.Categories {
		if !present[string(c)] {
			continue
		}
		sw := canvas.NewRectangle(categoryColor(string(c)))
		sw.CornerRadius = 3
		sw.SetMinSize(fyne.NewSquareSize(12))
		items = append(items, container.NewHBox(container.NewCenter(sw), widget.NewLabel(categoryName(string(c)))))
	}
	o.legend.Objects = items
	o.legend.Refresh()
}

func (o *overviewScreen) updateCaption() {
	days := o.u.snap.Blocking.Daily
	i := o.chart.selected
	if i < 0 || i >= len(days) {
		var total int64
		for _, d := range days {
			total += d.Total
		}
		if total == 0 {
			o.caption.Hide() // the chart says so
			return
		}
		o.caption.Show()
		o.caption.SetText(lang.N("{{.Count}} requests blocked in the last 30 days. Point at a bar for the details of a day.",
			int(min(total, 1<<30)), map[string]any{"Count": count(total)}))
		return
	}
	o.caption.Show()
	d := days[i]
	var parts []string
	for _, c := range settings.Categories {
		if n := d.ByCategory[string(c)]; n > 0 {
			parts = append(parts, lang.L("{{.Category}} {{.Count}}", map[string]any{"Category": categoryName(string(c)), "Count": count(n)}))
		}
	}
	o.caption.SetText(lang.N("{{.Day}}: {{.Count}} requests blocked. {{.Parts}}", int(min(d.Total, 1<<30)),
		map[string]any{"Day": day(d.Day), "Count": count(d.Total), "Parts": strings.Join(parts, lang.X("format.list-separator", ", "))}))
}

func (o *overviewScreen) shown() {}

// pauseMenu offers the pause durations, or resumes when paused.
func (o *overviewScreen) pauseMenu() {
	u := o.u
	if paused(u.snap) {
		u.resume()
		return
	}
	m := fyne.NewMenu("",
		fyne.NewMenuItem(lang.L("For 5 minutes"), func() { u.pause(5 * time.Minute) }),
		fyne.NewMenuItem(lang.L("For 30 minutes"), func() { u.pause(30 * time.Minute) }),
		fyne.NewMenuItem(lang.L("For 1 hour"), func() { u.pause(time.Hour) }),
		fyne.NewMenuItem(lang.L("Until Polaris restarts"), func() { u.pause(-1) }),
	)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o.pauseBtn)
	widget.ShowPopUpMenuAtPosition(m, u.win.Canvas(), pos.AddXY(0, o.pauseBtn.Size().Height))
}

// pause pauses blocking; d < 0 until restart.
func (u *UI) pause(d time.Duration) {
	u.bg(func() func() {
		err := u.c.Pause(d)
		return func() { u.fail(err) }
	})
}

// resume ends a pause.
func (u *UI) resume() {
	u.bg(func() func() {
		err := u.c.Resume()
		return func() { u.fail(err) }
	})
}
