// SPDX-License-Identifier: GPL-3.0-or-later

// Package ui is Polaris's window and tray, in Fyne. It talks to the engine
// only through the Controller interface (controller.go): settings go in
// with Apply, status comes out of Subscribe, and a few actions that are not
// settings are methods. It never imports the engine or its adapters.
//
// Threading: widgets are touched only on the Fyne thread. Work that may
// block (every Controller call that takes a context) runs on a goroutine
// started by bg, whose result is handed back through fyne.Do. Settings
// changes are queued and applied in order by one worker, each as an edit of
// the latest settings, so two quick clicks never lose one another.
package ui

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/assets"
	"polaris/internal/settings"
	"polaris/internal/status"
)

// AppID is Polaris's application id (FyneApp.toml, preferences, D-Bus).
const AppID = "org.polaris.app"

// TrayMode chooses whether Polaris puts an icon in the system tray.
type TrayMode int

// Tray modes.
const (
	// TrayAuto uses the tray when the desktop has one (on Linux: a
	// StatusNotifier host on the session bus).
	TrayAuto TrayMode = iota
	// TrayOff never uses the tray.
	TrayOff
)

// Options configure the window.
type Options struct {
	// Controller is the engine. Required.
	Controller Controller
	// App is the Fyne app; nil creates the desktop app. Tests pass
	// fyne.io/fyne/v2/test.NewApp().
	App fyne.App
	// Version is shown in the window.
	Version string
	// EngineDone receives the engine's result if it stops while the window
	// is open (an error is shown; the window stays so the user can read it).
	EngineDone <-chan error
	// Screen is the screen shown first (see Screens); "" is the overview.
	// A Screen that is not "" keeps the set-up from opening by itself at
	// the first start; "setup" is the overview with the set-up open.
	// "blocking/TAB" also opens a tab of Blocking (protection, lists,
	// allowed, rules, activity).
	Screen string
	Tray   TrayMode
	// Size is the window's first size; zero is 1000×720.
	Size fyne.Size
	// Background starts Polaris with its window closed (see EnvBackground).
	Background bool
	// OnQuit is called when the user quits (tray, window, Ctrl+Q), before
	// the app stops, from the Fyne thread; it must not block. The caller
	// uses it to start stopping the engine at once.
	OnQuit func()
	// Logf receives operational messages (nil: none).
	Logf func(format string, args ...any)

	// For tests: how work reaches the Fyne thread, the clock, and the
	// file dialogs (nil: Fyne's own; see pickFile).
	do          func(func())
	now         func() time.Time
	park        bool          // park the Fyne thread also with o.App (idle.go)
	parkFor     time.Duration // a park slice's length (0: parkSlice)
	displayWait displayWait   // what a shown park waits on (nil: the window's X connection)
	pickFile    func(p filePick, done func(path string, err error))
}

// Screens are the ids of the screens, in sidebar order.
var Screens = []string{"overview", "signals", "blocking", "https", "tor", "system"}

// screen is one page of the window.
type screen interface {
	// build creates the widgets; called once, on first show.
	build() fyne.CanvasObject
	// update brings the widgets in line with u.snap and u.set.
	update()
	// shown is called each time the screen is opened (to load data that
	// is read on demand, such as the data inventory).
	shown()
}

type screenDef struct {
	id, name string
	icon     fyne.Resource
	s        screen
	obj      fyne.CanvasObject
}

// UI is the Polaris window, with its tray icon when the desktop has one.
type UI struct {
	o      Options
	c      Controller
	app    fyne.App
	win    fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	// do runs f on the Fyne thread (fyne.Do; tests substitute a queue).
	do       func(f func())
	inflight atomic.Int64
	edits    chan func(*settings.Settings) error

	snap     status.Snapshot
	set      settings.Settings
	updating bool // true while widgets are set from state: ignore callbacks
	now      func() time.Time

	screens   []*screenDef
	current   int
	nav       *listBox
	content   *fyne.Container
	banner    *banner
	noticeAt  time.Time // newest engine notice already shown
	engineErr string    // why the engine stopped, if it did

	trayCheck chan bool
	tray      *trayMenu
	hidden    bool // the window is closed and Polaris runs in the background
	// The Fyne thread's park while idle (idle.go): parkable with the real
	// desktop driver, parking while a slice is queued or running, wake ends
	// a slice early (and disp's wake a shown one: shownParked), parkedSlices
	// counts them (tests), parkedHidden says the last slice was hidden,
	// parkRetry is the pending next try, busyBars the bars that keep the
	// shown window from parking while they run.
	parkable, parking bool
	wake              chan struct{}
	parkedSlices      int
	parkedHidden      bool
	shownParked       atomic.Bool
	parkRetry         *time.Timer
	disp              displayWait
	noDisplayWait     bool
	busyBars          []*busyBar
	// post queues work on the Fyne thread; do does too, and ends a shown
	// park's slice so that the work is done and drawn at once.
	post     func(func())
	closing  *closeDialog
	risky    *riskyDialog // the last risky question asked (tests)
	toldTray bool

	overview *overviewScreen
	blocking *blockingScreen
	setup    *setupDialog // the set-up last opened (tests read it)
	// setupPending: the set-up is to open by itself when the window,
	// started in the background, is first shown.
	setupPending bool
}

