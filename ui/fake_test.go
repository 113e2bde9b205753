// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// fakeController is a callback-struct fake: a nil callback means the call
// was not expected, and fails the test. Settings and Subscribe are always
// allowed (the window reads them all the time).
type fakeController struct {
	t     *testing.T
	mu    sync.Mutex
	set   settings.Settings
	snaps chan status.Snapshot

	apply           func(s settings.Settings) error
	validateRule    func(line string) error
	recent          func(max int) []status.Decision
	allowSite       func(site string) error
	pause           func(d time.Duration) error
	resume          func() error
	addList         func(url, name string) error
	removeList      func(id int64) error
	setListEnabled  func(id int64, on bool) error
	setListInterval func(id int64, every time.Duration) error
	updateLists     func(id int64) error
	siteAnswers     func() ([]status.SiteAnswer, error)
	installCA       func() (string, error)
	uninstallCA     func() (string, error)
	findBrowsers    func() []status.FoundBrowser
	installBrowsers func() (string, error)
	browserTrust    func() (string, error)
	exportCA        func(path string, der bool) error
	regenerateCA    func() error
	forgetPass      func(host string) (int64, error)
	newIdentity     func() error
	newCircuit      func(site string) (string, error)
	circuit         func(site string) (status.Circuit, error)
	inventory       func() (status.Inventory, error)
	exportData      func(path string, pass []byte) error
	importData      func(path, confirmed string, pass []byte) error
	checkImport     func(path string, pass []byte) (settings.ImportCheck, error)
	deleteAll       func() error
	// setupSeen stands for the data directory's record that the set-up
	// was finished or closed; nil: it was (the window does not open it).
	setupSeen *bool
}

var errUnavailable = errors.New("this is not available in this version of Polaris yet")

func newFake(t *testing.T) *fakeController {
	return &fakeController{t: t, set: settings.Default(), snaps: make(chan status.Snapshot, 16)}
}

// recordApply makes Apply store the settings and returns what it received.
func (f *fakeController) recordApply() *[]settings.Settings {
	var got []settings.Settings
	f.apply = func(s settings.Settings) error {
		if err := s.Validate(); err != nil {
			return err
		}
		got = append(got, s.Clone())
		f.set = s.Clone()
		return nil
	}
	return &got
}

func (f *fakeController) unexpected(name string, args ...any) {
	f.t.Helper()
	f.t.Errorf("unexpected call %s%v", name, args)
}

func (f *fakeController) Settings() settings.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.set.Clone()
}

func (f *fakeController) Apply(ctx context.Context, s settings.Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apply == nil {
		f.unexpected("Apply")
		return errors.New("unexpected")
	}
	return f.apply(s)
}

