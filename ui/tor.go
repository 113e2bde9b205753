// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// torScreen: one button to connect, bootstrap progress in words, new
// identity, the circuit of a site, bridges, and the advanced choices.
type torScreen struct {
	u *UI

	state      *widget.Label
	phase      *widget.Label
	progress   *widget.ProgressBar
	errText    *callout
	stalled    *callout
	useBridges *button
	connect    *button
	newID      *button

	site    *entry
	show    *button
	newSite *button
	circuit *fyne.Container

	bridges       *radioGroup
	bridgeOptions []string
	bridgeLines   *entry
	bridgeSave    *button
	bridgeErr     *widget.Label

	isolate     *Toggle
	preferOnion *Toggle
	onions      *fyne.Container
	webrtcAll   *Toggle
	webrtc      *fyne.Container
	english     *Toggle
	dntWarn     *callout
	countries   *entry
	countrySave *button
	countryErr  *widget.Label
	binary      *widget.Label

	giveBack giveBack // the Snowflake proxy (giveback.go)
}

var bridgeModes = []settings.BridgeMode{settings.BridgesNone, settings.BridgesObfs4, settings.BridgesSnowflake, settings.BridgesCustom}

func (t *torScreen) build() fyne.CanvasObject {
	u := t.u
	t.state = widget.NewLabel("")
	t.state.SizeName = theme.SizeNameSubHeadingText
	t.state.TextStyle.Bold = true
	t.state.Wrapping = fyne.TextWrapWord
	t.phase = widget.NewLabel("")
	t.phase.Wrapping = fyne.TextWrapWord
	t.progress = widget.NewProgressBar()
	t.progress.Max = 100
	t.progress.TextFormatter = func() string {
		if t.progress.Value <= 0 {
			return lang.L("Not connected yet — 0%")
		}
		return lang.L("{{.Percent}}%", map[string]any{"Percent": int(t.progress.Value)})
	}
	t.stalled = newCallout(status.Warning, "", nil)
	t.useBridges = newButtonWithIcon(lang.L("Use the built-in bridges"), theme.NavigateNextIcon(), t.tryBridges)
	t.useBridges.Importance = widget.HighImportance
	t.useBridges.Hide()
	t.errText = newCallout(status.Error, "", nil)
	t.connect = newButtonWithIcon(lang.L("Connect to Tor"), theme.LoginIcon(), func() {
		on := !u.set.Tor.Enabled
		u.change(func(s *settings.Settings) error { s.Tor.Enabled = on; return nil })
	})
	t.connect.Importance = widget.HighImportance
	hero := panel(
		container.NewBorder(nil, nil, nil, container.NewCenter(t.connect), t.state),
		t.progress, t.phase, t.errText.obj, t.stalled.obj, container.NewHBox(t.useBridges),
		note(lang.L("Tor hides where you are from the sites you visit, and what you visit from your network. While Tor is connecting, or if it stops, Polaris refuses every request rather than send it without Tor: nothing goes out directly until you disconnect.")))

	t.newID = newButtonWithIcon(lang.L("New circuits for every site"), theme.ViewRefreshIcon(), t.newIdentity)
	identity := section(lang.L("New circuits"), "",
		controlRow(lang.L("New circuits for every site"),
			lang.L("New connections use new Tor circuits, so sites you open next see you coming from a different place. Tabs already open keep theirs."),
			container.NewCenter(t.newID)),
		note(lang.L("Sites can still recognise your browser by its cookies and logins: new circuits change the address they see, not who you are to them.")))

	t.site = newEntry()
	t.site.SetPlaceHolder(lang.L("example.com, or paste the address of a page"))
	t.show = newButton(lang.L("Show the circuit"), t.showCircuit)
	t.newSite = newButtonWithIcon(lang.L("New circuits for this site"), theme.ViewRefreshIcon(), t.newCircuit)
	t.site.OnSubmitted = func(string) { t.showCircuit() }
	t.circuit = container.NewVBox()
	circuit := section(lang.L("One site"),
		lang.L("The three Tor relays your connection to a site goes through. New circuits for one site change only that site's relays: other sites keep theirs."),
		container.NewBorder(nil, nil, nil, container.NewHBox(t.show, t.newSite), t.site), t.circuit)

	t.bridgeOptions = []string{
		lang.L("Connect to Tor directly"),
		lang.L("obfs4 bridges (built in)"),
		lang.L("Snowflake (built in)"),
		lang.L("My own bridges"),
	}
	t.bridgeLines = newMultiLineEntry()
	t.bridgeLines.TextStyle.Monospace = true
	t.bridgeLines.SetMinRowsVisible(4)
	t.bridgeLines.SetPlaceHolder(lang.L("Paste bridge lines, one per line:\nobfs4 192.0.2.1:443 FINGERPRINT cert=… iat-mode=0"))
	t.bridgeErr = widget.NewLabel("")
	t.bridgeErr.Importance = widget.DangerImportance
	t.bridgeErr.Wrapping = fyne.TextWrapWord
	t.bridgeErr.Hide()
	t.bridgeSave = newButton(lang.L("Use these bridges"), t.saveBridges)
	t.bridges = newRadioGroup(t.bridgeOptions, func(choice string) {
		i := slices.Index(t.bridgeOptions, choice)
		if i < 0 {
			return
		}
		t.showBridgeLines(bridgeModes[i] == settings.BridgesCustom)
		if bridgeModes[i] == settings.BridgesCustom && len(u.set.Tor.BridgeLines) == 0 {
			return // wait for the lines
		}
		u.change(func(s *settings.Settings) error { s.Tor.Bridges = bridgeModes[i]; return nil })
	})
	t.bridges.Required = true
	bridges := section(lang.L("Bridges"),
		lang.L("Where Tor is blocked, bridges help you reach it. Get your own at bridges.torproject.org, or by email to bridges@torproject.org."),
		t.bridges, t.bridgeLines, t.bridgeErr, container.NewHBox(t.bridgeSave))

	t.preferOnion = NewToggle(lang.L("Prefer onion sites"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Tor.PreferOnion = on; return nil })
	})
	t.onions = container.NewVBox()
	onion := section(lang.L("Onion sites"),
		lang.L("Some sites also run as an onion service of their own, which you reach without leaving the Tor network. They say so in their pages' answers (Onion-Location); Polaris notes it while Tor is on."),
		switchRow(lang.L("Prefer onion sites"),
			lang.L("When a site you open has an onion address, open that instead (as Tor Browser does)."), t.preferOnion),
		t.onions)

	t.webrtcAll = NewToggle(lang.L("Also without Tor"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Tor.WebRTCAlways = on; return nil })
	})
	t.webrtc = container.NewVBox()
	webrtc := section(lang.L("WebRTC in your browsers"),
		lang.L("Video calls and some pages use WebRTC, which can tell a site your real address around any proxy. While Tor is on, Polaris sets your browsers to use WebRTC only through Polaris, and puts their settings back when you turn Tor off."),
		switchRow(lang.L("Also without Tor"),
			lang.L("Keep WebRTC behind Polaris in your browsers also while Tor is off."), t.webrtcAll),
		t.webrtc)

	t.english = NewToggle(lang.L("Ask for pages in English, as Tor Browser does"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Tor.EnglishLanguage = on; return nil })
	})
	t.dntWarn = newCallout(status.Warning, "", nil)
	alike := section(lang.L("Look like other Tor users"),
		lang.L("Sites can tell Tor users apart by what their browsers say. Polaris can make some of it the same as Tor Browser's: only on plain HTTP pages, and on HTTPS pages with HTTPS filtering on."),
		t.dntWarn.obj,
		switchRow(lang.L("Ask for pages in English, as Tor Browser does"),
			lang.L("While Tor is on, every request asks for English (en-US,en;q=0.5) instead of your browser's languages."), t.english))

	t.isolate = NewToggle(lang.L("A separate circuit for each site"), func(on bool) {
		u.change(func(s *settings.Settings) error { s.Tor.Isolate = on; return nil })
	})
	t.countries = newEntry()
	t.countries.SetPlaceHolder(lang.L("Country codes, e.g. de, nl (empty: any)"))
	t.countryErr = widget.NewLabel("")
	t.countryErr.Importance = widget.DangerImportance
	t.countryErr.Hide()
	t.countrySave = newButton(lang.L("Save"), t.saveCountries)
	t.countries.OnSubmitted = func(string) { t.saveCountries() }
	warning := newCallout(status.Warning, lang.L("The Tor Project advises against this: choosing exit countries makes you stand out from other Tor users and can make you easier to track. Only use it if you must appear in a particular country."), nil).obj
	t.binary = widget.NewLabel("")
	t.binary.Wrapping = fyne.TextWrapWord
	advanced := section(lang.L("Advanced"), "",
		switchRow(lang.L("A separate circuit for each site"),
			lang.L("Sites cannot link your visits through a shared connection. As in Tor Browser only with HTTPS filtering on: without it, Polaris sees where an HTTPS connection goes but not which site asked for it, so a tracker on two sites shares one circuit."), t.isolate),
		widget.NewSeparator(),
		strong(lang.L("Exit countries")),
		warning,
		container.NewBorder(nil, nil, nil, t.countrySave, t.countries), t.countryErr,
		widget.NewSeparator(),
		keyValue(lang.L("Tor program"), t.binary))

	t.giveBack.u = u
	return page(lang.L("Tor"), "", hero, identity, circuit, onion, webrtc, alike, bridges, t.giveBack.build(), advanced)
}