// New builds the window (not yet shown).
func New(o Options) *UI {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	loadTranslations()
	icon := fyne.NewStaticResource("polaris.png", assets.Icon)
	a := o.App
	if a == nil {
		// What `fyne package` embeds from FyneApp.toml, for plain go builds
		// too: every widget update goes through fyne.Do (fyneDo migration).
		fyneapp.SetMetadata(fyne.AppMetadata{ID: AppID, Name: "Polaris", Version: o.Version, Build: 1, Icon: icon,
			Migrations: map[string]bool{"fyneDo": true}})
		a = fyneapp.NewWithID(AppID)
	}
	a.SetIcon(icon)
	a.Settings().SetTheme(newTheme())
	u := &UI{o: o, c: o.Controller, app: a, do: fyne.Do, now: time.Now,
		edits: make(chan func(*settings.Settings) error, 64), wake: make(chan struct{}, 1),
		parkable: o.App == nil || o.park}
	if o.do != nil {
		u.do = o.do
	}
	u.post = u.do
	u.do = func(f func()) {
		u.post(f)
		u.wakeShownPark()
	}
	if o.now != nil {
		u.now = o.now
	}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	hook := u.scrollIntoView
	focusHook.Store(&hook)
	u.set = u.c.Settings()
	if o.Tray == TrayAuto {
		u.trayCheck = make(chan bool, 1)
		go func() { u.trayCheck <- trayHostAvailable() }()
	}
	u.build()
	return u
}

// Window returns the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Run shows the window and runs the app on the calling goroutine (the
// main thread) until the user quits. It then stops listening to the
// engine; the caller stops the engine.
func (u *UI) Run() {
	defer u.cancel()
	u.setupTray()
	start := time.Now()
	u.app.Lifecycle().SetOnStarted(func() {
		releaseProbe() // the window has its own connection now
		if !u.hidden {
			u.o.Logf("window shown %v after the UI started", time.Since(start).Round(time.Millisecond))
		}
		u.parkWhileIdle()
		// Building and drawing the first screens leaves some 20 MB of
		// garbage (decoded icons, font atlases, layout) that the runtime
		// would return to the system only slowly: return it once the
		// window has settled (docs/PERFORMANCE.md, idle cost).
		time.AfterFunc(3*time.Second, debug.FreeOSMemory) // only now: before the app runs, Fyne runs queued work at once
	})
	u.startWorkers()
	if u.o.Background {
		u.hidden = true
	} else {
		u.win.Show()
	}
	u.app.Run()
}

// Show brings the window forward, also from the background (the tray's
// Open item, and a second start of Polaris); safe from any goroutine.
func (u *UI) Show() {
	u.do(func() {
		wasHidden := u.hidden
		u.hidden = false
		u.win.Show()
		u.win.RequestFocus()
		if wasHidden {
			u.blocking.windowShown()
		}
		if u.setupPending {
			u.setupPending = false
			u.showSetup()
		}
	})
	u.unpark()
}

// Quit stops the app; Run returns. Safe from any goroutine.
func (u *UI) Quit() {
	u.do(u.quit)
	u.unpark()
}

// quit is every way out: the window goes first, so that the events its
// closing causes are handled while the app still runs, then the app stops.
func (u *UI) quit() {
	if u.o.OnQuit != nil {
		u.o.OnQuit()
	}
	u.hidden = true
	u.parkable = false // the loop must run to stop
	u.win.Hide()
	go u.do(u.app.Quit)
}

