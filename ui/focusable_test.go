// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// watchFocus records what tells focusMoved, for the length of the test.
func watchFocus(t *testing.T) *[]fyne.CanvasObject {
	t.Helper()
	var got []fyne.CanvasObject
	old := focusHook.Load()
	hook := func(o fyne.CanvasObject) { got = append(got, o) }
	focusHook.Store(&hook)
	t.Cleanup(func() { focusHook.Store(old) })
	return &got
}

// TestFocusableWidgetsTellTheFocus: each of focusable.go's controls, once
// focused (as Tab does), tells focusMoved that it has the focus, and still
// shows the focus as Fyne's widget does.
func TestFocusableWidgetsTellTheFocus(t *testing.T) {
	newTestApp(t)
	got := watchFocus(t)
	g := newRadioGroup([]string{"a", "b"}, nil)
	f := newFoldout("More", widget.NewLabel("detail"))
	l := newList(func() int { return 1 }, func() fyne.CanvasObject { return widget.NewLabel("") }, func(widget.ListItemID, fyne.CanvasObject) {})
	w := test.NewTempWindow(t, container.NewVBox(newButton("B", nil), newEntry(), newMultiLineEntry(), newCheck("C", nil),
		newSelect([]string{"x"}, nil), container.NewGridWrap(fyne.NewSize(100, 60), l), g, f))
	w.Resize(fyne.NewSize(400, 600))
	c := w.Canvas()
	var stops []fyne.Focusable
	for i := 0; i < 20; i++ {
		c.FocusNext()
		o := c.Focused()
		if o == nil || (len(stops) > 0 && o == stops[0]) {
			break
		}
		stops = append(stops, o)
		if len(*got) == 0 || (*got)[len(*got)-1] != o.(fyne.CanvasObject) {
			t.Errorf("Tab stop %d, %T, did not tell focusMoved", i, o)
		}
		if !focusShown(o) {
			t.Errorf("Tab stop %d, %T, does not show the focus", i, o)
		}
	}
	want := "[*ui.button *ui.entry *ui.entry *ui.checkBox *ui.selectBox *ui.listBox *ui.radioChoice *ui.radioChoice *ui.button]"
	if fmt.Sprint(typeNames(stops)) != want {
		t.Errorf("Tab stops %v, want %s", typeNames(stops), want)
	}
}

func typeNames(objs []fyne.Focusable) []string {
	var s []string
	for _, o := range objs {
		s = append(s, fmt.Sprintf("%T", o))
	}
	return s
}

// TestFocusableWidgetsBehaveAsFyne: the thin types are Fyne's widgets:
// the same defaults as Fyne's constructors, the same taps, disabling and
// validation.
func TestFocusableWidgetsBehaveAsFyne(t *testing.T) {
	newTestApp(t)
	t.Run("button", func(t *testing.T) {
		taps := 0
		b := newButtonWithIcon("Go", nil, func() { taps++ })
		fb := widget.NewButton("Go", nil)
		if b.Importance != fb.Importance || b.Alignment != fb.Alignment || b.IconPlacement != fb.IconPlacement {
			t.Errorf("defaults differ from widget.NewButton's")
		}
		test.NewTempWindow(t, b)
		test.Tap(b)
		b.Disable()
		test.Tap(b)
		if taps != 1 {
			t.Errorf("%d taps reached OnTapped, want 1 (the second was on a disabled button)", taps)
		}
	})
	t.Run("entry", func(t *testing.T) {
		for _, tc := range []struct {
			ours *entry
			fyne *widget.Entry
		}{{newEntry(), widget.NewEntry()}, {newMultiLineEntry(), widget.NewMultiLineEntry()}} {
			e, fe := tc.ours, tc.fyne
			if e.Wrapping != fe.Wrapping || e.MultiLine != fe.MultiLine || e.AcceptsTab() != fe.AcceptsTab() || e.Scroll != fe.Scroll {
				t.Errorf("defaults differ from Fyne's (multi-line %v)", fe.MultiLine)
			}
			changed := ""
			e.OnChanged = func(s string) { changed = s }
			e.Validator = func(s string) error {
				if s == "bad" {
					return errors.New("bad")
				}
				return nil
			}
			test.NewTempWindow(t, e)
			test.Type(e, "bad")
			if e.Text != "bad" || changed != "bad" || e.Validate() == nil {
				t.Errorf("typed %q, OnChanged %q, Validate %v; want the text, the change and the validator's error", e.Text, changed, e.Validate())
			}
			e.Disable()
			test.Type(e, "x")
			if e.Text != "bad" {
				t.Errorf("a disabled entry took typing: %q", e.Text)
			}
		}
	})
	t.Run("check", func(t *testing.T) {
		var got []bool
		c := newCheck("C", func(on bool) { got = append(got, on) })
		test.NewTempWindow(t, c)
		test.Tap(c)
		c.Disable()
		test.Tap(c)
		if fmt.Sprint(got) != "[true]" || !c.Checked {
			t.Errorf("changes %v, checked %v; want [true], true", got, c.Checked)
		}
	})
	t.Run("select", func(t *testing.T) {
		got := ""
		s := newSelect([]string{"x", "y"}, func(v string) { got = v })
		fs := widget.NewSelect([]string{"x", "y"}, nil)
		test.NewTempWindow(t, container.NewVBox(s, fs))
		if s.PlaceHolder != fs.PlaceHolder {
			t.Errorf("placeholder %q, Fyne's %q", s.PlaceHolder, fs.PlaceHolder)
		}
		s.SetSelectedIndex(1)
		if got != "y" || s.Selected != "y" {
			t.Errorf("OnChanged %q, selected %q; want y", got, s.Selected)
		}
	})
	t.Run("list", func(t *testing.T) {
		sel := -1
		l := newList(func() int { return 3 }, func() fyne.CanvasObject { return widget.NewLabel("") },
			func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(fmt.Sprint(i)) })
		l.OnSelected = func(i widget.ListItemID) { sel = i }
		test.NewTempWindow(t, l)
		l.Select(2)
		if sel != 2 {
			t.Errorf("selected %d, want 2", sel)
		}
	})
}