func (t *torScreen) showBridgeLines(on bool) {
	if on {
		t.bridgeLines.Show()
		t.bridgeSave.Show()
	} else {
		t.bridgeLines.Hide()
		t.bridgeSave.Hide()
		t.bridgeErr.Hide()
	}
}

func (t *torScreen) update() {
	snap, set := t.u.snap.Tor, t.u.set.Tor
	t.state.SetText(torHeadline(snap, set.Enabled))
	if set.Enabled {
		t.connect.SetText(lang.L("Disconnect"))
		t.connect.SetIcon(theme.LogoutIcon())
		t.connect.Importance = widget.MediumImportance
	} else {
		t.connect.SetText(lang.L("Connect to Tor"))
		t.connect.SetIcon(theme.LoginIcon())
		t.connect.Importance = widget.HighImportance
	}
	t.connect.Refresh()
	bootstrapping := set.Enabled && (snap.State == status.TorStarting || snap.State == status.TorBootstrapping)
	if bootstrapping || set.Enabled && snap.State == status.TorReady {
		t.progress.SetValue(float64(snap.Progress))
		t.progress.Show()
	} else {
		t.progress.Hide()
	}
	phase := snap.Phase
	if snap.Restarts > 0 {
		phase = lang.N("{{.Phase}} Tor stopped unexpectedly and was restarted {{.Count}} times.", snap.Restarts,
			map[string]any{"Phase": phase, "Count": snap.Restarts})
	}
	if bootstrapping || snap.Restarts > 0 {
		t.phase.SetText(phase)
		t.phase.Show()
	} else {
		t.phase.Hide()
	}
	if snap.Err != "" && set.Enabled {
		sev := status.Error
		if snap.State == status.TorReady {
			sev = status.Warning // Tor works (a wrong clock)
		}
		t.errText.set(sev, sentence(snap.Err))
	} else {
		t.errText.set(status.Error, "")
	}
	t.updateStalled(snap, set, bootstrapping)
	if set.Enabled && snap.State == status.TorReady {
		t.newID.Enable()
		t.show.Enable()
		t.newSite.Enable()
	} else {
		t.newID.Disable()
		t.show.Disable()
		t.newSite.Disable()
	}

	i := slices.Index(bridgeModes, set.Bridges)
	if i < 0 {
		i = 0
	}
	t.bridges.SetSelected(t.bridgeOptions[i])
	t.showBridgeLines(set.Bridges == settings.BridgesCustom || t.bridges.Selected == t.bridgeOptions[3])
	if !t.bridgeLines.Visible() || t.bridgeLines.Text == "" {
		t.bridgeLines.SetText(strings.Join(set.BridgeLines, "\n"))
	}
	t.isolate.SetOn(set.Isolate)
	t.preferOnion.SetOn(set.PreferOnion)
	t.webrtcAll.SetOn(set.WebRTCAlways)
	t.english.SetOn(set.EnglishLanguage)
	if set.Enabled && t.u.set.Signals.DNT != settings.DNTUnset {
		t.dntWarn.set(status.Warning, lang.L("You chose to send Do Not Track. Tor Browser sends none, so with Tor on it sets you apart from other Tor users: sites can use it to tell you from them. Leave Do Not Track unset (on the Privacy signals screen) to look like them."))
	} else {
		t.dntWarn.set(status.Warning, "")
	}
	t.showWebRTC(t.u.snap.WebRTC)
	t.showOnions(t.u.snap.Onions)
	if t.u.win.Canvas().Focused() != t.countries {
		t.countries.SetText(strings.Join(set.ExitCountries, ", "))
	}
	bin := set.Binary
	if bin == "" {
		bin = lang.L("tor from your system")
	}
	if snap.Version != "" {
		bin = lang.L("{{.Program}} (version {{.Version}})", map[string]any{"Program": bin, "Version": snap.Version})
	}
	t.binary.SetText(bin)
	t.giveBack.update()
}

