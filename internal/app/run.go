// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"polaris/internal/instance"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
)

// runState is the part of App that exists while it runs.
type runState struct {
	mu      sync.Mutex
	running bool
	proxy   *proxy.Proxy
	listen  string // the address the proxy was configured with
	auth    string
	lock    *instance.Lock
	started time.Time
	// wake makes the watcher look at the database now (buffered 1).
	wake chan struct{}
	// sync makes the watcher look at the database now and close the
	// channel it was sent once it has (applyNow).
	sync chan chan struct{}
	ran  bool // Run was called: this App is the instance, not a client of one
	// held: Run holds the instance lock (set before the engine counts as
	// running, cleared after it stopped).
	held bool
}

func (a *App) setLockHeld(on bool) {
	a.run.mu.Lock()
	a.run.held = on
	a.run.mu.Unlock()
}

// wakeWatcher makes the settings watcher look at the database now.
func (a *App) wakeWatcher() {
	select {
	case a.run.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// applyNow makes the settings watcher look at the database now and waits,
// at most timeout, until it has applied what changed: the command line's
// `config set` then returns with its change in force (a page loaded right
// after it sees the new settings), not a few milliseconds later.
func (a *App) applyNow(timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	done := make(chan struct{})
	select {
	case a.run.sync <- done:
	case <-t.C:
		a.wakeWatcher()
		return
	}
	select {
	case <-done:
	case <-t.C:
	}
}

// ErrEngineRunning is returned by Close while Run has not returned.
var ErrEngineRunning = errors.New("the engine is still running: stop it before closing the database")

// CheckListen validates the effective listen address (the --listen override
// or the setting) together with the other settings.
func (a *App) CheckListen() error {
	s := a.Settings()
	if a.opts.Listen != "" {
		if err := s.Set("listen", a.opts.Listen); err != nil {
			return err
		}
	}
	return s.Validate()
}

// Run starts the proxy and everything it needs, calls ready with the address
// it listens on, and serves until ctx ends. Then it shuts down gracefully:
// in-flight requests get Options.ShutdownGrace to finish.
func (a *App) Run(ctx context.Context, ready func(addr string)) error {
	a.runs.Add(1)
	defer a.runs.Add(-1)
	a.run.mu.Lock()
	a.run.ran = true
	a.run.mu.Unlock()
	if err := a.CheckListen(); err != nil {
		return err
	}
	lock, err := instance.Acquire(a.opts.DataDir)
	if err != nil {
		return err
	}
	defer lock.Release()
	a.setLockHeld(true) // from here to the end this process is the instance
	defer a.setLockHeld(false)
	defer a.serveInstance().Close() // a second start asks us to show the window
	if n, err := raiseFileLimit(); err != nil {
		a.log.Printf("open files: the limit could not be raised (%v); it is %d", err, n)
	} else if n > 0 {
		a.log.Printf("open files: up to %d", n)
	}
	return a.serve(ctx, lock, ready)
}

// serve starts the proxy and everything it needs, serves until ctx ends,
// and stops them.
func (a *App) serve(ctx context.Context, lock *instance.Lock, ready func(addr string)) error {
	// Read the database's version first and the settings after it: a
	// change saved from now on (by the CLI, or by an Apply in this process
	// before the engine counts as running) moves the version, and the
	// watcher's first tick applies it. Open's settings may be older.
	version := a.dataVersion(ctx)
	if version >= 0 {
		if err := a.loadSettings(ctx); err != nil {
			a.noticef(status.Warning, "Reloading settings: %v", err)
		}
	}
	p, err := a.startProxy(ctx, lock)
	if err != nil {
		return err
	}
	torCtx, stopTor := context.WithCancel(context.Background())
	torDone := make(chan struct{})
	go a.superviseTor(torCtx, torDone)
	sfCtx, stopSnowflake := context.WithCancel(context.Background())
	sfDone := make(chan struct{})
	go a.superviseSnowflake(sfCtx, sfDone)
	a.startBlocking(ctx, p)
	a.recoverSystem(ctx)
	a.syncSystem(ctx, p.Addr())
	a.recoverWebRTC(ctx)
	a.syncWebRTC(ctx, true)
	if ready != nil {
		ready(p.Addr())
	}
	a.hub.poke()

	a.watch(ctx, version)

	err = a.shutdown()
	stopTor()
	stopSnowflake()
	<-torDone
	<-sfDone
	a.hub.poke()
	return err
}

// startProxy builds the proxy for the current settings and starts it: from
// then on the engine runs.
func (a *App) startProxy(ctx context.Context, lock *instance.Lock) (*proxy.Proxy, error) {
	s := a.Settings()
	p, err := a.newProxy(s)
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	a.run.mu.Lock()
	a.run.running, a.run.proxy, a.run.lock, a.run.started = true, p, lock, time.Now()
	a.current.Store(p)
	a.run.listen, a.run.auth = a.listenFor(s), s.ProxyAuth
	a.run.mu.Unlock()
	a.log.Printf("listening on %s", p.Addr())
	return p, nil
}

// shutdown stops the engine gracefully: the system is put back, then
// in-flight requests get Options.ShutdownGrace to finish, then the last
// statistics are written.
func (a *App) shutdown() error {
	a.run.mu.Lock()
	p := a.run.proxy
	a.run.running = false
	a.run.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownGrace)
	defer cancel()
	// Put the system back before the proxy goes away.
	a.syncSystem(sctx, "")
	a.syncWebRTC(sctx, false)
	err := p.Shutdown(sctx)
	a.stopResolver(sctx)
	a.stopBlocking()
	if errors.Is(err, context.DeadlineExceeded) {
		a.log.Printf("shutdown: requests still running after %v were cut off", a.opts.ShutdownGrace)
		return nil
	}
	return err
}

// watch reloads the settings whenever another process changed the database,
// until ctx ends. It also publishes status while traffic flows.
func (a *App) watch(ctx context.Context, last int64) {
	t := time.NewTicker(a.opts.WatchInterval)
	defer t.Stop()
	var lastReq uint64
	lastPub := time.Now()
	for {
		var ack chan struct{}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.run.wake:
		case ack = <-a.run.sync:
		}
		a.reload.Lock()
		// -1: no database just now (DeleteAllData is replacing it, or
		// Polaris runs degraded); nothing to reload from.
		if v := a.dataVersion(ctx); v >= 0 && v != last {
			last = v
			if err := a.loadSettings(ctx); err != nil {
				a.noticef(status.Warning, "Reloading settings: %v", err)
			} else {
				a.applyRunning(ctx)
			}
			a.lists.Reload(ctx)
		}
		a.reload.Unlock()
		if ack != nil {
			close(ack)
		}
		// Counters move with traffic; publish at most once a second, and
		// only when they changed (no wake-ups for an idle UI).
		if p := a.currentProxy(); p != nil && time.Since(lastPub) >= time.Second {
			if n := p.Status().Requests; n != lastReq {
				lastReq, lastPub = n, time.Now()
				a.hub.poke()
			}
		}
	}
}

