// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"polaris/blocklist"
	"polaris/internal/lists"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
)

// Tracker blocking, as the app runs it: the enabled lists and the user's
// own rules are compiled into one matcher in the background and swapped
// into the proxy only when complete; the categories and the allowlist are
// applied on top of it instantly (Matcher.WithCategories/WithAllowlist).

// blockingState is the App's part of tracker blocking.
type blockingState struct {
	proxy     atomic.Pointer[proxy.Proxy] // the serving proxy, nil when not running
	actionKey []byte                      // signs the block page's buttons, per run
	// publishMu serialises the publishing of the proxy's state (state.go).
	publishMu sync.Mutex

	mu         sync.Mutex         // guards the fields below
	active     *blocklist.Matcher // the lists' matcher with the settings' view on top
	ready      bool               // the first matcher of this run is in
	paused     time.Time          // zero, an end time, or proxy.PauseUntilRestart
	pauseTimer *time.Timer

	wg sync.WaitGroup // the goroutines of a run
}

// blockConfig is the proxy's blocking configuration for this App.
func (a *App) blockConfig() proxy.BlockConfig {
	a.blk.mu.Lock()
	if a.blk.actionKey == nil {
		a.blk.actionKey = make([]byte, 32)
		if _, err := rand.Read(a.blk.actionKey); err != nil {
			panic("app: no randomness: " + err.Error())
		}
	}
	key := a.blk.actionKey
	a.blk.mu.Unlock()
	return proxy.BlockConfig{
		Decisions: a.stats.Record,
		AllowSite: a.AllowSite,
		NewCircuit: func(ctx context.Context, site string) error {
			_, err := a.NewCircuit(ctx, site)
			return err
		},
		ActionKey:   key,
		HoldTimeout: a.opts.HoldTimeout,
	}
}

// setupProxy brings a new proxy in line with the blocking state: pause,
// and a hold while the lists are not loaded yet.
func (a *App) setupProxy(p *proxy.Proxy, s settings.Settings) {
	a.blk.mu.Lock()
	defer a.blk.mu.Unlock()
	p.Pause(a.blk.paused)
	if !a.blk.ready && s.Protection && s.Blocking.HoldUntilLoaded {
		p.Hold("the lists are being loaded")
	}
}

// startBlocking loads the lists for a run that just started serving with
// p, then keeps them up to date and counts decisions until ctx ends.
func (a *App) startBlocking(ctx context.Context, p *proxy.Proxy) {
	a.useProxy(p)
	a.stats.Start()
	a.stats.Persist(ctx, a.Settings().Data.LogPersist)
	a.stats.LoadLog(ctx)
	a.goSafe("lists", func() {
		a.lists.FirstLoad(ctx)
		a.listsLoaded()
		a.lists.Schedule(ctx)
	})
	a.goSafe("stats", func() { a.stats.Loop(ctx) })
}

// useProxy makes p the proxy blocking works with (a new listener replaces
// the old one). A proxy that was set up holding traffic is released if the
// lists are loaded by now: no window where it would stay held.
func (a *App) useProxy(p *proxy.Proxy) {
	a.blk.mu.Lock()
	defer a.blk.mu.Unlock()
	a.blk.proxy.Store(p)
	if p != nil && a.blk.ready {
		p.Release()
	}
}

// stopBlocking waits for the run's goroutines (ctx is done), writes the
// last statistics and forgets the proxy.
func (a *App) stopBlocking() {
	a.blk.wg.Wait()
	// The proxy is shut down: count what it decided last.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	a.stats.Flush(ctx)
	cancel()
	a.blk.proxy.Store(nil)
	a.blk.mu.Lock()
	a.blk.ready = false
	a.blk.mu.Unlock()
}

// goSafe runs f in a goroutine owned by the run; a panic is logged, not
// fatal.
func (a *App) goSafe(name string, f func()) {
	a.blk.wg.Add(1)
	go func() {
		defer a.blk.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				a.noticef(status.Error, "Internal error in %s (please report it): %v", name, r)
				a.log.Printf("%s", debug.Stack())
			}
		}()
		f()
	}()
}