func (u *UI) build() {
	u.win = u.app.NewWindow(lang.L("Polaris"))
	u.win.SetIcon(u.app.Icon())
	u.win.SetMaster()
	u.overview = &overviewScreen{u: u}
	u.blocking = &blockingScreen{u: u}
	u.screens = []*screenDef{
		{id: "overview", name: lang.L("Overview"), icon: icon("shield"), s: u.overview},
		{id: "signals", name: lang.L("Privacy signals"), icon: theme.MailSendIcon(), s: &signalsScreen{u: u}},
		{id: "blocking", name: lang.L("Blocking"), icon: theme.VisibilityOffIcon(), s: u.blocking},
		{id: "https", name: lang.L("HTTPS"), icon: icon("lock"), s: &httpsScreen{u: u}},
		{id: "tor", name: lang.L("Tor"), icon: icon("tor"), s: &torScreen{u: u}},
		{id: "system", name: lang.L("System & data"), icon: theme.SettingsIcon(), s: &systemScreen{u: u}},
	}
	u.banner = newBanner()
	u.content = container.NewStack()
	u.nav = newList(
		func() int { return len(u.screens) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.HomeIcon()), widget.NewLabel("System & data xx"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Icon).SetResource(u.screens[i].icon)
			row.Objects[1].(*widget.Label).SetText(u.screens[i].name)
		})
	u.nav.OnSelected = func(i widget.ListItemID) { u.showScreen(i) }
	brand := container.NewHBox(widget.NewIcon(u.app.Icon()), title(lang.L("Polaris")))
	version := note(lang.L("Version {{.Version}}", map[string]any{"Version": u.o.Version}))
	side := container.NewBorder(container.NewPadded(brand), container.NewPadded(version), nil, nil, u.nav)
	// The banner floats over the top of the page instead of pushing it
	// down: what is under the pointer stays where it is when a message
	// comes or goes.
	main := container.NewStack(u.content, container.NewVBox(u.banner.obj))
	split := container.NewBorder(nil, nil, container.NewHBox(side, widget.NewSeparator()), nil, main)
	u.win.SetContent(split)
	size := u.o.Size
	if size.IsZero() {
		size = fitWindow(screenSize())
	}
	u.win.Resize(size)
	u.win.SetCloseIntercept(u.closeRequested)
	u.shortcuts()
	first := 0
	id, sub, _ := strings.Cut(u.o.Screen, "/")
	for i, s := range u.screens {
		if s.id == id {
			first = i
		}
	}
	u.nav.Select(first)
	if id == "blocking" && sub != "" {
		u.blocking.selectTab(sub)
	}
}

// showScreen switches to screen i, building it on first use. The sidebar
// calls it; everything else selects the sidebar row (selectScreen).
func (u *UI) showScreen(i int) {
	if i < 0 || i >= len(u.screens) {
		return
	}
	d := u.screens[i]
	u.ensureBuilt(d)
	u.current = i
	u.content.Objects = []fyne.CanvasObject{d.obj}
	u.content.Refresh()
	d.s.shown()
}

// selectScreen opens the screen with id (as if clicked in the sidebar).
func (u *UI) selectScreen(id string) {
	for i, d := range u.screens {
		if d.id == id {
			u.nav.Select(i)
		}
	}
}

func (u *UI) ensureBuilt(d *screenDef) {
	if d.obj != nil {
		return
	}
	d.obj = d.s.build()
	u.updating = true
	d.s.update()
	u.updating = false
}

func (u *UI) shortcuts() {
	c := u.win.Canvas()
	keys := []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6}
	for i, k := range keys {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) { u.nav.Select(i) })
	}
	// Tabs inside a screen (Blocking) are not focusable in fyne: switch
	// them from the keyboard the way browsers do.
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyPageDown, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { u.nextTab(1) })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyPageUp, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { u.nextTab(-1) })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { u.closeRequested() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { u.quit() })
}

// nextTab moves to the next (+1) or previous (-1) tab of the current
// screen, if it has tabs.
func (u *UI) nextTab(dir int) {
	if u.screens[u.current].s != u.blocking || u.blocking.tabs == nil {
		return
	}
	n := len(u.blocking.tabs.Items)
	u.blocking.tabs.SelectIndex((u.blocking.tabs.SelectedIndex() + dir + n) % n)
}

// startWorkers starts listening to the engine and the settings worker.
func (u *UI) startWorkers() {
	go u.applyLoop()
	u.openSetupIfNew()
	snaps := u.c.Subscribe(u.ctx)
	go func() {
		for snap := range snaps {
			u.do(func() { u.setSnapshot(snap) })
		}
	}()
	if u.o.EngineDone != nil {
		go func() {
			select {
			case err := <-u.o.EngineDone:
				if err != nil {
					u.do(func() {
						u.engineErr = sentence(err.Error())
						u.banner.show(status.Error, lang.L("Polaris has stopped: {{.Err}}. Nothing goes through it until it runs again: fix the cause (another port can be chosen under System & data) and start Polaris again.", map[string]any{"Err": u.engineErr}))
						u.setSnapshot(u.snap)
					})
				}
			case <-u.ctx.Done():
			}
		}()
	}
}

