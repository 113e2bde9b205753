// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Toggle is an on/off switch. It is focusable: Space or Return flips it.
// SetOn changes it without calling OnChanged (for updates that come from
// the engine); a tap or a key calls OnChanged with the new state.
type Toggle struct {
	widget.DisableableWidget

	On        bool
	OnChanged func(on bool)
	// Label names the switch for screen readers.
	Label string

	big              bool
	hovered, focused bool
}

// NewToggle returns a switch named label (for accessibility).
func NewToggle(label string, changed func(on bool)) *Toggle {
	t := &Toggle{Label: label, OnChanged: changed}
	t.ExtendBaseWidget(t)
	return t
}

// newBigToggle returns the large switch of the Overview.
func newBigToggle(label string, changed func(on bool)) *Toggle {
	t := NewToggle(label, changed)
	t.big = true
	return t
}

// SetOn sets the state without calling OnChanged.
func (t *Toggle) SetOn(on bool) {
	if t.On == on {
		return
	}
	t.On = on
	t.Refresh()
}

func (t *Toggle) flip() {
	if t.Disabled() {
		return
	}
	t.On = !t.On
	t.Refresh()
	if t.OnChanged != nil {
		t.OnChanged(t.On)
	}
}

// Tapped flips the switch.
func (t *Toggle) Tapped(*fyne.PointEvent) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(t); c != nil && !t.Disabled() {
		byPointer(func() { c.Focus(t) })
	}
	t.flip()
}

// FocusGained implements fyne.Focusable.
func (t *Toggle) FocusGained() { t.focused = true; t.Refresh(); focusMoved(t) }

// FocusLost implements fyne.Focusable.
func (t *Toggle) FocusLost() { t.focused = false; t.Refresh() }

// TypedRune flips the switch on Space.
func (t *Toggle) TypedRune(r rune) {
	if r == ' ' {
		t.flip()
	}
}

// TypedKey flips the switch on Return.
func (t *Toggle) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
		t.flip()
	}
}

// MouseIn implements desktop.Hoverable.
func (t *Toggle) MouseIn(*desktop.MouseEvent) { t.hovered = true; t.Refresh() }

// MouseMoved implements desktop.Hoverable.
func (t *Toggle) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (t *Toggle) MouseOut() { t.hovered = false; t.Refresh() }

// Cursor shows a pointing hand over the switch.
func (t *Toggle) Cursor() desktop.Cursor { return desktop.PointerCursor }

// AccessibilityLabel implements fyne.Accessible.
func (t *Toggle) AccessibilityLabel() string { return t.Label }

// AccessibilityRole implements fyne.Accessible.
func (t *Toggle) AccessibilityRole() fyne.AccessibleRole { return fyne.AccessibleRoleButton }

// CreateRenderer implements fyne.Widget.
func (t *Toggle) CreateRenderer() fyne.WidgetRenderer {
	r := &toggleRenderer{t: t, track: canvas.NewRectangle(color.Transparent), knob: canvas.NewCircle(color.White),
		ring: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type toggleRenderer struct {
	t           *Toggle
	ring, track *canvas.Rectangle
	knob        *canvas.Circle
}

func (r *toggleRenderer) trackSize() fyne.Size {
	if r.t.big {
		return fyne.NewSize(64, 34)
	}
	return fyne.NewSize(42, 24)
}

func (r *toggleRenderer) MinSize() fyne.Size {
	s := r.trackSize()
	return s.AddWidthHeight(6, 6) // room for the focus ring
}

func (r *toggleRenderer) Layout(size fyne.Size) {
	ts := r.trackSize()
	pos := fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2)
	r.track.Resize(ts)
	r.track.Move(pos)
	r.track.CornerRadius = ts.Height / 2
	r.ring.Resize(ts.AddWidthHeight(6, 6))
	r.ring.Move(pos.SubtractXY(3, 3))
	r.ring.CornerRadius = ts.Height/2 + 3
	inset := float32(3)
	d := ts.Height - 2*inset
	x := pos.X + inset
	if r.t.On {
		x = pos.X + ts.Width - inset - d
	}
	r.knob.Resize(fyne.NewSquareSize(d))
	r.knob.Move(fyne.NewPos(x, pos.Y+inset))
}

func (r *toggleRenderer) Refresh() {
	th := r.t.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	switch {
	case r.t.Disabled():
		r.track.FillColor = th.Color(theme.ColorNameDisabledButton, v)
		r.knob.FillColor = th.Color(theme.ColorNameDisabled, v)
	case r.t.On:
		r.track.FillColor = th.Color(theme.ColorNamePrimary, v)
		r.knob.FillColor = th.Color(theme.ColorNameForegroundOnPrimary, v)
	default:
		r.track.FillColor = th.Color(colorSwitchOff, v)
		r.knob.FillColor = color.White
	}
	r.ring.StrokeWidth = 0
	r.ring.FillColor = color.Transparent
	if r.t.focused {
		r.ring.FillColor = th.Color(theme.ColorNameFocus, v)
	} else if r.t.hovered && !r.t.Disabled() {
		r.ring.FillColor = th.Color(theme.ColorNameHover, v)
	}
	r.Layout(r.t.Size())
	canvas.Refresh(r.t)
}

func (r *toggleRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.ring, r.track, r.knob}
}

func (r *toggleRenderer) Destroy() {}
