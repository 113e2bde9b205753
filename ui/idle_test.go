// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
)

// TestHiddenWindowParksTheLoop: closed to the background, the window holds
// the Fyne thread in a park (so that Fyne's 60 Hz ticker does not wake the
// process); showing the window or quitting ends the park at once, and the
// work queued before them runs first.
func TestHiddenWindowParksTheLoop(t *testing.T) {
	f := newFake(t)
	queue := make(chan func(), 64)
	u := New(Options{Controller: f, App: newTestApp(t), Tray: TrayOff, Version: "test", Screen: "overview",
		do: func(fn func()) { queue <- fn }, now: func() time.Time { return testNow },
		park: true, parkFor: time.Hour})
	t.Cleanup(u.cancel)
	u.win.Resize(fyne.NewSize(1000, 720))
	u.win.Show()

	// runNext runs the next queued function as the Fyne loop does, and
	// returns a channel closed when it has returned.
	runNext := func() <-chan struct{} {
		t.Helper()
		var fn func()
		select {
		case fn = <-queue:
		default:
			t.Fatal("nothing queued on the Fyne thread")
		}
		done := make(chan struct{})
		go func() { fn(); close(done) }()
		return done
	}
	wait := func(done <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the Fyne thread is still parked", what)
		}
	}
	drain := func() {
		t.Helper()
		for len(queue) > 0 {
			wait(runNext(), "draining")
		}
	}

	u.hideToBackground()
	if !u.parking || len(queue) != 1 {
		t.Fatalf("hidden: parking %v, %d queued; want the park queued", u.parking, len(queue))
	}
	parked := runNext()
	select {
	case <-parked:
		t.Fatal("the park returned without a wake-up (its slice is an hour)")
	case <-time.After(50 * time.Millisecond):
	}
	// A tray item queued meanwhile runs when the slice ends, before the
	// next slice.
	ran := false
	queue <- func() { ran = true }
	u.Show()
	wait(parked, "Show")
	drain()
	if !ran || u.hidden || u.parking {
		t.Fatalf("after Show: queued work ran %v, hidden %v, parking %v", ran, u.hidden, u.parking)
	}
	if u.parkedSlices != 1 {
		t.Fatalf("%d park slices, want 1", u.parkedSlices)
	}

	// Shown: nothing parks.
	u.parkWhileHidden()
	if len(queue) != 0 {
		t.Fatal("a shown window parks the Fyne thread")
	}

	// Hidden again, then quit from the tray: the park ends, the loop runs
	// to stop.
	u.hideToBackground()
	parked = runNext()
	u.Quit()
	wait(parked, "Quit")
	for len(queue) > 0 {
		fn := <-queue
		if fn == nil {
			continue
		}
		done := make(chan struct{})
		go func() { defer close(done); defer func() { _ = recover() }(); fn() }()
		wait(done, "quitting")
	}
	if u.parking {
		t.Fatal("still parking after quit")
	}
}
