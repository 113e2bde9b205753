// SPDX-License-Identifier: GPL-3.0-or-later

// Package app is Polaris's orchestrator. It owns the settings, the store,
// the proxy (and, as they land, Tor, the CA and the lists), converts the
// user's settings into each component's configuration, swaps them in, and
// folds what the components report into status snapshots for the GUI and
// the CLI. It is the only package that knows every other one.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/ca"
	"polaris/internal/instance"
	"polaris/internal/lists"
	"polaris/internal/seal"
	"polaris/internal/settings"
	"polaris/internal/stats"
	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/snowflake"
)

// EnvDataDir names the environment variable that sets the data dir.
const EnvDataDir = "POLARIS_DATA_DIR"

// DefaultDataDir returns $POLARIS_DATA_DIR, else os.UserConfigDir()/polaris.
func DefaultDataDir() (string, error) {
	if d := os.Getenv(EnvDataDir); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user's config dir (set %s): %w", EnvDataDir, err)
	}
	return filepath.Join(base, "polaris"), nil
}

// Options configure an App.
type Options struct {
	// DataDir holds everything Polaris stores. Required.
	DataDir string
	// Listen overrides the listen setting for this run ("" keeps it).
	Listen string
	// Log receives operational messages; nil discards them.
	Log io.Writer
	// WatchInterval is how often a running App checks the database for
	// changes made by other processes (default 500 ms).
	WatchInterval time.Duration
	// ShutdownGrace bounds how long in-flight requests may take to finish
	// when Run's context ends (default 10 s).
	ShutdownGrace time.Duration
	// BusyTimeout is how long a write waits for another process holding
	// the database (default store.DefaultBusyTimeout).
	BusyTimeout time.Duration
	// SealCost is the scrypt work of encrypted exports (zero: age's
	// defaults). Tests lower it.
	SealCost seal.Cost
	// Resolver resolves names for direct connections; nil uses the
	// system's. (In Tor mode nothing is resolved locally.)
	Resolver *net.Resolver

	// Version is Polaris's version, for the User-Agent of list downloads.
	Version string
	// HoldTimeout bounds how long a request waits for the lists at
	// start-up (blocking.hold-until-loaded; default proxy.DefaultHoldTimeout).
	HoldTimeout time.Duration
	// FirstLoadBudget bounds the first download of lists never downloaded
	// before traffic is let through (default 10 s).
	FirstLoadBudget time.Duration
	// ListTimeout bounds one list download (default 60 s).
	ListTimeout time.Duration
	// ListCheckInterval is how often a running App looks for lists due for
	// an update (default 1 min).
	ListCheckInterval time.Duration
	// StatsFlushInterval is how often statistics are written (default 30 s).
	StatsFlushInterval time.Duration
	// LogSize is how many decisions the live log keeps (default 10,000).
	LogSize int
	// NoAutoUpdate: Polaris never downloads a list by itself, neither at
	// the first start nor when one is due; updates asked for (lists add,
	// lists update) still happen. Also set by $POLARIS_NO_AUTO_UPDATE
	// (air-gapped machines, tests).
	NoAutoUpdate bool
	// Trust says where the trust stores are that the CA is installed in and
	// removed from (ca install/uninstall, regenerate, data delete): its
	// Home, CertUtil, LinuxCertDir, LinuxUpdate, IsRoot and Runner are
	// used, Dir and System are set by the App. The zero value is the
	// user's real environment; tests point it at temporary stores.
	Trust ca.TrustOptions
	// Snowflake is the base configuration of the "give back" Snowflake
	// proxy; its capacity comes from the settings. The zero value runs
	// snowflake-proxy from PATH against the Tor Project's broker; tests
	// point it at a stand-in broker.
	Snowflake snowflake.Config
}

