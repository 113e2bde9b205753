// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"image/color"
	"net/url"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/assets"
	"polaris/internal/settings"
	"polaris/internal/status"
)

// Small building blocks shared by the screens, so that every screen has
// the same rhythm: a heading, a sentence saying what it is for, panels of
// rows with a control on the right.

// heading is a section title.
func heading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameSubHeadingText
	l.TextStyle.Bold = true
	return l
}

// title is a screen title.
func title(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameHeadingText
	l.TextStyle.Bold = true
	return l
}

// note is secondary text: muted, wrapped.
func note(text string) *widget.RichText {
	t := widget.NewRichText(&widget.TextSegment{Text: text, Style: widget.RichTextStyle{ColorName: colorMuted}})
	t.Wrapping = fyne.TextWrapWord
	return t
}

// setNote replaces the text of a note; an empty note is hidden so that it
// takes no room.
func setNote(t *widget.RichText, text string) {
	if seg, ok := t.Segments[0].(*widget.TextSegment); ok && seg.Text != text {
		seg.Text = text
		t.Refresh()
	}
	if text == "" {
		t.Hide()
	} else {
		t.Show()
	}
}

// strong is a bold, wrapped label.
func strong(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	l.Wrapping = fyne.TextWrapWord
	return l
}

// wrapped is a plain wrapped label.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// themedRect is a rectangle filled with a theme colour that follows theme
// changes (light/dark) — a plain canvas.Rectangle would keep its colour.
type themedRect struct {
	widget.BaseWidget
	color  fyne.ThemeColorName
	radius float32
	rect   *canvas.Rectangle
}

func newThemedRect(c fyne.ThemeColorName, radius float32) *themedRect {
	r := &themedRect{color: c, radius: radius, rect: canvas.NewRectangle(color.Transparent)}
	r.ExtendBaseWidget(r)
	return r
}

// SetColor changes the colour.
func (r *themedRect) SetColor(c fyne.ThemeColorName) {
	r.color = c
	r.Refresh()
}

func (r *themedRect) CreateRenderer() fyne.WidgetRenderer {
	rr := &themedRectRenderer{r: r}
	rr.Refresh()
	return rr
}

type themedRectRenderer struct{ r *themedRect }

func (rr *themedRectRenderer) Layout(s fyne.Size) { rr.r.rect.Resize(s) }
func (rr *themedRectRenderer) MinSize() fyne.Size { return fyne.NewSize(0, 0) }
func (rr *themedRectRenderer) Destroy()           {}
func (rr *themedRectRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{rr.r.rect}
}
func (rr *themedRectRenderer) Refresh() {
	v := fyne.CurrentApp().Settings().ThemeVariant()
	rr.r.rect.FillColor = rr.r.Theme().Color(rr.r.color, v)
	rr.r.rect.CornerRadius = rr.r.radius
	rr.r.rect.Refresh()
}

// panel groups rows on a softly tinted, rounded background.
func panel(objs ...fyne.CanvasObject) fyne.CanvasObject {
	inner := container.NewVBox(objs...)
	return container.NewStack(newThemedRect(colorPanel, 10),
		container.New(layout.NewCustomPaddedLayout(10, 10, 14, 14), inner))
}

// section is a heading, an optional explanation and a panel.
func section(head, explain string, objs ...fyne.CanvasObject) fyne.CanvasObject {
	parts := []fyne.CanvasObject{heading(head)}
	if explain != "" {
		parts = append(parts, note(explain))
	}
	return container.NewVBox(container.New(layout.NewCustomPaddedVBoxLayout(-8), parts...), panel(objs...))
}

// switchRow is a titled, explained row with a switch on the right.
func switchRow(titleText, explain string, t *Toggle) fyne.CanvasObject {
	return controlRow(titleText, explain, container.NewCenter(t))
}

// controlRow is a titled, explained row with any control on the right.
func controlRow(titleText, explain string, control fyne.CanvasObject) fyne.CanvasObject {
	// Centred, so that a row of entry, label and button keeps one line
	// instead of stretching to the height of the explanation.
	return container.NewBorder(nil, nil, nil, container.NewCenter(control), textBlock(titleText, explain))
}

// textBlock is a bold line with its explanation tucked under it.
func textBlock(titleText, explain string) fyne.CanvasObject {
	text := []fyne.CanvasObject{strong(titleText)}
	if explain != "" {
		text = append(text, note(explain))
	}
	return container.New(layout.NewCustomPaddedVBoxLayout(-10), text...)
}

// keyValue is a label and a value on one row.
func keyValue(key string, value fyne.CanvasObject) fyne.CanvasObject {
	k := widget.NewLabel(key)
	k.TextStyle.Bold = true
	return container.NewBorder(nil, nil, k, nil, value)
}