// updateStalled says what tor waits for when bootstrap stands still, and
// offers the built-in bridges in one click (obfs4, then Snowflake).
func (t *torScreen) updateStalled(snap status.Tor, set settings.Tor, bootstrapping bool) {
	if !bootstrapping || !snap.Stalled {
		t.stalled.set(status.Warning, "")
		t.useBridges.Hide()
		return
	}
	text := lang.L("No progress for a while. {{.Waiting}}", map[string]any{"Waiting": snap.Waiting})
	t.stalled.set(status.Warning, text)
	switch set.Bridges {
	case settings.BridgesObfs4:
		t.useBridges.SetText(lang.L("Try Snowflake instead"))
		t.useBridges.Show()
	case settings.BridgesSnowflake:
		t.useBridges.Hide() // both built-in kinds tried: the user's own bridges are next
	default:
		t.useBridges.SetText(lang.L("Use the built-in bridges"))
		t.useBridges.Show()
	}
}

// tryBridges switches to the next built-in bridges.
func (t *torScreen) tryBridges() {
	next := settings.BridgesObfs4
	if t.u.set.Tor.Bridges == settings.BridgesObfs4 {
		next = settings.BridgesSnowflake
	}
	t.useBridges.Hide()
	t.u.change(func(s *settings.Settings) error { s.Tor.Bridges = next; return nil })
}

