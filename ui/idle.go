// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// While it is idle, Polaris holds Fyne's event loop still. Fyne's desktop
// driver wakes on a 60 Hz ticker to poll the display whether anything
// happened or not, which alone costs about 1 % of a core; the engine
// without a window costs about a tenth of that. So the loop is parked: a
// function queued on the Fyne thread waits there, and the loop's ticker,
// not being read, does not wake the process.
//
// The park is cut into slices of parkSlice. Between slices the loop runs:
// the work that was queued meanwhile (a status snapshot, the tray menu's
// items, Fyne's own quit on SIGTERM), a poll of the display and, with the
// window shown, a frame.
//
// Closed to the background, the window parks at once. Show and Quit end the
// slice at once: a tray click takes effect within parkSlice, a window that
// opens within a few milliseconds. What the display asks of the hidden
// window meanwhile (a paste of something copied from Polaris) is answered
// at the next slice's end.
//
// Shown, the window parks once it is quiet: parkQuiet after the display last
// had something for it, and only while nothing on it moves by itself (a
// text cursor, which blinks, or a busy bar). A shown slice waits on the
// display connection too (displayWait): input, exposure, a resize or a
// clipboard request end it at once, and the loop runs until the window is
// quiet again. Work Polaris queues for the window (u.do) ends it at once
// as well. Where the display cannot be waited on (Wayland, another
// system), the shown window does not park.
const (
	parkSlice = 250 * time.Millisecond
	parkQuiet = time.Second
	// parkDraw is how long the loop runs between two shown slices, so
	// that what the last slice's work changed is drawn (two frames).
	parkDraw = 2 * time.Second / 60
)

// displayWait waits on the window's display connection.
type displayWait interface {
	// wait returns when the display has something for the window
	// (waitDisplay), wake was called (waitWoken), or after d (waitTimeout).
	// It sends what was drawn first. Fyne thread.
	wait(d time.Duration) waitResult
	// wake ends a wait; any goroutine.
	wake()
}

type waitResult int

const (
	waitTimeout waitResult = iota
	waitDisplay
	waitWoken
)

// parkWhileIdle starts parking the Fyne thread if parking is on and the
// window is hidden, or shown and quiet. Fyne thread.
func (u *UI) parkWhileIdle() {
	if !u.parkable || u.parking || u.ctx.Err() != nil {
		return
	}
	if !u.hidden && !u.displayWaits() {
		return // the shown window does not park here
	}
	if !u.hidden && !u.quietShown() {
		u.parkLater(parkQuiet)
		return
	}
	u.parking = true
	u.post(u.parkStep)
}

// parkStep is one slice of the park (Fyne thread). It queues the next slice
// behind whatever was queued during this one, until the window is shown
// (hidden park), is no longer quiet (shown park) or the UI stops.
func (u *UI) parkStep() {
	if !u.parkable || u.ctx.Err() != nil {
		u.parking = false
		return
	}
	slice := parkSlice
	if u.o.parkFor > 0 {
		slice = u.o.parkFor
	}
	if !u.hidden {
		u.parkShownStep(slice)
		return
	}
	u.parkedHidden = true
	u.parkedSlices++
	t := time.NewTimer(slice)
	select {
	case <-u.wake:
	case <-t.C:
	case <-u.ctx.Done():
	}
	t.Stop()
	u.post(u.parkStep)
}

// parkShownStep is one slice of the park with the window shown.
func (u *UI) parkShownStep(slice time.Duration) {
	if !u.displayWaits() {
		u.parking = false
		return
	}
	if u.parkedHidden || !u.quietShown() {
		// Just shown, or something moves: park again once quiet.
		u.parkedHidden = false
		u.parking = false
		u.parkLater(parkQuiet)
		return
	}
	u.parkedSlices++
	u.shownParked.Store(true)
	select { // a wake sent before the slice began
	case <-u.wake:
		u.shownParked.Store(false)
		u.parking = false
		u.parkLater(parkDraw)
		return
	default:
	}
	r := u.disp.wait(slice)
	u.shownParked.Store(false)
	select {
	case <-u.wake:
	default:
	}
	switch r {
	case waitTimeout:
		u.post(u.parkStep) // as hidden: the queued work first, and a poll
	case waitDisplay:
		u.parking = false
		u.parkLater(parkQuiet) // Fyne handles it; park again once quiet
	case waitWoken:
		u.parking = false
		u.parkLater(parkDraw) // the work queued, then its frames
	}
}

// parkLater tries parking again after d, once (Fyne thread).
func (u *UI) parkLater(d time.Duration) {
	if u.parkRetry != nil {
		return
	}
	u.parkRetry = time.AfterFunc(d, func() {
		u.post(func() {
			u.parkRetry = nil
			u.parkWhileIdle()
		})
	})
}

// displayWaits reports whether the shown window's display can be waited
// on (displayWait), opening the wait the first time. Fyne thread.
func (u *UI) displayWaits() bool {
	if u.disp == nil && !u.noDisplayWait {
		switch {
		case u.o.displayWait != nil:
			u.disp = u.o.displayWait
		case u.o.App == nil: // Fyne's desktop driver, running
			u.disp = openDisplayWait()
		}
		u.noDisplayWait = u.disp == nil
	}
	return u.disp != nil
}

// quietShown reports whether the shown window, its display one that can be
// waited on (displayWaits), may park: nothing on it moves by itself. Fyne
// thread.
func (u *UI) quietShown() bool {
	if f := u.win.Canvas().Focused(); f != nil {
		if _, text := f.(interface{ SetPlaceHolder(string) }); text {
			return false // a text cursor blinks
		}
	}
	for _, b := range u.busyBars {
		if b.Running() && b.Visible() {
			return false
		}
	}
	return true
}

// unpark ends the current slice of the park early; any goroutine.
func (u *UI) unpark() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
	u.wakeShownPark()
}

// wakeShownPark ends a shown park's wait on the display, if one waits; any
// goroutine.
func (u *UI) wakeShownPark() {
	if u.shownParked.Load() {
		u.disp.wake()
	}
}

// busyBar is an infinite progress bar that stays still while hidden. (Fyne
// starts a bar's animation whenever it makes the bar's renderer, hidden or
// not: a hidden, stopped bar animated unseen from the first time its screen
// was shown, and kept the window from parking.)
type busyBar struct {
	widget.ProgressBarInfinite
}

// newBusyBar is a busy bar, stopped and hidden; the shown window does not
// park while one runs.
func (u *UI) newBusyBar() *busyBar {
	b := &busyBar{}
	b.ExtendBaseWidget(b)
	b.Stop()
	b.Hide()
	u.busyBars = append(u.busyBars, b)
	return b
}

// CreateRenderer implements fyne.Widget.
func (b *busyBar) CreateRenderer() fyne.WidgetRenderer {
	r := b.ProgressBarInfinite.CreateRenderer()
	if !b.Visible() {
		b.ProgressBarInfinite.Hide() // stops it (it is hidden already: no refresh)
		r.Refresh()
	}
	return r
}