// page lays a screen out: title, intro and sections, scrolling vertically.
func page(titleText, intro string, sections ...fyne.CanvasObject) fyne.CanvasObject {
	head := []fyne.CanvasObject{title(titleText)}
	if intro != "" {
		head = append(head, note(intro))
	}
	objs := []fyne.CanvasObject{container.New(layout.NewCustomPaddedVBoxLayout(-8), head...)}
	objs = append(objs, sections...)
	return container.NewVScroll(pagePadding(container.New(layout.NewCustomPaddedVBoxLayout(14), objs...)))
}

// pagePadding is the margin around a screen's content.
func pagePadding(o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(6, 24, 20, 20), o)
}

// unavailableText is what a screen shows in place of data the engine
// could not give (for example a feature this version does not have yet).
func unavailableText(err error) string { return sentence(err.Error()) }

// callout is a tinted box with an icon and a message, for warnings and
// explanations that must stand out while staying readable.
type callout struct {
	obj  *fyne.Container
	bg   *themedRect
	icon *widget.Icon
	text *widget.Label
}

func newCallout(sev status.Severity, text string, trailing fyne.CanvasObject) *callout {
	c := &callout{bg: newThemedRect(colorInfoBG, 8), icon: widget.NewIcon(theme.InfoIcon()), text: wrapped(text)}
	row := container.NewBorder(nil, nil, container.NewCenter(c.icon), trailing, c.text)
	c.obj = container.NewStack(c.bg, container.New(layout.NewCustomPaddedLayout(2, 2, 8, 4), row))
	c.set(sev, text)
	return c
}

// set changes the message; "" hides the box.
func (c *callout) set(sev status.Severity, text string) {
	switch sev {
	case status.Error:
		c.bg.SetColor(colorErrorBG)
		c.icon.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
	case status.Warning:
		c.bg.SetColor(colorWarningBG)
		c.icon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
	default:
		c.bg.SetColor(colorInfoBG)
		c.icon.SetResource(theme.NewPrimaryThemedResource(theme.InfoIcon()))
	}
	c.text.SetText(text)
	if text == "" {
		c.obj.Hide()
	} else {
		c.obj.Show()
	}
}

// icon returns one of Polaris's own monochrome icons, coloured for the theme.
func icon(name string) fyne.Resource {
	b, err := assets.Icons.ReadFile("icons/" + name + ".svg")
	if err != nil {
		return theme.QuestionIcon()
	}
	return theme.NewThemedResource(fyne.NewStaticResource(name+".svg", b))
}

// fixedWidth gives o a fixed width (entries otherwise shrink to nothing in
// a row, or stretch across the window in a border).
func fixedWidth(w float32, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(w, o.MinSize().Height), o)
}

// enable enables or disables a widget.
func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// siteEntry is an entry for a site pattern (example.com, or *.example.com
// for its subdomains) with its add button, enabled only for a valid
// pattern, and a label that says what is wrong. Enter adds too.
func siteEntry(addLabel string, add func()) (*entry, *widget.Label, *button) {
	e := newEntry()
	e.SetPlaceHolder(lang.L("example.com or *.example.com"))
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	msg.Hide()
	btn := newButtonWithIcon(addLabel, theme.ContentAddIcon(), add)
	btn.Disable()
	e.OnChanged = func(v string) {
		_, err := checkSite(v)
		switch {
		case strings.TrimSpace(v) == "":
			msg.Hide()
			btn.Disable()
		case err != nil:
			msg.SetText(lang.L("Enter a site such as example.com, or *.example.com for all its subdomains."))
			msg.Show()
			btn.Disable()
		default:
			msg.Hide()
			btn.Enable()
		}
	}
	e.OnSubmitted = func(string) { add() }
	return e, msg, btn
}

// siteOf takes what the user typed or pasted into a site field and returns
// the site in it: the host of a pasted address ("https://www.example.com/a?b"
// gives "www.example.com", "example.com/page" gives "example.com"), else
// the text itself, trimmed. The result is still to be checked.
func siteOf(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "://"); i > 0 {
		if u, err := url.Parse(v); err == nil && u.Hostname() != "" {
			// Spaces as the other forms lose them (Unicode ones too).
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.ToLower(u.Hostname())), "."))
		}
		v = v[i+3:]
	}
	if i := strings.IndexAny(v, "/?#"); i >= 0 {
		v = v[:i]
	}
	if i := strings.LastIndexByte(v, '@'); i >= 0 { // user@host
		v = v[i+1:]
	}
	if h, port, ok := strings.Cut(v, ":"); ok && port != "" && strings.Trim(port, "0123456789") == "" {
		v = h
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "."))
}