func (f *fakeController) Subscribe(ctx context.Context) <-chan status.Snapshot {
	out := make(chan status.Snapshot)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-f.snaps:
				select {
				case out <- s:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// call runs a callback under the lock, or reports an unexpected call.
func call[T any](f *fakeController, name string, cb func() T, zero T, isNil bool) T {
	f.mu.Lock()
	defer f.mu.Unlock()
	if isNil {
		f.unexpected(name)
		return zero
	}
	return cb()
}

func (f *fakeController) ValidateRule(line string) error {
	return call(f, "ValidateRule", func() error { return f.validateRule(line) }, errors.New("unexpected"), f.validateRule == nil)
}
func (f *fakeController) RecentDecisions(max int) []status.Decision {
	return call(f, "RecentDecisions", func() []status.Decision { return f.recent(max) }, nil, f.recent == nil)
}
func (f *fakeController) AllowSite(ctx context.Context, site string) error {
	return call(f, "AllowSite", func() error { return f.allowSite(site) }, errors.New("unexpected"), f.allowSite == nil)
}
func (f *fakeController) Pause(d time.Duration) error {
	return call(f, "Pause", func() error { return f.pause(d) }, errors.New("unexpected"), f.pause == nil)
}
func (f *fakeController) Resume() error {
	return call(f, "Resume", func() error { return f.resume() }, errors.New("unexpected"), f.resume == nil)
}
func (f *fakeController) AddList(ctx context.Context, url, name string) error {
	// Not under the lock: tests block in it to watch the progress.
	if f.addList == nil {
		f.unexpected("AddList")
		return errors.New("unexpected")
	}
	return f.addList(url, name)
}
func (f *fakeController) RemoveList(ctx context.Context, id int64) error {
	return call(f, "RemoveList", func() error { return f.removeList(id) }, errors.New("unexpected"), f.removeList == nil)
}
func (f *fakeController) SetListEnabled(ctx context.Context, id int64, on bool) error {
	return call(f, "SetListEnabled", func() error { return f.setListEnabled(id, on) }, errors.New("unexpected"), f.setListEnabled == nil)
}
func (f *fakeController) SetListInterval(ctx context.Context, id int64, every time.Duration) error {
	return call(f, "SetListInterval", func() error { return f.setListInterval(id, every) }, errors.New("unexpected"), f.setListInterval == nil)
}
func (f *fakeController) UpdateLists(ctx context.Context, id int64) error {
	return call(f, "UpdateLists", func() error { return f.updateLists(id) }, errors.New("unexpected"), f.updateLists == nil)
}
func (f *fakeController) SiteAnswers(ctx context.Context) ([]status.SiteAnswer, error) {
	type r struct {
		a   []status.SiteAnswer
		err error
	}
	res := call(f, "SiteAnswers", func() r { a, err := f.siteAnswers(); return r{a, err} }, r{err: errors.New("unexpected")}, f.siteAnswers == nil)
	return res.a, res.err
}
func (f *fakeController) InstallCA(ctx context.Context) (string, error) {
	type r struct {
		s   string
		err error
	}
	res := call(f, "InstallCA", func() r { s, err := f.installCA(); return r{s, err} }, r{err: errors.New("unexpected")}, f.installCA == nil)
	return res.s, res.err
}
func (f *fakeController) UninstallCA(ctx context.Context) (string, error) {
	type r struct {
		s   string
		err error
	}
	res := call(f, "UninstallCA", func() r { s, err := f.uninstallCA(); return r{s, err} }, r{err: errors.New("unexpected")}, f.uninstallCA == nil)
	return res.s, res.err
}
func (f *fakeController) FindBrowsers(ctx context.Context) []status.FoundBrowser {
	return call(f, "FindBrowsers", func() []status.FoundBrowser { return f.findBrowsers() }, nil, f.findBrowsers == nil)
}
func (f *fakeController) InstallCAInBrowsers(ctx context.Context) (string, error) {
	type r struct {
		s   string
		err error
	}
	res := call(f, "InstallCAInBrowsers", func() r { s, err := f.installBrowsers(); return r{s, err} }, r{err: errors.New("unexpected")}, f.installBrowsers == nil)
	return res.s, res.err
}
func (f *fakeController) BrowserTrust(ctx context.Context) (string, error) {
	type r struct {
		s   string
		err error
	}
	res := call(f, "BrowserTrust", func() r { s, err := f.browserTrust(); return r{s, err} }, r{err: errors.New("unexpected")}, f.browserTrust == nil)
	return res.s, res.err
}
func (f *fakeController) SetupSeen(ctx context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.setupSeen == nil || *f.setupSeen, nil
}
func (f *fakeController) MarkSetupSeen(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setupSeen == nil {
		f.setupSeen = new(bool)
	}
	*f.setupSeen = true
	return nil
}
func (f *fakeController) ExportCA(path string, der bool) error {
	return call(f, "ExportCA", func() error { return f.exportCA(path, der) }, errors.New("unexpected"), f.exportCA == nil)
}
func (f *fakeController) RegenerateCA(ctx context.Context) error {
	return call(f, "RegenerateCA", func() error { return f.regenerateCA() }, errors.New("unexpected"), f.regenerateCA == nil)
}
func (f *fakeController) ForgetPassThrough(ctx context.Context, host string) (int64, error) {
	type r struct {
		n   int64
		err error
	}
	res := call(f, "ForgetPassThrough", func() r { n, err := f.forgetPass(host); return r{n, err} }, r{err: errors.New("unexpected")}, f.forgetPass == nil)
	return res.n, res.err
}
func (f *fakeController) NewIdentity(ctx context.Context) error {
	return call(f, "NewIdentity", func() error { return f.newIdentity() }, errors.New("unexpected"), f.newIdentity == nil)
}
func (f *fakeController) NewCircuit(ctx context.Context, site string) (string, error) {
	type r struct {
		s   string
		err error
	}
	res := call(f, "NewCircuit", func() r { s, err := f.newCircuit(site); return r{s, err} }, r{err: errors.New("unexpected")}, f.newCircuit == nil)
	return res.s, res.err
}
func (f *fakeController) Circuit(ctx context.Context, site string) (status.Circuit, error) {
	type r struct {
		c   status.Circuit
		err error
	}
	res := call(f, "Circuit", func() r { c, err := f.circuit(site); return r{c, err} }, r{err: errors.New("unexpected")}, f.circuit == nil)
	return res.c, res.err
}
func (f *fakeController) Inventory(ctx context.Context) (status.Inventory, error) {
	type r struct {
		i   status.Inventory
		err error
	}
	res := call(f, "Inventory", func() r { i, err := f.inventory(); return r{i, err} }, r{err: errors.New("unexpected")}, f.inventory == nil)
	return res.i, res.err
}
func (f *fakeController) ExportData(ctx context.Context, path string, pass []byte) error {
	return call(f, "ExportData", func() error { return f.exportData(path, pass) }, errors.New("unexpected"), f.exportData == nil)
}
func (f *fakeController) CheckImport(ctx context.Context, path string, pass []byte) (settings.ImportCheck, error) {
	type r struct {
		c   settings.ImportCheck
		err error
	}
	res := call(f, "CheckImport", func() r {
		if f.checkImport == nil {
			return r{c: settings.ImportCheck{Path: path, Digest: "digest"}}
		}
		c, err := f.checkImport(path, pass)
		return r{c, err}
	}, r{err: errors.New("unexpected")}, false)
	return res.c, res.err
}
func (f *fakeController) ImportData(ctx context.Context, path, confirmed string, pass []byte) error {
	return call(f, "ImportData", func() error { return f.importData(path, confirmed, pass) }, errors.New("unexpected"), f.importData == nil)
}
func (f *fakeController) DeleteAllData(ctx context.Context) error {
	return call(f, "DeleteAllData", func() error { return f.deleteAll() }, errors.New("unexpected"), f.deleteAll == nil)
}

var _ Controller = (*fakeController)(nil)

// harness runs a UI on the fyne test driver. Work the UI hands to the
// Fyne thread is queued and run on the test goroutine by settle/until, so
// widgets are only touched there (as in the real app) and the race
// detector sees the same ordering.
type harness struct {
	t     *testing.T
	f     *fakeController
	u     *UI
	queue chan func()
	seq   int
	// files answers the file dialogs: the path chosen ("" cancels) or the
	// dialog's error. nil: a dialog was not expected, and fails the test.
	files func(p filePick) (string, error)
	picks []filePick // every file dialog opened
}

func newTestApp(t *testing.T) fyne.App {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	loadTranslations()
	return a
}

// newHarness opens the window on screen.
func newHarness(t *testing.T, f *fakeController, screen string) *harness {
	t.Helper()
	a := newTestApp(t)
	h := &harness{t: t, f: f, queue: make(chan func(), 1024)}
	u := New(Options{Controller: f, App: a, Tray: TrayOff, Version: "test", Screen: screen,
		do: func(fn func()) { h.queue <- fn }, now: func() time.Time { return testNow },
		pickFile: h.pickFile})
	h.u = u
	u.win.Resize(fyne.NewSize(1000, 720))
	u.win.Show()
	u.startWorkers()
	t.Cleanup(u.cancel)
	h.settle()
	return h
}

// pickFile stands in for the file dialogs: the user answers later, on
// the Fyne thread, as with the real dialog.
func (h *harness) pickFile(p filePick, done func(path string, err error)) {
	h.t.Helper()
	h.picks = append(h.picks, p)
	if h.files == nil {
		h.t.Errorf("unexpected file dialog %+v", p)
		return
	}
	path, err := h.files(p)
	h.queue <- func() { done(path, err) }
}

// testNow is the clock of the tests: a Saturday afternoon.
var testNow = time.Date(2026, 11, 21, 15, 4, 0, 0, time.Local)

// settle runs queued Fyne-thread work until nothing is in flight.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case fn := <-h.queue:
			fn()
			continue
		default:
		}
		if h.u.inflight.Load() == 0 {
			return
		}
		select {
		case fn := <-h.queue:
			fn()
		case <-deadline:
			h.t.Fatalf("the UI did not settle: %d operations in flight", h.u.inflight.Load())
		}
	}
}

