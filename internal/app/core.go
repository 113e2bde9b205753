// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/proxy"
)

// core is what every part of the App shares: the options, the log, the
// settings and the database they live in, the notices for the user and the
// status fan-out. mu guards the settings, the database handle and the
// notices.
type core struct {
	opts Options
	log  *log.Logger

	mu       sync.Mutex
	st       *store.Store // nil when degraded
	cur      settings.Settings
	extra    map[string]string // stored keys this version does not know
	notices  []status.Notice
	degraded string
	// degradedCause is why, in a few words ("the disk is full").
	degradedCause string

	hub hub
	// deleting is set while DeleteAllData runs: the system proxy is not
	// pointed at Polaris and Tor is not started meanwhile.
	deleting atomic.Bool
	// current is the proxy in use (or last used), for readers that must
	// not wait for run.mu (see currentProxy).
	current atomic.Pointer[proxy.Proxy]
}

// logWriter is where operational messages go.
func (a *core) logWriter() io.Writer { return a.log.Writer() }

// DataDir returns the data dir.
func (a *core) DataDir() string { return a.opts.DataDir }

// loadSettings reads the stored settings; bad stored values fall back to
// their defaults with a notice.
func (a *core) loadSettings(ctx context.Context) error {
	st, err := a.store()
	if err != nil {
		return err
	}
	// Read and take the settings under a.mu, as Apply saves and takes
	// them: a reload that read the database before an Apply saved must not
	// put the older settings back after it.
	a.mu.Lock()
	m, err := st.Settings(ctx)
	if err != nil {
		a.mu.Unlock()
		return fmt.Errorf("reading settings: %w", err)
	}
	s, unknown, errs := settings.FromMap(m)
	if len(errs) > 0 && s.Validate() != nil {
		s = settings.Default()
	}
	extra := map[string]string{}
	for _, k := range unknown {
		extra[k] = m[k]
	}
	a.cur, a.extra = s, extra
	a.mu.Unlock()
	for _, e := range errs {
		a.noticef(status.Warning, "A stored setting was invalid and its default is used instead: %v", e)
	}
	return nil
}

// Settings returns a copy of the current settings.
func (a *core) Settings() settings.Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur.Clone()
}

// Writable reports whether settings changes are stored, or why not.
func (a *core) Writable() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st == nil {
		return fmt.Errorf("%w (%s)", ErrDegraded, a.degradedCause)
	}
	return nil
}

func (a *core) noticef(sev status.Severity, format string, args ...any) {
	n := status.Notice{Time: time.Now(), Severity: sev, Text: fmt.Sprintf(format, args...)}
	a.mu.Lock()
	a.notices = append(a.notices, n)
	if len(a.notices) > 50 {
		a.notices = a.notices[len(a.notices)-50:]
	}
	a.mu.Unlock()
	a.log.Print(n.Text)
	a.hub.poke()
}

// Notices returns the messages for the user, oldest first.
func (a *core) Notices() []status.Notice {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]status.Notice(nil), a.notices...)
}

// listenFor returns the listen address to use with s.
func (a *core) listenFor(s settings.Settings) string {
	if a.opts.Listen != "" {
		return a.opts.Listen
	}
	return s.Listen
}

// currentProxy returns the proxy in use (or last used), without waiting
// for run.mu: applyRunning holds it across list compiles and system calls,
// and the request path and Tor's notifications must not stall on it.
func (a *core) currentProxy() *proxy.Proxy { return a.current.Load() }

// dataVersion returns the database's change counter, or -1 without one.
func (a *core) dataVersion(ctx context.Context) int64 {
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return -1
	}
	v, err := st.DataVersion(ctx)
	if err != nil {
		return -1
	}
	return v
}

// store returns the open store, or an error saying why there is none.
func (a *core) store() (*store.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st == nil {
		return nil, fmt.Errorf("%w (%s)", ErrDegraded, a.degradedCause)
	}
	return a.st, nil
}
