// SPDX-License-Identifier: GPL-3.0-or-later

// Package lists runs the user's blocklists: the catalogue of well-known
// lists, the subscriptions (rows in the store, texts in cache files of the
// data dir, written whole and renamed into place), their downloads and
// update schedule, and the compile of one matcher from the enabled lists
// and the user's own rules. Downloads go through the round-tripper the app
// gives (the running proxy's route: with Tor on they go through Tor), with
// conditional requests; a copy that is not a usable list never replaces the
// cached one. The engine knows neither the proxy nor Tor: the app
// publishes what it compiles.
package lists

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
)

// Config is what the engine needs. Every func is required.
type Config struct {
	// Dir holds the lists' texts (one file per list).
	Dir string
	// Store returns the open database, or why there is none.
	Store func() (*store.Store, error)
	// Settings returns the current settings (the user's rules and owner
	// awareness are compiled in; Tor mode decides how to download).
	Settings func() settings.Settings
	// Transport returns the round-tripper downloads go through now (the
	// running proxy's route), an error saying why nothing may be
	// downloaded now (ErrTorNotRunning), or nil, nil to download directly.
	Transport func() (http.RoundTripper, error)
	// Serving reports whether this process runs the proxy: changes are
	// compiled and published at once, and downloads happen here.
	Serving func() bool
	// RunningElsewhere reports whether another process runs Polaris on the
	// data dir: an update is then asked of it through the database.
	RunningElsewhere func() bool
	// Publish is called after every Rebuild, also when nothing had to be
	// compiled, with the settings it was made for: the app puts their
	// categories and allowlist on top of Base and hands the result on.
	Publish func(s settings.Settings)
	// Notice tells the user something; Changed says the status changed.
	Notice  func(sev status.Severity, format string, args ...any)
	Changed func()
	// Logf receives operational messages.
	Logf func(format string, args ...any)

	// Version is Polaris's version, for the downloads' User-Agent.
	Version string
	// Timeout bounds one download; CheckInterval is how often the
	// schedule looks for lists due; FirstLoadBudget bounds the first
	// download of lists never downloaded before traffic is let through.
	Timeout, CheckInterval, FirstLoadBudget time.Duration
	// NoAutoUpdate: nothing is downloaded unless asked for.
	NoAutoUpdate bool
}

// Engine is the blocklists of one data dir. Its methods are safe for
// concurrent use.
type Engine struct {
	cfg Config

	buildMu    sync.Mutex    // one compile at a time
	gen, built atomic.Uint64 // rebuild requests and the newest one served
	updateMu   sync.Mutex    // one download at a time
	kick       chan struct{} // wakes the update schedule

	mu         sync.Mutex // guards the fields below
	base       *blocklist.Matcher
	key        string // what base was compiled from
	rows       []store.ListRow
	problems   map[int64]string // lists that could not be loaded, and why
	customErrs []status.RuleError
	customSeen string // custom rules whose errors were announced
	updating   map[int64]bool
}

// New returns the engine for cfg; it reads nothing yet (Refresh does).
func New(cfg Config) *Engine {
	return &Engine{cfg: cfg, kick: make(chan struct{}, 1)}
}

// ErrTorNotRunning is returned when a list would have to be downloaded
// while Tor mode is on but Polaris is not running to route it.
var ErrTorNotRunning = errors.New("Tor mode is on, so Polaris downloads lists only through Tor: start Polaris (polaris run) and try again")

// CachePath is where the text of list id is kept.
func (e *Engine) CachePath(id int64) string {
	return filepath.Join(e.cfg.Dir, strconv.FormatInt(id, 10)+".txt")
}

func (e *Engine) cachePath(id int64) string { return e.CachePath(id) }

// store returns the open store, or an error saying why there is none.
func (e *Engine) store() (*store.Store, error) { return e.cfg.Store() }

func plainListErr(err error, id int64) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no list %d (see `polaris lists`)", id)
	}
	return err
}