// until runs queued work until cond holds.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case fn := <-h.queue:
			fn()
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// snapshot sends a status snapshot and waits until the UI has it.
func (h *harness) snapshot(s status.Snapshot) {
	h.t.Helper()
	if s.Time.IsZero() {
		h.seq++
		s.Time = testNow.Add(time.Duration(h.seq) * time.Nanosecond)
	}
	h.f.snaps <- s
	h.until("the snapshot", func() bool { return h.u.snap.Time.Equal(s.Time) })
	h.settle()
}

// objects returns every visible object of the window and its overlays,
// walking the widgets' live renderers.
func (h *harness) objects() []fyne.CanvasObject {
	c := h.u.win.Canvas()
	var objs []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		objs = append(objs, o)
		switch w := o.(type) {
		case *widget.Label, *widget.RichText, *widget.Button, *widget.Entry, *button, *entry:
			// leaves for our purposes: their text is their own
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(w).Objects() {
				walk(ch)
			}
		case *fyne.Container:
			for _, ch := range w.Objects {
				walk(ch)
			}
		}
	}
	walk(c.Content())
	for _, o := range c.Overlays().List() {
		walk(o)
	}
	return objs
}

// button finds the visible button with exactly this text.
func (h *harness) button(text string) *widget.Button {
	h.t.Helper()
	var found []*widget.Button
	for _, o := range h.objects() {
		if b := asButton(o); b != nil && b.Text == text && b.Visible() {
			found = append(found, b)
		}
	}
	if len(found) == 0 {
		h.t.Fatalf("no button %q on screen", text)
	}
	return found[len(found)-1] // overlays last: a dialog's button wins
}