// torHeadline says where Tor is, in words.
func torHeadline(t status.Tor, enabled bool) string {
	if !enabled {
		return lang.L("Not using Tor")
	}
	switch t.State {
	case status.TorReady:
		return lang.L("Connected to Tor")
	case status.TorBootstrapping:
		return lang.L("Connecting to Tor… {{.Percent}}% — pages are refused until it is ready", map[string]any{"Percent": t.Progress})
	case status.TorFailed:
		return lang.L("Tor could not connect — pages are refused")
	}
	return lang.L("Starting Tor…")
}

func (t *torScreen) shown() {}

func (t *torScreen) newIdentity() {
	u := t.u
	t.newID.Disable()
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		err := u.c.NewIdentity(ctx)
		return func() {
			u.refresh()
			if err != nil {
				u.fail(err)
				return
			}
			u.inform(lang.L("New circuits for every site: new connections use new Tor circuits. Sites can still recognise your browser by its cookies and logins."))
		}
	})
}

// siteEntered is the host name in the site field (a name, or the address
// of a page pasted there), "" if there is none.
func (t *torScreen) siteEntered() string {
	in := strings.TrimSpace(t.site.Text)
	if i := strings.Index(in, "://"); i >= 0 {
		in = in[i+3:]
	}
	if i := strings.IndexAny(in, "/?#"); i >= 0 {
		in = in[:i]
	}
	if i := strings.LastIndex(in, "@"); i >= 0 {
		in = in[i+1:]
	}
	if i := strings.LastIndex(in, ":"); i >= 0 && !strings.Contains(in, "]") {
		in = in[:i]
	}
	site, err := settings.RegistrableDomain(in)
	if err != nil {
		t.circuit.Objects = []fyne.CanvasObject{note(lang.L("Enter a site such as example.com."))}
		t.circuit.Refresh()
		return ""
	}
	return site
}

func (t *torScreen) newCircuit() {
	u := t.u
	site := t.siteEntered()
	if site == "" {
		return
	}
	t.newSite.Disable()
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		done, err := u.c.NewCircuit(ctx, site)
		return func() {
			u.refresh()
			if err != nil {
				u.fail(err)
				return
			}
			t.circuit.Objects = nil
			t.circuit.Refresh()
			u.inform(newCircuitsDone(done))
		}
	})
}

