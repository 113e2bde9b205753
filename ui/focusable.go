// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The window's Tab stops, in one place. Fyne moves the focus with Tab but
// has no hook for "the focus moved" and does not scroll to it, so every
// control Polaris puts on a page is one of these thin types: Fyne's own
// widget, unchanged in look and behaviour, whose FocusGained also tells
// focusMoved, which scrolls the page so that the control is in view.
// A control focused by a click is handled byPointer: the page stays put.
// Screens build their controls with these constructors, never with
// widget.NewButton and friends (TestControlsComeFromFocusable). Polaris's
// own focusable widgets (Toggle, dayChart) call focusMoved themselves.
//
// Fyne's composite widgets hide their Tab stops inside (a RadioGroup's
// items, an Accordion's headers), where no FocusGained can be overridden:
// radioGroup draws its own items and foldout replaces the Accordion.
// Controls in dialogs may be Fyne's plain widgets (the password entries,
// whose eye button Fyne keeps to itself): a dialog does not scroll.

// button is a widget.Button that scrolls into view when it gains the focus.
type button struct{ widget.Button }

func newButton(label string, tapped func()) *button {
	return newButtonWithIcon(label, nil, tapped)
}

func newButtonWithIcon(label string, icon fyne.Resource, tapped func()) *button {
	b := &button{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// FocusGained implements fyne.Focusable.
func (b *button) FocusGained() { b.Button.FocusGained(); focusMoved(b) }

// entry is a widget.Entry that scrolls into view when it gains the focus.
type entry struct{ widget.Entry }

func newEntry() *entry {
	e := &entry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip) // as widget.NewEntry
	e.ExtendBaseWidget(e)
	return e
}

func newMultiLineEntry() *entry {
	e := newEntry()
	e.MultiLine = true
	return e
}

// FocusGained implements fyne.Focusable.
func (e *entry) FocusGained() { e.Entry.FocusGained(); focusMoved(e) }

// MouseDown implements desktop.Mouseable (it focuses the entry).
func (e *entry) MouseDown(m *desktop.MouseEvent) { byPointer(func() { e.Entry.MouseDown(m) }) }

// TappedSecondary implements fyne.SecondaryTappable (it focuses the entry).
func (e *entry) TappedSecondary(p *fyne.PointEvent) { byPointer(func() { e.Entry.TappedSecondary(p) }) }

// checkBox is a widget.Check that scrolls into view when it gains the focus.
type checkBox struct{ widget.Check }

func newCheck(label string, changed func(bool)) *checkBox {
	c := &checkBox{}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// FocusGained implements fyne.Focusable.
func (c *checkBox) FocusGained() { c.Check.FocusGained(); focusMoved(c) }

// Tapped implements fyne.Tappable (it focuses the check).
func (c *checkBox) Tapped(p *fyne.PointEvent) { byPointer(func() { c.Check.Tapped(p) }) }

// selectBox is a widget.Select that scrolls into view when it gains the
// focus.
type selectBox struct{ widget.Select }

func newSelect(options []string, changed func(string)) *selectBox {
	s := &selectBox{}
	s.Options, s.OnChanged = options, changed // the placeholder is Fyne's default
	s.ExtendBaseWidget(s)
	return s
}

// FocusGained implements fyne.Focusable.
func (s *selectBox) FocusGained() { s.Select.FocusGained(); focusMoved(s) }

// Tapped implements fyne.Tappable (it focuses the select).
func (s *selectBox) Tapped(p *fyne.PointEvent) { byPointer(func() { s.Select.Tapped(p) }) }

// listBox is a widget.List that scrolls into view when it gains the focus.
type listBox struct{ widget.List }

func newList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *listBox {
	l := &listBox{}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// FocusGained implements fyne.Focusable.
func (l *listBox) FocusGained() { l.List.FocusGained(); focusMoved(l) }

// scrollParted is a Polaris widget made of parts that can hold the focus;
// scrollHolding looks into them.
type scrollParted interface {
	scrollParts() []fyne.CanvasObject
}

// radioGroup is a widget.RadioGroup (same fields, SetSelected, Required,
// Disable) whose items are Polaris's: one Tab stop per option, as in
// Fyne, each scrolling into view when it gains the focus.
type radioGroup struct {
	widget.RadioGroup
	items []*radioChoice
}

func newRadioGroup(options []string, changed func(string)) *radioGroup {
	g := &radioGroup{}
	g.Options, g.OnChanged = options, changed
	g.ExtendBaseWidget(g)
	return g
}

// CreateRenderer implements fyne.Widget.
func (g *radioGroup) CreateRenderer() fyne.WidgetRenderer {
	r := &radioGroupRenderer{g: g}
	r.Refresh()
	return r
}

func (g *radioGroup) scrollParts() []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(g.items))
	for i, it := range g.items {
		objs[i] = it
	}
	return objs
}

// choose is what a tap or Space on option i does: select it, or clear
// it when it was selected and an answer is not required.
func (g *radioGroup) choose(i int) {
	if g.Disabled() || i >= len(g.Options) {
		return
	}
	if g.Selected == g.Options[i] {
		if g.Required {
			return
		}
		g.Selected = ""
	} else {
		g.Selected = g.Options[i]
	}
	if g.OnChanged != nil {
		g.OnChanged(g.Selected)
	}
	g.Refresh()
}

type radioGroupRenderer struct {
	g *radioGroup
}

func (r *radioGroupRenderer) Objects() []fyne.CanvasObject { return r.g.scrollParts() }

func (r *radioGroupRenderer) Destroy() {}

func (r *radioGroupRenderer) itemSize() fyne.Size {
	var s fyne.Size
	for _, it := range r.g.items {
		s = s.Max(it.MinSize())
	}
	return s
}

func (r *radioGroupRenderer) MinSize() fyne.Size {
	s, n := r.itemSize(), float32(len(r.g.items))
	if r.g.Horizontal {
		return fyne.NewSize(s.Width*n, s.Height)
	}
	return fyne.NewSize(s.Width, s.Height*n)
}

func (r *radioGroupRenderer) Layout(size fyne.Size) {
	s := r.itemSize()
	if r.g.Horizontal {
		s.Height = size.Height
	} else {
		s.Width = size.Width
	}
	var pos fyne.Position
	for _, it := range r.g.items {
		it.Resize(s)
		it.Move(pos)
		if r.g.Horizontal {
			pos.X += s.Width
		} else {
			pos.Y += s.Height
		}
	}
}

func (r *radioGroupRenderer) Refresh() {
	g := r.g
	for len(g.items) < len(g.Options) {
		it := &radioChoice{g: g, i: len(g.items)}
		it.ExtendBaseWidget(it)
		g.items = append(g.items, it)
	}
	g.items = g.items[:len(g.Options)]
	for _, it := range g.items {
		it.Refresh()
	}
	r.Layout(g.Size())
	canvas.Refresh(g)
}

// radioChoice is one option of a radioGroup, drawn as Fyne draws its
// radio items: a focus (or hover) disc behind the round mark, then the
// option's text.
type radioChoice struct {
	widget.BaseWidget
	g                *radioGroup
	i                int
	focused, hovered bool
}

func (c *radioChoice) label() string {
	if c.i < len(c.g.Options) {
		return c.g.Options[c.i]
	}
	return ""
}

func (c *radioChoice) selected() bool { return c.g.Selected != "" && c.g.Selected == c.label() }

// Disabled, Enable and Disable follow the group (fyne.Disableable: the
// focus skips a disabled group's options).
func (c *radioChoice) Disabled() bool { return c.g.Disabled() }

// Enable implements fyne.Disableable.
func (c *radioChoice) Enable() { c.g.Enable() }

// Disable implements fyne.Disableable.
func (c *radioChoice) Disable() { c.g.Disable() }

// Tapped focuses the option and chooses it.
func (c *radioChoice) Tapped(*fyne.PointEvent) {
	if c.Disabled() {
		return
	}
	if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil && !c.focused && !fyne.CurrentDevice().IsMobile() {
		byPointer(func() { cv.Focus(c) })
	}
	c.g.choose(c.i)
}

// FocusGained implements fyne.Focusable.
func (c *radioChoice) FocusGained() { c.focused = true; c.Refresh(); focusMoved(c) }

// FocusLost implements fyne.Focusable.
func (c *radioChoice) FocusLost() { c.focused = false; c.Refresh() }

// TypedRune chooses the option on Space.
func (c *radioChoice) TypedRune(r rune) {
	if r == ' ' {
		c.g.choose(c.i)
	}
}

// TypedKey implements fyne.Focusable.
func (c *radioChoice) TypedKey(*fyne.KeyEvent) {}

// MouseIn implements desktop.Hoverable.
func (c *radioChoice) MouseIn(*desktop.MouseEvent) { c.hovered = true; c.Refresh() }

// MouseMoved implements desktop.Hoverable.
func (c *radioChoice) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (c *radioChoice) MouseOut() { c.hovered = false; c.Refresh() }

// AccessibilityLabel implements fyne.Accessible.
func (c *radioChoice) AccessibilityLabel() string { return c.label() }

// AccessibilityRole implements fyne.Accessible.
func (c *radioChoice) AccessibilityRole() fyne.AccessibleRole { return fyne.AccessibleRoleButton }

// CreateRenderer implements fyne.Widget.
func (c *radioChoice) CreateRenderer() fyne.WidgetRenderer {
	r := &radioChoiceRenderer{c: c, disc: canvas.NewCircle(color.Transparent),
		fill: canvas.NewImageFromResource(nil), ring: canvas.NewImageFromResource(nil), text: canvas.NewText("", nil)}
	r.update()
	return r
}

type radioChoiceRenderer struct {
	c          *radioChoice
	disc       *canvas.Circle
	fill, ring *canvas.Image
	text       *canvas.Text
}

func (r *radioChoiceRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.disc, r.fill, r.ring, r.text}
}

