// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestHiddenWindowParksTheLoop: closed to the background, the window holds
// the Fyne thread in a park (so that Fyne's 60 Hz ticker does not wake the
// process); showing the window or quitting ends the park at once, and the
// work queued before them runs first.
func TestHiddenWindowParksTheLoop(t *testing.T) {
	u, queue, runNext, wait := parkedUI(t, nil)

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

	// Shown, where the display cannot be waited on (here: Fyne's test
	// driver): nothing parks, and nothing is tried again later.
	u.parkWhileIdle()
	if len(queue) != 0 || u.parkRetry != nil {
		t.Fatal("a shown window parks the Fyne thread without a display to wait on")
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

// fakeDisplay is a displayWait whose waits end when the test says or on a
// wake.
type fakeDisplay struct {
	results chan waitResult
	woke    chan struct{}
	waits   atomic.Int32
}

func newFakeDisplay() *fakeDisplay {
	return &fakeDisplay{results: make(chan waitResult, 1), woke: make(chan struct{}, 1)}
}

func (f *fakeDisplay) wait(time.Duration) waitResult {
	f.waits.Add(1)
	select {
	case r := <-f.results:
		return r
	case <-f.woke:
		return waitWoken
	}
}

func (f *fakeDisplay) wake() {
	select {
	case f.woke <- struct{}{}:
	default:
	}
}

// TestShownWindowParksWhenQuiet: the shown window parks the Fyne thread on
// its display once nothing on it moves; a slice that times out is followed
// by the next (the loop runs between), input on the display and Polaris's
// own work end the park, and the window parks again later. A focused text
// field (its cursor blinks) or a running busy bar keeps it from parking; a
// hidden busy bar does not.
func TestShownWindowParksWhenQuiet(t *testing.T) {
	disp := newFakeDisplay()
	u, queue, run, wait := parkedUI(t, disp)
	stopRetry := func() {
		t.Helper()
		if u.parkRetry == nil {
			t.Fatal("no later try to park")
		}
		u.parkRetry.Stop()
		u.parkRetry = nil
	}

	u.parkWhileIdle()
	if !u.parking || len(queue) != 1 {
		t.Fatalf("shown and quiet: parking %v, %d queued; want the park queued", u.parking, len(queue))
	}
	parked := run()
	for disp.waits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	disp.results <- waitTimeout
	wait(parked, "a slice's end")
	if !u.parking || len(queue) != 1 {
		t.Fatalf("after a slice: parking %v, %d queued; want the next slice queued", u.parking, len(queue))
	}

	// Polaris's own work ends the slice at once, runs, and the window
	// parks again a little later (after a frame).
	parked = run()
	for disp.waits.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	ran := false
	u.do(func() { ran = true })
	wait(parked, "u.do")
	wait(run(), "the work")
	if !ran || u.parking {
		t.Fatalf("after u.do: ran %v, parking %v", ran, u.parking)
	}
	stopRetry()

	// Input on the display ends the park; Fyne handles it.
	u.parkWhileIdle()
	parked = run()
	disp.results <- waitDisplay
	wait(parked, "input")
	if u.parking || len(queue) != 0 {
		t.Fatalf("after input: parking %v, %d queued", u.parking, len(queue))
	}
	stopRetry()

	// A focused text field keeps the window from parking.
	e := newEntry()
	u.win.SetContent(e)
	u.win.Canvas().Focus(e)
	u.parkWhileIdle()
	if u.parking || len(queue) != 0 {
		t.Fatal("the window parks with a text cursor blinking")
	}
	stopRetry()
	u.win.Canvas().Unfocus()

	// So does a busy bar that runs, shown; not a hidden one.
	b := u.newBusyBar()
	u.win.SetContent(b)
	b.Show()
	b.Start()
	u.parkWhileIdle()
	if u.parking {
		t.Fatal("the window parks with a busy bar running")
	}
	stopRetry()
	b.Stop()
	b.Hide()
	u.parkWhileIdle()
	if !u.parking {
		t.Fatal("a hidden busy bar keeps the window from parking")
	}
}

// TestBusyBarStillWhileHidden: a hidden busy bar does not run once its
// renderer is made (Fyne's own bar starts its animation then, hidden or not:
// a layout measuring it is enough), and runs when shown and started.
func TestBusyBarStillWhileHidden(t *testing.T) {
	u := newHarness(t, newFake(t), "overview").u
	var plain widget.ProgressBarInfinite
	plain.ExtendBaseWidget(&plain)
	plain.Stop()
	plain.Hide()
	test.WidgetRenderer(&plain)
	if !plain.Running() {
		t.Log("Fyne's own bar no longer starts when its renderer is made: busyBar's CreateRenderer may go")
	}

	b := u.newBusyBar()
	test.WidgetRenderer(b)
	if b.Running() {
		t.Fatal("a new, hidden busy bar runs once its renderer is made")
	}
	b.Show()
	b.Start()
	if !b.Running() {
		t.Fatal("a shown, started busy bar does not run")
	}
	b.Stop()
	b.Hide()
	if b.Running() {
		t.Fatal("a stopped, hidden busy bar runs")
	}
}

// parkedUI opens the window with parking on (slices of an hour) and work
// for the Fyne thread queued in queue: runNext runs the next queued
// function as the Fyne loop does and returns a channel closed when it has
// returned; wait waits for one.
func parkedUI(t *testing.T, disp displayWait) (u *UI, queue chan func(), runNext func() <-chan struct{}, wait func(<-chan struct{}, string)) {
	t.Helper()
	queue = make(chan func(), 64)
	u = New(Options{Controller: newFake(t), App: newTestApp(t), Tray: TrayOff, Version: "test", Screen: "overview",
		do: func(fn func()) { queue <- fn }, now: func() time.Time { return testNow },
		park: true, parkFor: time.Hour, displayWait: disp})
	t.Cleanup(u.cancel)
	u.win.Resize(fyne.NewSize(1000, 720))
	u.win.Show()
	runNext = func() <-chan struct{} {
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
	wait = func(done <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the Fyne thread is still parked", what)
		}
	}
	return u, queue, runNext, wait
}
