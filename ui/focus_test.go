// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/status"
)

// focusShown reports whether a focused object of this kind shows that it
// has the focus: Fyne's own controls do (a focus colour or ring), and so do
// Polaris's switch and chart; a selectable label does not.
func focusShown(o fyne.Focusable) bool {
	if fmt.Sprintf("%T", o) == "*widget.focusSelectable" {
		return false // a selectable label: it shows a selection, if any, not the focus
	}
	switch w := o.(type) {
	case *Toggle, *dayChart, *button, *entry, *checkBox, *selectBox, *listBox, *radioChoice,
		*widget.Button, *widget.Entry, *widget.Check, *widget.Select, *widget.SelectEntry,
		*widget.List, *widget.Slider, *widget.Hyperlink:
		return true
	default:
		// Fyne's internal parts of composite widgets (radio items,
		// accordion headers, tabs) draw their own focus.
		return strings.HasPrefix(fmt.Sprintf("%T", w), "*widget.")
	}
}

// tabScreens are the screens and tabs that the Tab walks go through.
var tabScreens = []string{"overview", "signals", "blocking", "blocking/lists", "blocking/allowed", "blocking/rules",
	"blocking/activity", "https", "tor", "system"}

// tabHarness opens screen on a fake engine that answers whatever the
// screen asks for.
func tabHarness(t *testing.T, screen string) *harness {
	t.Helper()
	f := newFake(t)
	f.recent = func(int) []status.Decision { return nil }
	f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, nil }
	f.inventory = func() (status.Inventory, error) { return status.Inventory{Dir: "/home/a/.config/polaris"}, nil }
	f.validateRule = func(string) error { return nil }
	return newHarness(t, f, screen)
}

// TestEveryTabStopShowsFocus walks every screen with Tab, as a keyboard
// user does: every stop shows that it has the focus.
func TestEveryTabStopShowsFocus(t *testing.T) {
	for _, screen := range tabScreens {
		t.Run(strings.ReplaceAll(screen, "/", "-"), func(t *testing.T) {
			h := tabHarness(t, screen)
			snap := running()
			seenBrowsers(&snap)
			snap.HTTPS.CA = status.CA{Present: true, Fingerprint: "ab:cd"}
			h.snapshot(snap)
			c := h.u.win.Canvas()
			seen := map[fyne.Focusable]bool{}
			for i := 0; i < 300; i++ {
				c.FocusNext()
				o := c.Focused()
				if o == nil || seen[o] {
					break
				}
				seen[o] = true
				if !focusShown(o) {
					t.Errorf("Tab stop %d, %T %q, does not show that it has the focus", i, o, objectText(o.(fyne.CanvasObject)))
				}
			}
			if len(seen) < 2 {
				t.Errorf("only %d Tab stops", len(seen))
			}
		})
	}
}

// TestFocusScrollsIntoView: a switch far down a page, reached with Tab in a
// small window, is scrolled into view.
func TestFocusScrollsIntoView(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "https")
	h.u.win.Resize(fitWindow(fyne.NewSize(1024, 600)))
	h.snapshot(running())
	hs := h.u.screens[3].s.(*httpsScreen)
	scroll := scrollHolding(h.u.screens[3].obj, hs.defaults)
	if scroll == nil {
		t.Fatal("the switch is not in a scrolling page")
	}
	drv := fyne.CurrentApp().Driver()
	inView := func(o fyne.CanvasObject) bool {
		top := drv.AbsolutePositionForObject(o).Y - drv.AbsolutePositionForObject(scroll).Y
		return top >= 0 && top+o.Size().Height <= scroll.Size().Height
	}
	if inView(hs.defaults) {
		t.Fatal("the switch is in view before it has the focus: the test proves nothing")
	}
	h.u.win.Canvas().Focus(hs.defaults)
	if !inView(hs.defaults) {
		t.Errorf("the focused switch is out of view (offset %v)", scroll.Offset)
	}
	// Back up: Shift+Tab to the first switch scrolls back.
	h.u.win.Canvas().Focus(hs.search)
	if !inView(hs.search) {
		t.Errorf("the first switch, focused again, is out of view (offset %v)", scroll.Offset)
	}
}