// tap taps the button with this text and settles.
func (h *harness) tap(text string) {
	h.t.Helper()
	b := h.button(text)
	if b.Disabled() {
		h.t.Fatalf("button %q is disabled", text)
	}
	test.Tap(b)
	h.settle()
}

// texts returns every visible text on screen (labels, rich text, buttons).
func (h *harness) texts() string {
	var b strings.Builder
	for _, o := range h.objects() {
		switch w := o.(type) {
		case *widget.Label:
			b.WriteString(w.Text)
		case *widget.RichText:
			b.WriteString(w.String())
		case *widget.Button:
			b.WriteString(w.Text)
		case *button:
			b.WriteString(w.Text)
		case *canvas.Text:
			b.WriteString(w.Text)
		default:
			continue
		}
		b.WriteString("\n")
	}
	return b.String()
}

// see fails unless text is on screen.
func (h *harness) see(text string) {
	h.t.Helper()
	if !strings.Contains(h.texts(), text) {
		h.t.Errorf("%q is not on screen; the screen shows:\n%s", text, h.texts())
	}
}

// dontSee fails if text is on screen.
func (h *harness) dontSee(text string) {
	h.t.Helper()
	if strings.Contains(h.texts(), text) {
		h.t.Errorf("%q is on screen, want it gone", text)
	}
}

// tapMenu taps the pop-up menu item labelled text.
func (h *harness) tapMenu(text string) {
	h.t.Helper()
	for _, o := range h.u.win.Canvas().Overlays().List() {
		for _, obj := range h.objects() {
			tp, ok := obj.(fyne.Tappable)
			w, isWidget := obj.(fyne.Widget)
			if !ok || !isWidget {
				continue
			}
			for _, ch := range test.WidgetRenderer(w).Objects() {
				if tx, ok := ch.(*canvas.Text); ok && tx.Text == text {
					test.Tap(tp)
					h.settle()
					return
				}
			}
		}
		_ = o
	}
	h.t.Fatalf("no menu item %q", text)
}

// asButton returns the Fyne button o is (Polaris's own or one that Fyne
// makes, as in its dialogs), or nil.
func asButton(o fyne.CanvasObject) *widget.Button {
	switch b := o.(type) {
	case *widget.Button:
		return b
	case *button:
		return &b.Button
	}
	return nil
}

// tapRadio taps option i of a radio group, as a click would.
func tapRadio(t *testing.T, r fyne.Widget, i int) {
	t.Helper()
	var items []fyne.Tappable
	for _, o := range test.WidgetRenderer(r).Objects() {
		if tp, ok := o.(fyne.Tappable); ok {
			items = append(items, tp)
		}
	}
	if i >= len(items) {
		t.Fatalf("radio group has %d tappable items, want option %d", len(items), i)
	}
	test.Tap(items[i])
}

// lastApply returns the last applied settings, failing if there is none.
func lastApply(t *testing.T, got *[]settings.Settings) settings.Settings {
	t.Helper()
	if len(*got) == 0 {
		t.Fatal("Apply was not called")
	}
	return (*got)[len(*got)-1]
}
