// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"polaris/internal/instance"
)

// Window is a window on the engine, as RunWindow drives it (ui.UI is one).
type Window interface {
	// Run shows the window and returns when the GUI quits. It runs on the
	// main thread.
	Run()
	// Show brings the window forward (a second start of Polaris asked).
	Show()
	// Quit makes Run return.
	Quit()
}

// GUI is what RunWindow needs besides the engine's options.
type GUI struct {
	// New builds the window for the running engine a: engineDone receives
	// Run's result if the engine stops while the window is open; the
	// window calls quit when the user quits (it stops the engine).
	New func(a *App, engineDone <-chan error, quit func()) Window
	// Exit ends the process with the status for the engine's result; it is
	// called when the window has not closed by itself 5 s after the engine
	// stopped (Fyne can hang while it shuts down).
	Exit func(runErr error)
	// Display, when set, reports why no window can be opened here (no
	// graphical session): RunWindow then returns that error before the
	// engine starts, so nothing on the system is changed.
	Display func() error
	// Logf receives what the user is told on the terminal.
	Logf func(format string, args ...any)
}

// RunWindow runs Polaris with a window: the engine on a goroutine, the
// window on the calling (main) goroutine. Only one Polaris runs per data
// dir: when one runs already, its window is brought forward and RunWindow
// returns nil, or ErrHeadless when it has none. Closing the window keeps
// the engine running (in the tray, or in the background); quitting, or
// SIGINT/SIGTERM, stops the engine, which restores what it changed on the
// system, before RunWindow returns its result. A listen address the
// settings refuse is an error matching settings.ErrInvalid.
func RunWindow(ctx context.Context, opts Options, gui GUI) error {
	if shown, err := showRunning(opts.DataDir, gui.Logf); shown {
		return err
	}
	if gui.Display != nil {
		if err := gui.Display(); err != nil {
			return err
		}
	}
	a, err := Open(ctx, opts)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.CheckListen(); err != nil {
		return err
	}
	e := startEngine(ctx, a)
	defer e.stop()
	// From now on SIGINT and SIGTERM quit: the engine stops, and puts back
	// what it changed on the system, even while the window is being made.
	defer e.quitOnSignal(gui)()
	if errors.Is(e.wait(500*time.Millisecond), ErrAlreadyRunning) {
		// Another start won the race for the data dir: show its window.
		return showRaceWinner(opts.DataDir, e.err, gui.Logf)
	}
	if w := gui.New(a, e.done(), e.quitter(gui)); e.setWindow(w) {
		a.OnShowRequest(w.Show)
		w.Run()
		a.OnShowRequest(nil)
	}
	e.stop()
	return e.result()
}

// engine is the engine running on its goroutine for a window.
type engine struct {
	a       *App
	stop    context.CancelFunc
	stopped chan struct{}
	ready   chan struct{}
	err     error // Run's result, once stopped is closed
	once    sync.Once

	mu       sync.Mutex
	win      Window // the window, once made
	signaled bool   // a signal asked to quit
}

// setWindow records the window; false when a signal asked to quit before
// it was made (it is not run then).
func (e *engine) setWindow(w Window) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.win = w
	return !e.signaled
}

func startEngine(ctx context.Context, a *App) *engine {
	runCtx, stop := context.WithCancel(ctx)
	e := &engine{a: a, stop: stop, stopped: make(chan struct{}), ready: make(chan struct{})}
	go func() {
		defer close(e.stopped)
		e.err = a.Run(runCtx, func(string) { close(e.ready) })
	}()
	return e
}

// wait waits for the engine to be ready (the instance lock taken) or to
// stop, at most d, and returns Run's result if it stopped.
func (e *engine) wait(d time.Duration) error {
	select {
	case <-e.ready:
	case <-e.stopped:
		return e.err
	case <-time.After(d):
	}
	return nil
}

// done receives Run's result once the engine stops.
func (e *engine) done() <-chan error {
	ch := make(chan error, 1)
	go func() {
		<-e.stopped
		ch <- e.err
	}()
	return ch
}

// quitter stops the engine first, whatever the window does; once the
// engine has stopped the process may end even if the window hangs.
func (e *engine) quitter(gui GUI) func() {
	return func() {
		e.once.Do(func() {
			go func() {
				e.stop()
				<-e.stopped
				time.Sleep(5 * time.Second)
				gui.Logf("the window did not close by itself; exiting")
				e.a.Close()
				gui.Exit(e.err)
			}()
		})
	}
}

// result is Run's result after the engine stopped: nil when it stopped
// because it was asked to.
func (e *engine) result() error {
	<-e.stopped
	if errors.Is(e.err, context.Canceled) {
		return nil
	}
	return e.err
}

// quitOnSignal quits on SIGINT or SIGTERM: the engine stops and the
// window, if it is made, closes. The returned func stops listening.
func (e *engine) quitOnSignal(gui GUI) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		e.quitter(gui)()
		e.mu.Lock()
		e.signaled = true
		w := e.win
		e.mu.Unlock()
		if w != nil {
			w.Quit()
		}
	}()
	return func() { signal.Stop(sigs); close(sigs) }
}

// showRunning asks a Polaris already running on dataDir to show its
// window. shown is false when none runs; err is ErrHeadless when the one
// running has no window.
func showRunning(dataDir string, logf func(string, ...any)) (shown bool, err error) {
	switch err := instance.SignalShow(dataDir); {
	case err == nil:
		logf("Polaris is already running; its window was brought forward")
		return true, nil
	case errors.Is(err, ErrHeadless):
		return true, fmt.Errorf("%w; stop it first to open the window", err)
	}
	return false, nil
}

// showRaceWinner shows the window of the Polaris that took the data dir a
// moment before this one (it may not answer yet): runErr when it never
// does.
func showRaceWinner(dataDir string, runErr error, logf func(string, ...any)) error {
	for range 20 {
		if shown, err := showRunning(dataDir, logf); shown {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return runErr
}