// pathTo returns the objects from root down to obj (both included),
// walking containers and the insides of widgets as the canvas does, or nil.
func pathTo(root, obj fyne.CanvasObject) []fyne.CanvasObject {
	if root == nil || !root.Visible() {
		return nil
	}
	if root == obj {
		return []fyne.CanvasObject{root}
	}
	var children []fyne.CanvasObject
	switch w := root.(type) {
	case *fyne.Container:
		children = w.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(w).Objects()
	}
	for _, ch := range children {
		if p := pathTo(ch, obj); p != nil {
			return append([]fyne.CanvasObject{root}, p...)
		}
	}
	return nil
}

// TestTabScrollsEveryStopIntoView walks every screen with Tab, then back
// with Shift+Tab, in a window as small as on a 1024×600 screen, as a
// keyboard user does: every stop inside a scrolling page is in view once it
// has the focus, whatever kind of control it is (Fyne's buttons, entries,
// checks, selects, lists, radio options, the fold-out's header, Polaris's
// switches and chart).
func TestTabScrollsEveryStopIntoView(t *testing.T) {
	scrolled := 0
	for _, screen := range tabScreens {
		t.Run(strings.ReplaceAll(screen, "/", "-"), func(t *testing.T) {
			h := tabHarness(t, screen)
			h.u.win.Resize(fitWindow(fyne.NewSize(1024, 600)))
			snap := running()
			seenBrowsers(&snap)
			for i := int64(0); i < 3; i++ { // a long page of lists, each row with its controls
				for _, l := range sampleLists() {
					l.ID += 10 * i
					snap.Blocking.Lists = append(snap.Blocking.Lists, l)
				}
			}
			snap.HTTPS.CA = status.CA{Present: true, Fingerprint: "ab:cd"}
			h.snapshot(snap)
			c := h.u.win.Canvas()
			drv := fyne.CurrentApp().Driver()
			for _, dir := range []struct {
				name string
				move func()
			}{{"Tab", c.FocusNext}, {"Shift+Tab", c.FocusPrevious}} {
				inScroll := 0
				stops := walkFocus(h, dir.move, 300, func(i int, o fyne.Focusable, obj fyne.CanvasObject) {
					path := pathTo(c.Content(), obj)
					if path == nil {
						t.Fatalf("%s stop %d, %T, is not in the window's content", dir.name, i, o)
					}
					for _, p := range path {
						scroll, ok := p.(*container.Scroll)
						if !ok || scroll.Direction == container.ScrollHorizontalOnly {
							continue
						}
						inScroll++
						if scroll.Offset.Y != 0 {
							scrolled++
						}
						top := drv.AbsolutePositionForObject(obj).Y - drv.AbsolutePositionForObject(scroll).Y
						bottom, view := top+obj.Size().Height, scroll.Size().Height
						tall := obj.Size().Height > view
						if top < 0 || top >= view || (bottom > view && !tall) {
							t.Errorf("%s stop %d, %T %q, is out of view once focused: %v–%v in a view of %v",
								dir.name, i, o, objectText(obj), top, bottom, view)
						}
					}
				})
				t.Logf("%s: %d stops, %d in scrolling pages", dir.name, stops, inScroll)
			}
		})
	}
	if scrolled == 0 {
		t.Error("no page had to scroll: the window is too big for the test to prove anything")
	}
}