// App is one Polaris instance working on one data dir. It composes the
// parts that share its core (HTTPS and the CA, Tor, the system settings)
// with the services (lists, stats, instance) and the proxy, and applies
// the settings to them.
type App struct {
	*core
	httpsPart     // HTTPS filtering, the CA, what sites answer (https.go)
	torPart       // Polaris's Tor and the route through it (tor.go)
	systemPart    // the system proxy and start at login (system.go)
	dnsPart       // the resolver of direct connections (dns.go)
	snowflakePart // the "give back" Snowflake proxy (snowflake.go)

	// Client asks the Polaris running on the data dir (another process,
	// or this one) about its Tor and its pause.
	instance.Client

	run    runState
	webrtc webrtcState // the browsers' WebRTC settings (webrtc.go)
	// reload serialises the watcher's reloading of the settings with
	// DeleteAllData's replacing of the database, so a reload never reads
	// the old database and then overwrites the fresh defaults with it.
	reload sync.Mutex
	// runs counts the calls to Run that have not returned; Close refuses
	// while it is not zero (the engine reads the database until it stops).
	runs  atomic.Int32
	show  showHook // the window's "show" callback (instance.go)
	blk   blockingState
	stats *stats.Stats  // the live log, the request log, the counters
	lists *lists.Engine // the blocklists: subscriptions, downloads, compile
}

// Open opens the data dir: its database (rebuilding a corrupt one) and the
// settings in it. A database that cannot be opened for another reason
// (locked, read-only, disk full) leaves the App running on defaults in
// memory, with a notice saying why.
func Open(ctx context.Context, opts Options) (*App, error) {
	if opts.DataDir == "" {
		return nil, errors.New("no data dir")
	}
	a := newApp(opts)
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	var sopts []store.Option
	if opts.BusyTimeout > 0 {
		sopts = append(sopts, store.WithBusyTimeout(opts.BusyTimeout))
	}
	dbPath := filepath.Join(opts.DataDir, store.FileName)
	st, rec, err := store.Open(ctx, dbPath, sopts...)
	if err != nil {
		var tooNew *store.ErrTooNew
		if errors.As(err, &tooNew) {
			return nil, err
		}
		a.degrade(ctx, err, dbPath)
		return a, nil
	}
	a.st = st
	if rec != nil {
		a.noticef(status.Warning, "%s", rec.Message())
	}
	if err := a.loadSettings(ctx); err != nil {
		st.Close()
		return nil, err
	}
	a.lists.Reconcile(ctx)
	a.lists.Refresh(ctx)
	return a, nil
}

