// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// dayChart draws blocked requests per day as bars stacked by category,
// with canvas primitives only. Hovering a bar, or moving with the arrow
// keys when the chart has focus, selects a day and calls OnSelect with its
// index (-1 when nothing is selected).
type dayChart struct {
	widget.BaseWidget

	OnSelect func(i int)

	days     []status.DayCount
	selected int
	focused  bool
	now      func() time.Time
}

func newDayChart(now func() time.Time) *dayChart {
	c := &dayChart{selected: -1, now: now}
	c.ExtendBaseWidget(c)
	return c
}

// SetDays replaces the data.
func (c *dayChart) SetDays(days []status.DayCount) {
	c.days = days
	if c.selected >= len(days) {
		c.selected = -1
	}
	c.Refresh()
}

func (c *dayChart) selectDay(i int) {
	if i < -1 || i >= len(c.days) {
		i = -1
	}
	if i == c.selected {
		return
	}
	c.selected = i
	c.Refresh()
	if c.OnSelect != nil {
		c.OnSelect(i)
	}
}

const chartGutter = 52 // room for the y-axis labels

func (c *dayChart) indexAt(x float32) int {
	n := len(c.days)
	w := c.Size().Width - chartGutter
	if n == 0 || w <= 0 || x < chartGutter {
		return -1
	}
	i := int((x - chartGutter) / (w / float32(n)))
	if i >= n {
		i = n - 1
	}
	return i
}

// MouseIn implements desktop.Hoverable.
func (c *dayChart) MouseIn(e *desktop.MouseEvent) { c.selectDay(c.indexAt(e.Position.X)) }

// MouseMoved implements desktop.Hoverable.
func (c *dayChart) MouseMoved(e *desktop.MouseEvent) { c.selectDay(c.indexAt(e.Position.X)) }

// MouseOut implements desktop.Hoverable.
func (c *dayChart) MouseOut() {
	if !c.focused {
		c.selectDay(-1)
	}
}

// Tapped selects the day under the pointer (and focuses the chart).
func (c *dayChart) Tapped(e *fyne.PointEvent) {
	if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil {
		byPointer(func() { cv.Focus(c) })
	}
	c.selectDay(c.indexAt(e.Position.X))
}

// FocusGained selects the newest day.
func (c *dayChart) FocusGained() {
	c.focused = true
	if c.selected < 0 {
		c.selectDay(len(c.days) - 1)
	}
	c.Refresh()
	focusMoved(c)
}

// FocusLost clears the selection.
func (c *dayChart) FocusLost() {
	c.focused = false
	c.selectDay(-1)
	c.Refresh()
}

// TypedRune implements fyne.Focusable.
func (c *dayChart) TypedRune(rune) {}

// TypedKey moves the selection with Left/Right/Home/End.
func (c *dayChart) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyLeft:
		if c.selected > 0 {
			c.selectDay(c.selected - 1)
		}
	case fyne.KeyRight:
		if c.selected < len(c.days)-1 {
			c.selectDay(c.selected + 1)
		}
	case fyne.KeyHome:
		c.selectDay(0)
	case fyne.KeyEnd:
		c.selectDay(len(c.days) - 1)
	}
}

// AccessibilityLabel implements fyne.Accessible.
func (c *dayChart) AccessibilityLabel() string { return lang.L("Blocked requests per day") }

// AccessibilityRole implements fyne.Accessible.
func (c *dayChart) AccessibilityRole() fyne.AccessibleRole { return fyne.AccessibleRoleText }

// niceMax rounds n up to 1, 2 or 5 times a power of ten.
func niceMax(n int64) int64 {
	if n <= 4 {
		return 4
	}
	p := int64(math.Pow(10, math.Floor(math.Log10(float64(n)))))
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

// CreateRenderer implements fyne.Widget.
func (c *dayChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	for range 3 { // at the top (max), the middle and the base line (0)
		r.grid = append(r.grid, canvas.NewLine(color.Transparent))
		r.yLabels = append(r.yLabels, canvas.NewText("", color.Transparent))
	}
	for range 3 {
		r.xLabels = append(r.xLabels, canvas.NewText("", color.Transparent))
	}
	r.highlight = canvas.NewRectangle(color.Transparent)
	r.focus = canvas.NewRectangle(color.Transparent)
	r.empty = canvas.NewText("", color.Transparent)
	r.Refresh()
	return r
}

type chartRenderer struct {
	c                *dayChart
	grid             []*canvas.Line
	yLabels, xLabels []*canvas.Text
	highlight, focus *canvas.Rectangle
	empty            *canvas.Text
	bars             [][]*canvas.Rectangle // per day, per category present
	values           [][]int64
	max              int64
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 180) }