// newCircuitsDone says what "new circuits" for site did, and what it does not.
func newCircuitsDone(site string) string {
	return lang.L("New circuits for {{.Site}}: its next connections use new Tor circuits; other sites keep theirs. It can still recognise your browser by its cookies and logins.", map[string]any{"Site": site})
}

func (t *torScreen) showCircuit() {
	u := t.u
	site := t.siteEntered()
	if site == "" {
		return
	}
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		c, err := u.c.Circuit(ctx, site)
		return func() { t.showHops(c, err) }
	})
}

func (t *torScreen) showHops(c status.Circuit, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		rows = append(rows, note(unavailableText(err)))
	case len(c.Hops) == 0:
		rows = append(rows, note(lang.L("No circuit yet: open the site first.")))
	}
	roles := []string{lang.L("Entry"), lang.L("Middle"), lang.L("Exit")}
	for i, h := range c.Hops {
		role := lang.L("Relay {{.N}}", map[string]any{"N": i + 1})
		if len(c.Hops) == 3 {
			role = roles[i]
		}
		country := strings.ToUpper(h.Country)
		if country == "" {
			country = lang.L("unknown country")
		}
		name := firstNonEmpty(h.Nickname, h.Fingerprint)
		rows = append(rows, container.NewGridWithColumns(4, strong(role), wrapped(name),
			wrapped(country), wrapped(h.Address)))
	}
	t.circuit.Objects = rows
	t.circuit.Refresh()
}

// showWebRTC says which browsers keep WebRTC behind Polaris, and names
// those it could not set.
func (t *torScreen) showWebRTC(w status.WebRTC) {
	var rows []fyne.CanvasObject
	if w.On {
		for _, c := range w.Changed {
			rows = append(rows, wrapped(lang.L("{{.Profile}}: WebRTC only through Polaris", map[string]any{"Profile": c})))
		}
		for _, c := range w.Restart {
			rows = append(rows, newCallout(status.Warning, lang.L("{{.Profile}} is open: restart it so that its WebRTC goes only through Polaris.", map[string]any{"Profile": c}), nil).obj)
		}
	}
	for _, c := range w.NotChanged {
		rows = append(rows, newCallout(status.Warning, sentence(c), nil).obj)
	}
	if w.Err != "" {
		rows = append(rows, newCallout(status.Error, sentence(w.Err), nil).obj)
	}
	t.webrtc.Objects = rows
	t.webrtc.Refresh()
}

// showOnions lists the sites that have an onion address.
func (t *torScreen) showOnions(list []status.OnionSite) {
	var rows []fyne.CanvasObject
	for i, o := range list {
		if i == 10 {
			rows = append(rows, note(lang.N("and {{.Count}} more sites", len(list)-10, map[string]any{"Count": len(list) - 10})))
			break
		}
		rows = append(rows, wrapped(lang.L("{{.Site}} has an onion address: {{.Onion}}", map[string]any{"Site": o.Site, "Onion": o.Onion})))
	}
	t.onions.Objects = rows
	t.onions.Refresh()
}

func (t *torScreen) saveBridges() {
	lines := t.bridgeLines.Text
	probe := t.u.set.Clone()
	err := probe.Set("tor.bridge-lines", lines)
	if err == nil && strings.TrimSpace(lines) == "" {
		t.bridgeErr.SetText(lang.L("Paste at least one bridge line."))
		t.bridgeErr.Show()
		return
	}
	if err != nil {
		t.bridgeErr.SetText(lang.L("A bridge line is not valid: {{.Err}}", map[string]any{"Err": err.Error()}))
		t.bridgeErr.Show()
		return
	}
	t.bridgeErr.Hide()
	t.u.change(func(s *settings.Settings) error {
		if err := s.Set("tor.bridge-lines", lines); err != nil {
			return err
		}
		s.Tor.Bridges = settings.BridgesCustom
		return nil
	})
}

func (t *torScreen) saveCountries() {
	v := t.countries.Text
	probe := t.u.set.Clone()
	if err := probe.Set("tor.exit-countries", v); err != nil {
		t.countryErr.SetText(lang.L("Use two-letter country codes separated by commas, such as de, nl."))
		t.countryErr.Show()
		return
	}
	t.countryErr.Hide()
	t.u.change(func(s *settings.Settings) error { return s.Set("tor.exit-countries", v) })
}
