// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import "time"

// While the window is closed to the background, Polaris holds Fyne's event
// loop still. Fyne's desktop driver wakes on a 60 Hz ticker to poll the
// display whether a window is visible or not, which alone costs about 1 %
// of a core; the engine without a window costs about a tenth of that. So
// the loop is parked: a function queued on the Fyne thread waits there, and
// the loop's ticker, not being read, does not wake the process.
//
// The park is cut into slices of parkSlice. Between slices the loop runs
// once: the work that was queued meanwhile (a status snapshot, the tray
// menu's items, Fyne's own quit on SIGTERM) and one poll of the display.
// Show and Quit end the slice at once. A tray click thus takes effect
// within parkSlice, a window that opens within a few milliseconds. What
// the display asks of the hidden window meanwhile (a paste of something
// copied from Polaris) is answered at the next slice's end.
const parkSlice = 250 * time.Millisecond

// parkWhileHidden starts parking the Fyne thread if the window is hidden
// and parking is on (the real desktop driver only). Fyne thread.
func (u *UI) parkWhileHidden() {
	if !u.parkable || u.parking || !u.hidden {
		return
	}
	u.parking = true
	u.do(u.parkStep)
}

// parkStep is one slice of the park (Fyne thread). It queues the next slice
// behind whatever was queued during this one, until the window is shown
// or the UI stops.
func (u *UI) parkStep() {
	if !u.hidden || !u.parkable || u.ctx.Err() != nil {
		u.parking = false
		return
	}
	u.parkedSlices++
	slice := parkSlice
	if u.o.parkFor > 0 {
		slice = u.o.parkFor
	}
	t := time.NewTimer(slice)
	select {
	case <-u.wake:
	case <-t.C:
	case <-u.ctx.Done():
	}
	t.Stop()
	u.do(u.parkStep)
}

// unpark ends the current slice of the park early; any goroutine.
func (u *UI) unpark() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}