// TestControlsComeFromFocusable: the screens build their controls with
// focusable.go's constructors, whose widgets scroll into view when they
// gain the focus, never with Fyne's own (whose focus nothing can follow).
// Fyne's password entries are allowed: they live in dialogs, which do not
// scroll, and their eye button is Fyne's own.
func TestControlsComeFromFocusable(t *testing.T) {
	banned := map[string]string{"NewButton": "newButton", "NewButtonWithIcon": "newButtonWithIcon", "NewEntry": "newEntry",
		"NewMultiLineEntry": "newMultiLineEntry", "NewEntryWithData": "newEntry", "NewCheck": "newCheck",
		"NewCheckWithData": "newCheck", "NewSelect": "newSelect", "NewSelectEntry": "a Polaris type", "NewList": "newList",
		"NewListWithData": "newList", "NewRadioGroup": "newRadioGroup", "NewAccordion": "newFoldout",
		"NewHyperlink": "a Polaris type", "NewSlider": "a Polaris type", "NewTable": "a Polaris type",
		"NewTree": "a Polaris type", "NewGridWrap": "a Polaris type", "NewCheckGroup": "a Polaris type"}
	files, _ := filepath.Glob("*.go")
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "focusable.go" {
			continue
		}
		fs := token.NewFileSet()
		f, err := parser.ParseFile(fs, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n++
		ast.Inspect(f, func(node ast.Node) bool {
			switch x := node.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "widget" {
					if use, bad := banned[x.Sel.Name]; bad {
						t.Errorf("%s: widget.%s: use %s (focusable.go), so that the page scrolls to it", fs.Position(x.Pos()), x.Sel.Name, use)
					}
				}
				if x.Sel.Name == "Selectable" {
					t.Errorf("%s: a selectable label is a Tab stop whose focus nothing follows", fs.Position(x.Pos()))
				}
			}
			return true
		})
	}
	if n < 10 {
		t.Fatalf("only %d source files read", n)
	}
}

// TestFocusInADialogLeavesThePage: a dialog's controls are not on the page,
// so focusing them (with Tab) scrolls nothing behind the dialog.
func TestFocusInADialogLeavesThePage(t *testing.T) {
	f := newFake(t)
	f.recordApply()
	h := newHarness(t, f, "https")
	h.u.win.Resize(fitWindow(fyne.NewSize(1024, 600)))
	h.snapshot(running())
	hs := h.u.screens[3].s.(*httpsScreen)
	scroll := scrollHolding(h.u.screens[3].obj, hs.defaults)
	c := h.u.win.Canvas()
	c.Focus(hs.defaults)
	off := scroll.Offset
	if off.Y == 0 {
		t.Fatal("the page did not scroll to the switch: the test proves nothing")
	}
	hs.filterChanged(true) // asks, in a dialog, whether to filter without the certificate
	h.settle()
	if len(c.Overlays().List()) == 0 {
		t.Fatal("no dialog")
	}
	stops := 0
	for i := 0; i < 10; i++ {
		c.FocusNext()
		h.settle()
		if c.Focused() != nil {
			stops++
		}
		if scroll.Offset != off {
			t.Fatalf("Tab stop %d in the dialog, %T, scrolled the page behind it from %v to %v", i, c.Focused(), off, scroll.Offset)
		}
	}
	if stops == 0 {
		t.Error("no Tab stop in the dialog")
	}
}

// TestSetupScrollsToFocus: the set-up, the first thing a new user sees, is
// a dialog with its own scrolling page; in a window as small as on a
// 1024×600 screen, Tab reaches every question and the Set up button and
// each is in view once it has the focus.
func TestSetupScrollsToFocus(t *testing.T) {
	f := newFake(t)
	f.findBrowsers = func() []status.FoundBrowser {
		return []status.FoundBrowser{{Name: "Firefox", Family: status.Firefox, Installed: true, Profiles: []string{"default-esr"}}}
	}
	h := newHarness(t, f, "overview")
	h.u.win.Resize(fitWindow(fyne.NewSize(1024, 600)))
	h.snapshot(running())
	h.tap("Set up…")
	s := h.u.setup
	s.dnt.SetSelected(s.dntChoices[0])
	s.https.SetSelected(s.httpsChoices[1]) // the Set up button is a Tab stop once both are answered
	h.settle()
	var scroll *container.Scroll
	for _, o := range h.objects() {
		if sc, ok := o.(*container.Scroll); ok && pathTo(sc, s.run) != nil {
			scroll = sc
		}
	}
	if scroll == nil {
		t.Fatal("the set-up has no scrolling page")
	}
	drv := fyne.CurrentApp().Driver()
	top := func(o fyne.CanvasObject) float32 {
		return drv.AbsolutePositionForObject(o).Y - drv.AbsolutePositionForObject(scroll).Y
	}
	if top(s.run)+s.run.Size().Height <= scroll.Size().Height {
		t.Fatal("the Set up button is in view before it has the focus: the test proves nothing")
	}
	reached := false
	walkFocus(h, h.u.win.Canvas().FocusNext, 50, func(i int, o fyne.Focusable, obj fyne.CanvasObject) {
		if pathTo(scroll, obj) == nil {
			return // the dialog's Close button
		}
		reached = reached || o == fyne.Focusable(s.run)
		if y := top(obj); y < 0 || y+obj.Size().Height > scroll.Size().Height {
			t.Errorf("Tab stop %d, %T %q, is out of view once focused: %v–%v in a view of %v",
				i, o, objectText(obj), y, y+obj.Size().Height, scroll.Size().Height)
		}
	})
	if !reached {
		t.Error("Tab never reached the Set up button")
	}
}