func (r *chartRenderer) Refresh() {
	th := r.c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	muted := th.Color(theme.ColorNamePlaceHolder, v)
	small := th.Size(theme.SizeNameCaptionText)

	var top int64
	r.bars, r.values = r.bars[:0], r.values[:0]
	for _, d := range r.c.days {
		var rects []*canvas.Rectangle
		var vals []int64
		var sum int64
		for _, cat := range settings.Categories {
			n := d.ByCategory[string(cat)]
			if n <= 0 {
				continue
			}
			rect := canvas.NewRectangle(categoryColor(string(cat)))
			rects = append(rects, rect)
			vals = append(vals, n)
			sum += n
		}
		// Counts the engine could not attribute to a category.
		if rest := d.Total - sum; rest > 0 {
			rects = append(rects, canvas.NewRectangle(categoryColor("other")))
			vals = append(vals, rest)
			sum += rest
		}
		top = max(top, sum)
		r.bars = append(r.bars, rects)
		r.values = append(r.values, vals)
	}
	r.max = niceMax(top)
	for i, l := range r.grid {
		l.StrokeColor = th.Color(theme.ColorNameSeparator, v)
		l.StrokeWidth = 1
		y := r.yLabels[i]
		y.Text = count(r.max * int64(len(r.grid)-1-i) / int64(len(r.grid)-1))
		y.Color, y.TextSize, y.Alignment = muted, small, fyne.TextAlignTrailing
	}
	for _, x := range r.xLabels {
		x.Color, x.TextSize = muted, small
	}
	if n := len(r.c.days); n > 0 {
		r.xLabels[0].Text = day(r.c.days[0].Day)
		r.xLabels[1].Text = ""
		if n > 2 {
			r.xLabels[1].Text = day(r.c.days[n/2].Day)
		}
		last := r.c.days[n-1].Day
		r.xLabels[2].Text = day(last)
		if y, m, d := r.c.now().Date(); last.Year() == y && last.Month() == m && last.Day() == d {
			r.xLabels[2].Text = lang.L("Today")
		}
	}
	r.empty.Text = ""
	if top == 0 {
		r.empty.Text = lang.L("Nothing blocked yet in this period")
	}
	r.empty.Color, r.empty.Alignment = muted, fyne.TextAlignCenter
	r.highlight.FillColor = th.Color(theme.ColorNameHover, v)
	r.focus.FillColor = color.Transparent
	r.focus.StrokeWidth = 0
	if r.c.focused {
		r.focus.StrokeColor = th.Color(theme.ColorNameFocus, v)
		r.focus.StrokeWidth = 2
	}
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *chartRenderer) Layout(size fyne.Size) {
	const labelH = 18
	plotTop := float32(8)
	plotH := size.Height - plotTop - labelH - 4
	plotW := size.Width - chartGutter
	if plotH < 10 || plotW < 10 {
		return
	}
	for i, l := range r.grid {
		y := plotTop + plotH*float32(i)/float32(len(r.grid)-1)
		l.Position1 = fyne.NewPos(chartGutter, y)
		l.Position2 = fyne.NewPos(size.Width, y)
		yl := r.yLabels[i]
		yl.Move(fyne.NewPos(0, y-7))
		yl.Resize(fyne.NewSize(chartGutter-6, 14))
	}
	n := len(r.bars)
	slot := plotW / float32(max(n, 1))
	gap := max(1, slot*0.2)
	for i, rects := range r.bars {
		x := chartGutter + float32(i)*slot + gap/2
		y := plotTop + plotH
		for j, rect := range rects {
			h := plotH * float32(r.values[i][j]) / float32(r.max)
			y -= h
			rect.Move(fyne.NewPos(x, y))
			rect.Resize(fyne.NewSize(slot-gap, h))
		}
	}
	if sel := r.c.selected; sel >= 0 && sel < n {
		r.highlight.Move(fyne.NewPos(chartGutter+float32(sel)*slot, plotTop))
		r.highlight.Resize(fyne.NewSize(slot, plotH))
		r.highlight.Show()
	} else {
		r.highlight.Hide()
	}
	base := plotTop + plotH + 4
	r.xLabels[0].Alignment = fyne.TextAlignLeading
	r.xLabels[0].Move(fyne.NewPos(chartGutter, base))
	r.xLabels[0].Resize(fyne.NewSize(plotW/3, labelH))
	r.xLabels[1].Alignment = fyne.TextAlignCenter
	r.xLabels[1].Move(fyne.NewPos(chartGutter+plotW/3, base))
	r.xLabels[1].Resize(fyne.NewSize(plotW/3, labelH))
	r.xLabels[2].Alignment = fyne.TextAlignTrailing
	r.xLabels[2].Move(fyne.NewPos(chartGutter+2*plotW/3, base))
	r.xLabels[2].Resize(fyne.NewSize(plotW/3, labelH))
	r.empty.Move(fyne.NewPos(chartGutter, plotTop+plotH/4-10))
	r.empty.Resize(fyne.NewSize(plotW, 20))
	r.focus.Move(fyne.NewPos(0, 0))
	r.focus.Resize(size)
}

func (r *chartRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.focus, r.highlight}
	for i := range r.grid {
		objs = append(objs, r.grid[i], r.yLabels[i])
	}
	for _, x := range r.xLabels {
		objs = append(objs, x)
	}
	for _, rects := range r.bars {
		for _, rect := range rects {
			objs = append(objs, rect)
		}
	}
	return append(objs, r.empty)
}

func (r *chartRenderer) Destroy() {}
