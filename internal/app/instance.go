// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"sync"
	"time"

	"polaris/internal/instance"
	"polaris/internal/status"
)

// One Polaris per data dir (internal/instance): Run holds the lock and
// answers the instance protocol with what this App knows.

// ErrAlreadyRunning is returned by Run when another Polaris uses the data dir.
var ErrAlreadyRunning = instance.ErrAlreadyRunning

// ErrHeadless is returned by SignalShow when the running Polaris has no
// window (it was started with `polaris run`).
var ErrHeadless = instance.ErrHeadless

// SignalShow asks the Polaris running on dataDir to show its window
// (instance.SignalShow).
func SignalShow(dataDir string) error { return instance.SignalShow(dataDir) }

// showHook holds the function the window registers to be told "show".
type showHook struct {
	mu sync.Mutex
	f  func()
}

// OnShowRequest registers f to be called (on a background goroutine) when
// another start of Polaris on the same data dir asks this one to show its
// window. nil unregisters it: the instance then answers that it is headless.
func (a *App) OnShowRequest(f func()) {
	a.show.mu.Lock()
	a.show.f = f
	a.show.mu.Unlock()
}

// RunningElsewhere reports whether another Polaris process is running on
// this data dir (it holds the instance lock).
func (a *App) RunningElsewhere() bool {
	a.run.mu.Lock()
	mine := a.run.held // this process holds the lock: starting, running or stopping
	a.run.mu.Unlock()
	return !mine && instance.Held(a.opts.DataDir)
}

// serveInstance starts the instance endpoint. It never fails Run: without
// an endpoint a second start reports "already running" instead.
func (a *App) serveInstance() *instance.Server {
	s, err := instance.Serve(a.opts.DataDir, instanceAnswers{a}, a.log.Printf)
	if err != nil {
		a.log.Printf("a second start will not be able to bring this window forward: %v", err)
	}
	return s
}

// instanceAnswers answers the instance protocol for a running App.
type instanceAnswers struct{ a *App }

func (h instanceAnswers) Show() bool {
	h.a.show.mu.Lock()
	f := h.a.show.f
	h.a.show.mu.Unlock()
	if f == nil {
		return false
	}
	f()
	return true
}

func (h instanceAnswers) Tor() status.Tor { return h.a.Snapshot().Tor }

func (h instanceAnswers) Snowflake() status.Snowflake { return h.a.Snapshot().Snowflake }

func (h instanceAnswers) NewIdentity(ctx context.Context) error { return h.a.NewIdentity(ctx) }

func (h instanceAnswers) NewCircuit(ctx context.Context, site string) (string, error) {
	return h.a.NewCircuit(ctx, site)
}

func (h instanceAnswers) Circuit(ctx context.Context, site string) (status.Circuit, error) {
	return h.a.Circuit(ctx, site)
}

func (h instanceAnswers) Pause(d time.Duration) (status.Blocking, error) {
	if err := h.a.Pause(d); err != nil {
		return status.Blocking{}, err
	}
	return h.a.Snapshot().Blocking, nil
}

func (h instanceAnswers) Resume() (status.Blocking, error) {
	h.a.Resume()
	return h.a.Snapshot().Blocking, nil
}

func (h instanceAnswers) Changed() { h.a.applyNow(400 * time.Millisecond) }

// tellRunning asks the Polaris running on this data dir, if any, to look
// at the database now instead of at its watcher's next tick, so a change
// made here (the CLI's config set, lists add, ...) takes effect at once.
func (a *App) tellRunning() {
	if err := instance.Notify(a.opts.DataDir); err != nil {
		a.log.Printf("telling the running Polaris about the change: %v", err)
	}
}