// TestRadioGroupAsFyne: Polaris's radio group answers taps, Space,
// Required, SetSelected and Disable exactly as widget.RadioGroup does.
func TestRadioGroupAsFyne(t *testing.T) {
	newTestApp(t)
	opts := []string{"one", "two", "three"}
	type step struct {
		name string
		do   func(g fyne.Widget, set func(string), disable func(bool), required func(bool))
	}
	steps := []step{
		{"tap two", func(g fyne.Widget, _ func(string), _, _ func(bool)) { tapRadio(t, g, 1) }},
		{"tap two again (clears)", func(g fyne.Widget, _ func(string), _, _ func(bool)) { tapRadio(t, g, 1) }},
		{"tap three", func(g fyne.Widget, _ func(string), _, _ func(bool)) { tapRadio(t, g, 2) }},
		{"required, tap three again (stays)", func(g fyne.Widget, _ func(string), _, req func(bool)) {
			req(true)
			tapRadio(t, g, 2)
		}},
		{"SetSelected one", func(_ fyne.Widget, set func(string), _, _ func(bool)) { set("one") }},
		{"disabled, tap two (ignored)", func(g fyne.Widget, _ func(string), dis, _ func(bool)) {
			dis(true)
			tapRadio(t, g, 1)
		}},
		{"enabled, Space on two", func(g fyne.Widget, _ func(string), dis, _ func(bool)) {
			dis(false)
			parts := test.WidgetRenderer(g).Objects()
			parts[1].(fyne.Focusable).TypedRune(' ')
		}},
	}
	var ours, theirs []string
	g := newRadioGroup(opts, func(s string) { ours = append(ours, s) })
	fg := widget.NewRadioGroup(opts, func(s string) { theirs = append(theirs, s) })
	test.NewTempWindow(t, container.NewVBox(g, fg))
	for _, st := range steps {
		st.do(g, g.SetSelected, func(d bool) {
			if d {
				g.Disable()
			} else {
				g.Enable()
			}
		}, func(r bool) { g.Required = r })
		st.do(fg, fg.SetSelected, func(d bool) {
			if d {
				fg.Disable()
			} else {
				fg.Enable()
			}
		}, func(r bool) { fg.Required = r })
		if g.Selected != fg.Selected || fmt.Sprint(ours) != fmt.Sprint(theirs) {
			t.Errorf("after %s: selected %q, changes %q; Fyne's: %q, %q", st.name, g.Selected, ours, fg.Selected, theirs)
		}
	}
	if g.MinSize() != fg.MinSize() {
		t.Errorf("size %v, Fyne's %v", g.MinSize(), fg.MinSize())
	}
}

// TestFoldoutOpensAndCloses: the fold-out's header opens and closes it.
func TestFoldoutOpensAndCloses(t *testing.T) {
	newTestApp(t)
	detail := widget.NewLabel("detail")
	f := newFoldout("More", detail)
	test.NewTempWindow(t, f)
	if detail.Visible() {
		t.Fatal("open before asked")
	}
	test.Tap(f.head)
	if !detail.Visible() {
		t.Fatal("the header did not open it")
	}
	f.SetTitle("More (2)")
	test.Tap(f.head)
	if detail.Visible() || f.head.Text != "More (2)" {
		t.Errorf("after a second tap: open %v, title %q", detail.Visible(), f.head.Text)
	}
}

// TestRadioGroupLooksAsFyne: Polaris's radio group draws, pixel for pixel,
// what widget.RadioGroup draws: unselected, selected with the focus on
// another option, and disabled.
func TestRadioGroupLooksAsFyne(t *testing.T) {
	a := newTestApp(t)
	a.Settings().SetTheme(newTheme())
	opts := []string{"Ask sites not to track me", "Allow tracking", "Say nothing"}
	for _, tc := range []struct {
		name     string
		selected string
		focus    int
		disabled bool
	}{{"blank", "", -1, false}, {"selected and focused", opts[0], 1, false}, {"disabled", opts[2], -1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			draw := func(g fyne.Widget, set func(string), disable func()) []byte {
				w := test.NewTempWindow(t, g)
				w.Resize(fyne.NewSize(320, 140))
				set(tc.selected)
				if tc.disabled {
					disable()
				}
				if tc.focus >= 0 {
					w.Canvas().Focus(test.WidgetRenderer(g).Objects()[tc.focus].(fyne.Focusable))
				}
				img, ok := w.Canvas().Capture().(*image.NRGBA)
				if !ok {
					t.Fatal("the test canvas did not draw an NRGBA image")
				}
				return img.Pix
			}
			g := newRadioGroup(opts, nil)
			fg := widget.NewRadioGroup(opts, nil)
			ours, theirs := draw(g, g.SetSelected, g.Disable), draw(fg, fg.SetSelected, fg.Disable)
			if !bytes.Equal(ours, theirs) {
				t.Error("Polaris's radio group does not look like Fyne's")
			}
		})
	}
}