// TestClickDoesNotScroll: a control half under the bottom of the page,
// focused by a click, leaves the page where it is (it is under the
// pointer already); focused with Tab, it scrolls into view.
func TestClickDoesNotScroll(t *testing.T) {
	f := newFake(t)
	f.recordApply()
	h, y := systemHarness(t, f)
	h.u.win.Resize(fitWindow(fyne.NewSize(1024, 600)))
	h.snapshot(running())
	drv := fyne.CurrentApp().Driver()
	c := h.u.win.Canvas()
	for _, tc := range []struct {
		name  string
		obj   fyne.CanvasObject
		click func()
	}{
		{"entry", y.statsDays, func() { y.statsDays.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary}) }},
		{"switch", y.logPersist, func() { test.Tap(y.logPersist) }},
		{"select", y.logKeep, func() { test.Tap(y.logKeep) }}, // its menu opens, and has the focus
	} {
		t.Run(tc.name, func(t *testing.T) {
			scroll := scrollHolding(h.u.screens[5].obj, tc.obj)
			scroll.ScrollToOffset(fyne.Position{})
			top := drv.AbsolutePositionForObject(tc.obj).Y - drv.AbsolutePositionForObject(scroll).Y
			half := fyne.NewPos(0, top+tc.obj.Size().Height/2-scroll.Size().Height)
			scroll.ScrollToOffset(half)
			if scroll.Offset != half {
				t.Fatalf("cannot put the %s half out of view (offset %v, want %v)", tc.name, scroll.Offset, half)
			}
			tc.click()
			h.settle()
			if c.Focused() != tc.obj.(fyne.Focusable) && len(c.Overlays().List()) == 0 {
				t.Fatalf("the click did not focus the %s (%T has the focus)", tc.name, c.Focused())
			}
			if scroll.Offset != half {
				t.Errorf("a click on the %s scrolled the page from %v to %v", tc.name, half, scroll.Offset)
			}
			for _, o := range c.Overlays().List() {
				c.Overlays().Remove(o)
			}
			c.Unfocus()
			c.Focus(tc.obj.(fyne.Focusable)) // as Tab does
			if scroll.Offset == half {
				t.Errorf("the %s focused from the keyboard, half out of view, did not scroll", tc.name)
			}
		})
	}
}

// walkFocus moves the focus with move, at most max times and until it
// comes back to a stop already seen (or to none), and calls visit with each
// stop in turn; it returns how many there were.
func walkFocus(h *harness, move func(), max int, visit func(i int, o fyne.Focusable, obj fyne.CanvasObject)) int {
	seen := map[fyne.Focusable]bool{}
	for i := 0; i < max; i++ {
		move()
		h.settle()
		o := h.u.win.Canvas().Focused()
		if o == nil || seen[o] {
			break
		}
		seen[o] = true
		visit(i, o, o.(fyne.CanvasObject))
	}
	return len(seen)
}