// checkSite checks a site pattern typed or pasted into a site field (see
// siteOf) and returns it in its stored form.
func checkSite(v string) (string, error) { return settings.CheckSitePattern(siteOf(v)) }

// riskyDialog is a question whose "yes" widens exposure or loses
// something: the safe answer is the default (highlighted, focused, so
// that Enter and Space choose it) and the risky one is named by what it
// does, never a bare "Yes".
type riskyDialog struct {
	d           *dialog.CustomDialog
	safe, risky *button
}

// confirmRisky asks the question; done gets true only when the user chose
// the risky action. Closing the dialog any other way is the safe answer.
func (u *UI) confirmRisky(titleText, message, riskyLabel, safeLabel string, done func(risky bool)) *riskyDialog {
	r := &riskyDialog{}
	answered := false
	answer := func(v bool) {
		if answered {
			return
		}
		answered = true
		r.d.Hide()
		done(v)
	}
	r.safe = newButton(safeLabel, func() { answer(false) })
	r.safe.Importance = widget.HighImportance
	r.risky = newButton(riskyLabel, func() { answer(true) })
	r.d = dialog.NewCustomWithoutButtons(titleText, wrapped(message), u.win)
	r.d.SetButtons([]fyne.CanvasObject{r.risky, r.safe})
	r.d.SetOnClosed(func() { answer(false) })
	r.d.Resize(fyne.NewSize(480, 0))
	r.d.Show()
	u.win.Canvas().Focus(r.safe)
	u.risky = r
	return r
}

// focusHook is told when one of the window's controls (every one is a
// Polaris type: focusable.go, the switch, the chart) gains the focus, so
// that the page scrolls it into view: Fyne moves the focus with Tab but
// does not scroll to it. Set by New.
var focusHook atomic.Pointer[func(fyne.CanvasObject)]

// pointing counts the pointer events being handled: a control that a
// click focuses is under the pointer already, and the page must not move
// under the pointer, so focusMoved lets it be.
var pointing atomic.Int32

// byPointer runs f, the handling of a click, tap or press.
func byPointer(f func()) {
	pointing.Add(1)
	defer pointing.Add(-1)
	f()
}

func focusMoved(o fyne.CanvasObject) {
	if pointing.Load() > 0 {
		return
	}
	if f := focusHook.Load(); f != nil {
		(*f)(o)
	}
}

// scrollIntoView scrolls the current screen's page (or tab), or the
// set-up's, so that obj, which just gained the focus, is in view with a
// little room around it. Other dialogs do not scroll: nothing to do.
func (u *UI) scrollIntoView(obj fyne.CanvasObject) {
	var scroll *container.Scroll
	if u.current >= 0 && u.current < len(u.screens) && u.screens[u.current].obj != nil {
		scroll = scrollHolding(u.screens[u.current].obj, obj)
	}
	if scroll == nil && u.setup != nil {
		scroll = scrollHolding(u.setup.scroll, obj)
	}
	if scroll == nil {
		return
	}
	// Lay the page out first: the focus may have changed what is on it
	// (the chart's caption), and Fyne lays out only when it next draws.
	scroll.Refresh()
	drv := fyne.CurrentApp().Driver()
	top := drv.AbsolutePositionForObject(obj).Y - drv.AbsolutePositionForObject(scroll).Y
	h, view := obj.Size().Height, scroll.Size().Height
	const room = 16
	off := scroll.Offset
	switch {
	case top < room || (h > view-2*room && top != room):
		// Above the view, or taller than it: show its top.
		off.Y += top - room
	case top+h > view-room:
		off.Y += top + h - view + room
	default:
		return
	}
	scroll.ScrollToOffset(off)
}

// scrollHolding returns the innermost scroll container under root that
// holds obj, or nil. It walks containers, scrolls and tabs (the widgets
// Polaris builds its pages from) and the parts of Polaris's composite
// widgets (scrollParted), not other widgets' insides.
func scrollHolding(root, obj fyne.CanvasObject) *container.Scroll {
	var walk func(o fyne.CanvasObject, in *container.Scroll) *container.Scroll
	walk = func(o fyne.CanvasObject, in *container.Scroll) *container.Scroll {
		if o == nil || !o.Visible() {
			return nil
		}
		if o == obj {
			return in
		}
		switch w := o.(type) {
		case *container.Scroll:
			return walk(w.Content, w)
		case *container.AppTabs:
			if sel := w.Selected(); sel != nil {
				return walk(sel.Content, in)
			}
		case *fyne.Container:
			for _, ch := range w.Objects {
				if s := walk(ch, in); s != nil {
					return s
				}
			}
		case scrollParted:
			for _, ch := range w.scrollParts() {
				if s := walk(ch, in); s != nil {
					return s
				}
			}
		}
		return nil
	}
	return walk(root, nil)
}