// newApp puts an App together: its core and parts, its services.
func newApp(opts Options) *App {
	if opts.WatchInterval == 0 {
		opts.WatchInterval = 500 * time.Millisecond
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	setBlockingDefaults(&opts)
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	c := &core{opts: opts, log: log.New(w, "polaris: ", log.LstdFlags), cur: settings.Default()}
	a := &App{core: c, httpsPart: httpsPart{core: c}, torPart: torPart{core: c}, systemPart: systemPart{core: c},
		dnsPart: dnsPart{core: c},
		Client:  instance.Client{Dir: opts.DataDir}}
	a.httpsPart.reapply = a.applyRunning
	a.stats = stats.New(stats.Config{Store: a.store, Data: func() settings.Data { return a.Settings().Data },
		Logf: a.log.Printf, LogSize: opts.LogSize, FlushInterval: opts.StatsFlushInterval})
	a.lists = newLists(a)
	a.tor.wake = make(chan struct{}, 1)
	a.snowflakePart = snowflakePart{core: c}
	a.sf.wake = make(chan struct{}, 1)
	a.run.wake = make(chan struct{}, 1)
	a.run.sync = make(chan chan struct{})
	return a
}

// degrade leaves the App on defaults in memory, with a notice saying why
// the database (at dbPath) cannot be used. On a read-only disk the stored
// settings and lists can still be read, and are.
func (a *App) degrade(ctx context.Context, err error, dbPath string) {
	a.degradedCause = plainCause(err)
	a.degraded = fmt.Sprintf("Polaris cannot write its database (%s). It keeps working, but changes to settings are kept in memory only and will be lost when it quits.", a.degradedCause)
	a.noticef(status.Error, "%s", a.degraded)
	if !errors.Is(err, store.ErrReadOnly) {
		return
	}
	fr, ferr := store.OpenFrozen(ctx, dbPath)
	if ferr != nil {
		return
	}
	a.st = fr
	if err := a.loadSettings(ctx); err != nil {
		a.noticef(status.Warning, "Reading the stored settings: %v", err)
	}
	a.lists.Refresh(ctx) // the lists still block
	fr.Close()
	a.st = nil
}

// Close releases the database. While Run has not returned it does nothing
// and returns ErrEngineRunning: stop the engine first.
func (a *App) Close() error {
	if a.runs.Load() > 0 {
		return ErrEngineRunning
	}
	a.mu.Lock()
	if a.st == nil {
		a.mu.Unlock()
		return nil
	}
	err := a.st.Close()
	a.st = nil
	a.mu.Unlock()
	a.run.mu.Lock()
	ran := a.run.ran
	a.run.mu.Unlock()
	if !ran {
		// A client of the data dir (the CLI) may have changed it: the
		// running Polaris looks now rather than at its next tick.
		a.tellRunning()
	}
	return err
}

// ErrNotSaved is returned (wrapped) by Apply when the settings are in
// effect but could not be stored (disk full, database locked by another
// program, read-only data folder): they last until Polaris quits.
var ErrNotSaved = errors.New("your change is active but could not be saved, so it will be lost when Polaris quits")

// Apply validates s, persists it and applies it to the running components.
// Nothing changes if s is invalid. If it cannot be stored, it is applied
// anyway (in memory) and an error wrapping ErrNotSaved says why.
func (a *App) Apply(ctx context.Context, s settings.Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := a.validateTor(s); err != nil {
		return err
	}
	var saveErr error
	a.mu.Lock()
	if a.st != nil {
		if err := a.st.SaveSettings(ctx, s.Map()); err != nil {
			if !isStorageCondition(err) {
				a.mu.Unlock()
				return fmt.Errorf("saving settings: %w", err)
			}
			saveErr = fmt.Errorf("%w: %s", ErrNotSaved, plainCause(err))
		}
	} else {
		saveErr = fmt.Errorf("%w: %s", ErrNotSaved, a.degraded)
	}
	prev := a.cur
	a.cur = s.Clone()
	a.mu.Unlock()
	if prev.System.Autostart != s.System.Autostart {
		if err := a.applyAutostart(s); err != nil {
			a.noticef(status.Error, "Start at login: %v", err)
		}
	}
	a.applyRunning(ctx)
	if saveErr != nil {
		a.noticef(status.Warning, "%v", saveErr)
	}
	return saveErr
}

// isStorageCondition reports whether err is a condition of the disk or
// the database file rather than a bug.
func isStorageCondition(err error) bool {
	return errors.Is(err, store.ErrDiskFull) || errors.Is(err, store.ErrLocked) || errors.Is(err, store.ErrReadOnly)
}

// plainCause names a storage condition in plain words.
func plainCause(err error) string {
	for _, c := range []error{store.ErrDiskFull, store.ErrLocked, store.ErrReadOnly} {
		if errors.Is(err, c) {
			return c.Error()
		}
	}
	return err.Error()
}

// Set changes one setting by its textual key, as `polaris config set` does.
// In a process that does not run the proxy (the command line), the change
// is stored first: one that cannot be stored would vanish when the command
// exits, so then nothing changes and the error says why.
func (a *App) Set(ctx context.Context, key, value string) error {
	s := a.Settings()
	if err := s.Set(key, value); err != nil {
		return err
	}
	if a.blk.proxy.Load() == nil {
		if err := s.Validate(); err != nil {
			return err
		}
		if err := a.validateTor(s); err != nil {
			return err
		}
		a.mu.Lock()
		st, why := a.st, a.degradedCause
		a.mu.Unlock()
		if st == nil {
			return fmt.Errorf("nothing was changed: %s", why)
		}
		if err := st.SaveSettings(ctx, s.Map()); err != nil {
			if isStorageCondition(err) {
				return fmt.Errorf("nothing was changed: %s", plainCause(err))
			}
			return fmt.Errorf("saving settings: %w", err)
		}
	}
	return a.Apply(ctx, s)
}

// ErrDegraded is returned when a change cannot be stored.
var ErrDegraded = errors.New("the database is not available")