// setSnapshot takes a new status snapshot (Fyne thread).
func (u *UI) setSnapshot(snap status.Snapshot) {
	prevSeq := u.snap.Blocking.LogSeq
	if u.engineErr != "" && !snap.Proxy.Running && snap.Proxy.Err == "" {
		snap.Proxy.Err = u.engineErr
	}
	u.snap = snap
	u.set = u.c.Settings()
	for _, n := range snap.Notices {
		if n.Time.After(u.noticeAt) {
			u.noticeAt = n.Time
			if n.Severity >= status.Warning {
				u.banner.show(n.Severity, n.Text)
			}
		}
	}
	u.refresh()
	if snap.Blocking.LogSeq != prevSeq {
		u.blocking.logChanged()
	}
}

// refresh brings every built screen and the tray in line with the state.
func (u *UI) refresh() {
	u.updating = true
	defer func() { u.updating = false }()
	for _, d := range u.screens {
		if d.obj != nil {
			d.s.update()
		}
	}
	if u.tray != nil {
		u.tray.update()
	}
}

// reloadSettings re-reads the settings (after an Apply, failed or not).
func (u *UI) reloadSettings() {
	u.set = u.c.Settings()
	u.refresh()
}

// bg runs work off the Fyne thread; the function it returns, if any, runs
// on the Fyne thread afterwards. A panic in work is shown as an error.
func (u *UI) bg(work func() func()) {
	u.inflight.Add(1)
	go func() {
		var then func()
		defer func() {
			if r := recover(); r != nil {
				err := fmt.Errorf("%v", r)
				then = func() { u.fail(err) }
			}
			u.do(func() {
				defer u.inflight.Add(-1)
				if then != nil {
					then()
				}
			})
		}()
		then = work()
	}()
}

// change queues an edit of the settings. The worker applies edits in
// order, each to the settings as they are then; an edit's error, or
// Apply's, is shown and the widgets return to the settings in force.
func (u *UI) change(edit func(s *settings.Settings) error) {
	if u.updating {
		return // a widget echoing a state update, not the user
	}
	u.inflight.Add(1)
	select {
	case u.edits <- edit:
	default:
		u.inflight.Add(-1)
		u.fail(fmt.Errorf("%s", lang.L("Polaris is busy applying earlier changes; please try again")))
	}
}

func (u *UI) applyLoop() {
	for {
		select {
		case <-u.ctx.Done():
			return
		case edit := <-u.edits:
			err := u.applyOne(edit)
			u.do(func() {
				defer u.inflight.Add(-1)
				if err != nil {
					u.fail(err)
				}
				u.reloadSettings()
			})
		}
	}
}

func (u *UI) applyOne(edit func(*settings.Settings) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	s := u.c.Settings()
	if err := edit(&s); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(u.ctx, time.Minute)
	defer cancel()
	return u.c.Apply(ctx, s)
}

// longCall bounds a Controller call that may download, talk to Tor or
// change trust stores.
const longCall = 5 * time.Minute

// ctxFor returns a context for a Controller call that may take long.
func (u *UI) ctxFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(u.ctx, d)
}

// fail shows an error in the window.
func (u *UI) fail(err error) {
	if err == nil {
		return
	}
	var ke *settings.KeyError
	if errors.As(err, &ke) {
		// Its text names the setting's key, which is for the command line.
		err = fmt.Errorf("%s", lang.L("{{.Value}} cannot be used: {{.Err}}", map[string]any{"Value": strconv.Quote(ke.Value), "Err": ke.Err}))
	}
	u.banner.show(status.Error, sentence(err.Error()))
}

// inform shows a message in the window.
func (u *UI) inform(text string) { u.banner.show(status.Info, text) }

// closeRequested handles the window's close button: with a tray the
// window hides and Polaris keeps running; without one the user chooses.
func (u *UI) closeRequested() {
	if u.tray != nil {
		u.hideToBackground()
		if !u.toldTray {
			u.toldTray = true
			u.app.SendNotification(fyne.NewNotification(lang.L("Polaris is still running"),
				lang.L("Polaris keeps protecting you. Open it again or quit it from its icon in the system tray.")))
		}
		return
	}
	u.askQuitOrBackground()
}

func (u *UI) hideToBackground() {
	u.hidden = true
	u.win.Hide()
	u.parkWhileIdle()
}

// banner is the message strip at the top of the window.
type banner struct {
	*callout
	obj *fyne.Container
}

func newBanner() *banner {
	b := &banner{}
	dismiss := newButtonWithIcon("", theme.CancelIcon(), func() { b.obj.Hide() })
	dismiss.Importance = widget.LowImportance
	b.callout = newCallout(status.Info, "", dismiss)
	b.obj = container.New(layout.NewCustomPaddedLayout(8, 0, 12, 12), b.callout.obj)
	b.obj.Hide()
	return b
}

func (b *banner) show(sev status.Severity, text string) {
	b.callout.set(sev, text)
	b.obj.Show()
}

// Text returns the message shown, or "" when the banner is hidden.
func (b *banner) Text() string {
	if !b.obj.Visible() {
		return ""
	}
	return b.text.Text
}