func (a *App) newProxy(s settings.Settings) (*proxy.Proxy, error) {
	var p *proxy.Proxy
	local := a.localHandler(func() string { return p.Addr() }, func(w http.ResponseWriter, r *http.Request) { p.NotFound(w, r) })
	cfg := proxy.Config{
		Listen:          a.listenFor(s),
		Auth:            s.ProxyAuth,
		ReservedHost:    settings.ReservedHost,
		Local:           local,
		Block:           a.blockConfig(),
		Logf:            a.log.Printf,
		Route:           a.routeFor(s),
		Resolver:        a.opts.Resolver,
		OnOnionLocation: a.onOnionLocation,
	}
	a.httpsProxyConfig(&cfg)
	p, err := proxy.New(cfg)
	if err != nil {
		return nil, err
	}
	a.applyHTTPS(context.Background(), p, s)
	a.loadEFFSites(context.Background(), p)
	a.publish(p)
	a.setupProxy(p, s)
	return p, nil
}

// applyRunning brings the running components in line with the current
// settings: the policy is swapped in place; a new listen address or
// credentials start a new proxy before the old one is shut down.
func (a *App) applyRunning(ctx context.Context) {
	a.run.mu.Lock()
	defer a.run.mu.Unlock()
	// Read under run.mu: a caller that read older settings and then waited
	// for the lock would undo a newer change (Tor on, route back direct).
	s := a.Settings()
	if !a.run.running {
		return
	}
	a.applyHTTPS(ctx, a.run.proxy, s)
	a.publish(a.run.proxy)
	a.syncTor()
	a.syncWebRTC(ctx, true)
	a.wakeSnowflake()
	a.applyBlocking(ctx, s)
	a.stats.Persist(ctx, s.Data.LogPersist)
	if a.listenFor(s) == a.run.listen && s.ProxyAuth == a.run.auth {
		a.syncSystem(ctx, a.run.proxy.Addr())
		a.hub.poke()
		return
	}
	np, err := a.newProxy(s)
	if err == nil {
		err = np.Start(ctx)
	}
	if err != nil {
		a.mu.Lock()
		a.notices = append(a.notices, status.Notice{Time: time.Now(), Severity: status.Error,
			Text: fmt.Sprintf("Polaris could not move to %s (%v) and keeps listening on %s.", a.listenFor(s), err, a.run.proxy.Addr())})
		a.mu.Unlock()
		a.hub.poke()
		return
	}
	old := a.run.proxy
	a.run.proxy, a.run.listen, a.run.auth = np, a.listenFor(s), s.ProxyAuth
	a.current.Store(np)
	a.useProxy(np)
	a.publish(np) // a matcher compiled while it started
	a.log.Printf("now listening on %s", np.Addr())
	a.syncSystem(ctx, np.Addr())
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownGrace)
		defer cancel()
		old.Shutdown(sctx)
	}()
	a.hub.poke()
}

// routeFor is how the proxy connects upstream with settings s: through
// Polaris's Tor, or direct with the resolver the settings choose.
func (a *App) routeFor(s settings.Settings) proxy.Route {
	if s.Tor.Enabled {
		return proxy.Route{Name: "tor", Dial: a.torDial, Isolate: s.Tor.Isolate, Onion: true, Tor: true, Down: a.torDown, Proxied: true}
	}
	return a.directRoute(s)
}