func (r *radioChoiceRenderer) Destroy() {}

func (r *radioChoiceRenderer) MinSize() fyne.Size {
	th := r.c.Theme()
	in := th.Size(theme.SizeNameInnerPadding) * 2
	return r.text.MinSize().AddWidthHeight(in+th.Size(theme.SizeNameInlineIcon)+th.Size(theme.SizeNamePadding), in)
}

func (r *radioChoiceRenderer) Layout(size fyne.Size) {
	th := r.c.Theme()
	in, border, icon := th.Size(theme.SizeNameInnerPadding), th.Size(theme.SizeNameInputBorder), th.Size(theme.SizeNameInlineIcon)
	disc := fyne.NewSquareSize(icon + in)
	r.disc.Resize(disc)
	r.disc.Move(fyne.NewPos(border, (size.Height-disc.Height)/2))
	for _, img := range []*canvas.Image{r.fill, r.ring} {
		img.Resize(fyne.NewSquareSize(icon))
		img.Move(fyne.NewPos(in/2+border, (size.Height-icon)/2))
	}
	r.text.Resize(size)
	r.text.Move(fyne.NewPos(disc.Width+th.Size(theme.SizeNamePadding), 0))
}

func (r *radioChoiceRenderer) update() {
	c := r.c
	th := c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	off, sel := c.Disabled(), c.selected()
	r.text.Text = c.label()
	r.text.TextSize = th.Size(theme.SizeNameText)
	r.text.Color = th.Color(theme.ColorNameForeground, v)
	ring := theme.NewThemedResource(th.Icon(theme.IconNameRadioButton))
	fill := theme.NewThemedResource(th.Icon(theme.IconNameRadioButtonFill))
	ring.ColorName, fill.ColorName = theme.ColorNameInputBorder, theme.ColorNameInputBackground
	if sel {
		ring.ColorName, fill.ColorName = theme.ColorNameForeground, theme.ColorNamePrimary
	}
	if off {
		r.text.Color = th.Color(theme.ColorNameDisabled, v)
		ring.ColorName, fill.ColorName = theme.ColorNameDisabled, theme.ColorNameBackground
		if sel {
			fill.ColorName = theme.ColorNameDisabled
		}
	}
	r.ring.Resource, r.fill.Resource = ring, fill
	r.ring.Refresh()
	r.fill.Refresh()
	switch {
	case off:
		r.disc.FillColor = color.Transparent
	case c.focused:
		r.disc.FillColor = th.Color(theme.ColorNameFocus, v)
	case c.hovered:
		r.disc.FillColor = th.Color(theme.ColorNameHover, v)
	default:
		r.disc.FillColor = color.Transparent
	}
}

