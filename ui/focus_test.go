// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
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
	case *Toggle, *dayChart, *widget.Button, *widget.Entry, *widget.Check, *widget.Select, *widget.SelectEntry,
		*widget.List, *widget.Slider, *widget.Hyperlink:
		return true
	default:
		// Fyne's internal parts of composite widgets (radio items,
		// accordion headers, tabs) draw their own focus.
		return strings.HasPrefix(fmt.Sprintf("%T", w), "*widget.")
	}
}

// TestEveryTabStopShowsFocus walks every screen with Tab, as a keyboard
// user does: every stop shows that it has the focus.
func TestEveryTabStopShowsFocus(t *testing.T) {
	for _, screen := range []string{"overview", "signals", "blocking", "blocking/lists", "blocking/allowed", "blocking/rules",
		"blocking/activity", "https", "tor", "system"} {
		t.Run(strings.ReplaceAll(screen, "/", "-"), func(t *testing.T) {
			f := newFake(t)
			f.recent = func(int) []status.Decision { return nil }
			f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, nil }
			f.inventory = func() (status.Inventory, error) { return status.Inventory{Dir: "/home/a/.config/polaris"}, nil }
			f.validateRule = func(string) error { return nil }
			h := newHarness(t, f, screen)
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