// newLists is the lists engine of a, downloading through the running
// proxy's route.
func newLists(a *App) *lists.Engine {
	return lists.New(lists.Config{
		Dir:      filepath.Join(a.opts.DataDir, "lists"),
		Store:    a.store,
		Settings: a.Settings,
		Transport: func() (http.RoundTripper, error) {
			if p := a.blk.proxy.Load(); p != nil {
				return p, nil
			}
			s := a.Settings()
			switch {
			case s.Tor.Enabled:
				return nil, lists.ErrTorNotRunning
			case s.DNS.Encrypted:
				return a.encryptedTransport(s), nil
			}
			return nil, nil
		},
		Serving:          func() bool { return a.blk.proxy.Load() != nil },
		RunningElsewhere: a.RunningElsewhere,
		Publish:          func(settings.Settings) { a.publishServing() },
		Notice:           a.noticef,
		Changed:          a.hub.poke,
		Logf:             a.log.Printf,
		Version:          a.opts.Version,
		Timeout:          a.opts.ListTimeout,
		CheckInterval:    a.opts.ListCheckInterval,
		FirstLoadBudget:  a.opts.FirstLoadBudget,
		NoAutoUpdate:     a.opts.NoAutoUpdate,
	})
}

// listsLoaded lets traffic through once the lists of a run are loaded.
func (a *App) listsLoaded() {
	a.blk.mu.Lock()
	a.blk.ready = true
	p := a.blk.proxy.Load()
	rules := 0
	if m := a.blk.active; m != nil {
		rules = m.Stats().Rules + m.Stats().Trackers
	}
	a.blk.mu.Unlock()
	if p != nil {
		p.Release()
	}
	a.log.Printf("blocklists loaded: %d rules", rules)
	a.hub.poke()
	// Parsing and compiling the lists left tens of megabytes of garbage
	// that the runtime would hand back to the system only slowly: return
	// it now, once, off the request path (see docs/PERFORMANCE.md, idle).
	go debug.FreeOSMemory()
}

// applyBlocking applies settings changes to blocking in a running proxy:
// the hold, and a recompile when the user's rules or owner awareness
// changed (categories and the allowlist are in the state the settings
// publish).
func (a *App) applyBlocking(ctx context.Context, s settings.Settings) {
	p := a.blk.proxy.Load()
	if p == nil {
		return
	}
	if !s.Protection || !s.Blocking.HoldUntilLoaded {
		p.Release()
	}
	if a.lists.Stale(s) {
		a.lists.Rebuild(ctx) // publishes when compiled
	}
}

// ValidateRule checks one line of the user's own rules (Adblock Plus
// syntax): nil for a rule the proxy applies, a comment or an empty line;
// an error in plain words otherwise.
func (a *App) ValidateRule(line string) error { return blocklist.ValidateRule(line) }

// ErrBadPause is returned by Pause for a zero duration.
var ErrBadPause = errors.New("a pause needs a duration (or a negative one: until Polaris restarts)")

// Pause stops blocking for d (5 min, 30 min, 1 h...); d < 0 pauses until
// Polaris restarts. The pause is not stored.
func (a *App) Pause(d time.Duration) error {
	if d == 0 {
		return ErrBadPause
	}
	until := proxy.PauseUntilRestart
	if d > 0 {
		until = time.Now().Add(d)
	}
	a.setPause(until, d)
	return nil
}

// Resume ends a pause.
func (a *App) Resume() error {
	a.setPause(time.Time{}, 0)
	return nil
}

func (a *App) setPause(until time.Time, d time.Duration) {
	a.blk.mu.Lock()
	a.blk.paused = until
	if a.blk.pauseTimer != nil {
		a.blk.pauseTimer.Stop()
		a.blk.pauseTimer = nil
	}
	if d > 0 { // tell subscribers when it ends
		a.blk.pauseTimer = time.AfterFunc(d, a.hub.poke)
	}
	// Under the lock: a pause and a resume at once (the window and `polaris
	// pause`) must leave the proxy as the status says.
	if p := a.blk.proxy.Load(); p != nil {
		p.Pause(until)
	}
	a.blk.mu.Unlock()
	a.hub.poke()
}

// setBlockingDefaults fills the zero values of the blocking options.
func setBlockingDefaults(o *Options) {
	if o.HoldTimeout == 0 {
		o.HoldTimeout = proxy.DefaultHoldTimeout
	}
	if o.FirstLoadBudget == 0 {
		o.FirstLoadBudget = 10 * time.Second
	}
	if o.ListTimeout == 0 {
		o.ListTimeout = 60 * time.Second
	}
	if o.ListCheckInterval == 0 {
		o.ListCheckInterval = time.Minute
	}
	if o.StatsFlushInterval == 0 {
		o.StatsFlushInterval = 30 * time.Second
	}
	if o.LogSize == 0 {
		o.LogSize = 10_000
	}
	if os.Getenv(EnvNoAutoUpdate) != "" {
		o.NoAutoUpdate = true
	}
}

// EnvNoAutoUpdate names the environment variable that sets
// Options.NoAutoUpdate.
const EnvNoAutoUpdate = "POLARIS_NO_AUTO_UPDATE"