func (r *radioChoiceRenderer) Refresh() {
	r.update()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

// foldout is a titled part that opens and closes, like a one-item
// widget.Accordion (same look: a flat button with an arrow), whose header
// is a button that scrolls into view when it gains the focus.
type foldout struct {
	widget.BaseWidget
	head   *button
	detail fyne.CanvasObject
	open   bool
}

func newFoldout(title string, detail fyne.CanvasObject) *foldout {
	f := &foldout{detail: detail}
	f.head = newButton(title, func() {
		if f.open {
			f.Close()
		} else {
			f.Open()
		}
	})
	f.head.Alignment = widget.ButtonAlignLeading
	f.head.IconPlacement = widget.ButtonIconLeadingText
	f.head.Importance = widget.LowImportance
	f.ExtendBaseWidget(f)
	f.show()
	return f
}

// SetTitle changes the header's text.
func (f *foldout) SetTitle(title string) { f.head.SetText(title) }

// Open shows the detail.
func (f *foldout) Open() { f.open = true; f.show() }

// Close hides the detail.
func (f *foldout) Close() { f.open = false; f.show() }

func (f *foldout) show() {
	if f.open {
		f.head.SetIcon(theme.MenuDropUpIcon())
		f.detail.Show()
	} else {
		f.head.SetIcon(theme.MenuDropDownIcon())
		f.detail.Hide()
	}
	f.Refresh()
}

func (f *foldout) scrollParts() []fyne.CanvasObject { return []fyne.CanvasObject{f.head, f.detail} }

// CreateRenderer implements fyne.Widget.
func (f *foldout) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewVBox(f.head, f.detail))
}
