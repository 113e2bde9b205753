// SPDX-License-Identifier: GPL-3.0-or-later

// Package sysproxy points the operating system's proxy settings at Polaris
// and puts them back exactly as they were.
//
// Everything it changes is first saved, as one opaque document, in a Journal
// that the application keeps on disk (SQLite). The journal is written before
// the first setting is touched, so a crash or kill -9 at any point leaves
// enough behind for Recover, called at every start, to restore the system.
// A restore never overrides the user: a backend whose settings no longer
// point at Polaris (the user changed them meanwhile) is left alone.
//
// Backends: GNOME/Cinnamon/Budgie (gsettings org.gnome.system.proxy), KDE
// (kwriteconfig/kreadconfig on kioslaverc), an environment.d file for
// command-line programs (Linux); networksetup for every enabled network
// service (macOS); the WinINet Internet Settings registry values (Windows);
// optionally Firefox profiles' user.js. The commands and registry values are
// built by portable code, so every platform's behaviour is tested on Linux.
//
// The package also writes the PAC file served by the proxy (PAC) and the
// "start at login" entries (Manager.SetAutostart).
package sysproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"

	"polaris/internal/status"
)

// Journal keeps the saved system state across crashes. The application
// implements it on its database. Save replaces the stored state; Load returns
// ok=false when nothing is stored; Clear removes it. Methods are called with
// the Manager's lock held, one at a time.
type Journal interface {
	Save(ctx context.Context, state []byte) error
	Load(ctx context.Context) (state []byte, ok bool, err error)
	Clear(ctx context.Context) error
}

// RunFunc runs a program and returns its standard output. A non-nil error
// must describe the failure (exit status, standard error).
type RunFunc func(ctx context.Context, name string, args ...string) ([]byte, error)

// Config configures a Manager. Only Journal is required for Enable, Disable
// and Recover; ProxyAddr is required for Enable.
type Config struct {
	// ProxyAddr is the address clients must use to reach Polaris's proxy,
	// host:port, e.g. "127.0.0.1:8228". Its host must be an IP address or
	// "localhost".
	ProxyAddr string
	// PACURL is where the proxy serves its PAC file (e.g.
	// "http://127.0.0.1:8228/proxy.pac"); reported by Status, and a system
	// already configured with it counts as pointing at Polaris. Optional.
	PACURL string
	// FirefoxUserJS makes Enable write a marked block into the user.js of
	// every Firefox profile that does not use the system proxy, setting it to
	// do so; Disable restores those files (settings.System.FirefoxUserJS).
	FirefoxUserJS bool
	// Journal stores the saved state. Required.
	Journal Journal
	// Env is the environment used to find the user's files (HOME,
	// XDG_CONFIG_HOME, APPDATA), the desktop (XDG_CURRENT_DESKTOP,
	// KDE_SESSION_VERSION), the session bus (DBUS_SESSION_BUS_ADDRESS) and
	// programs (PATH), in os.Environ form; it is also the environment of
	// the programs run. Nil means os.Environ() at New.
	Env []string
	// Run runs a program (gsettings, kwriteconfig5, networksetup, ...). Nil
	// means exec with Env and a 15 s timeout per command.
	Run RunFunc
}

// Errors callers may decide on.
var (
	// ErrUnsupported: this OS or desktop has no proxy settings Polaris knows
	// how to change.
	ErrUnsupported = errors.New("no system proxy settings Polaris can change were found on this system")
	// ErrNoJournal: Config.Journal is nil.
	ErrNoJournal = errors.New("sysproxy: Config.Journal is nil")
)

// Manager changes and restores the system proxy settings. Its methods are
// safe for concurrent use; they are serialised.
type Manager struct {
	cfg    Config
	target target
	sys    *sys
	mu     sync.Mutex
	// notes are warnings from the last Disable/Recover that Status repeats
	// (e.g. a Firefox profile that could not be fully restored).
	notes []string
}

// target is where the system should point: Polaris's proxy.
type target struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

func (t target) hostPort() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

func (t target) url() string { return "http://" + t.hostPort() + "/" }

func (t target) zero() bool { return t.Host == "" }

func parseTarget(addr string) (target, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return target{}, fmt.Errorf("proxy address %q: %w", addr, err)
	}
	if _, err := netipParse(host); err != nil && host != "localhost" {
		return target{}, fmt.Errorf("proxy address %q: want an IP address or localhost as host", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return target{}, fmt.Errorf("proxy address %q: want a port from 1 to 65535", addr)
	}
	return target{Host: host, Port: p}, nil
}

// New returns a Manager for cfg. It checks ProxyAddr when set; it does not
// touch the system.
func New(cfg Config) (*Manager, error) {
	if cfg.Journal == nil {
		return nil, ErrNoJournal
	}
	return newManager(cfg, currentPlatform())
}

func newManager(cfg Config, p platform) (*Manager, error) {
	m := &Manager{cfg: cfg}
	if cfg.ProxyAddr != "" {
		t, err := parseTarget(cfg.ProxyAddr)
		if err != nil {
			return nil, err
		}
		m.target = t
	}
	m.sys = newSys(cfg.Env, cfg.Run, p)
	return m, nil
}

// journalState is the document kept in the Journal.
type journalState struct {
	Version int `json:"version"`
	// Target is where Polaris pointed the system.
	Target target `json:"target"`
	// Earlier are targets of earlier Enables this state may still point
	// at (Polaris restarted on another port after a crash).
	Earlier []target `json:"earlier,omitempty"`
	// Backends holds each backend's saved previous state, by name.
	Backends []savedBackend `json:"backends"`
}

type savedBackend struct {
	Name  string          `json:"name"`
	State json.RawMessage `json:"state"`
}

const journalVersion = 1

func (m *Manager) load(ctx context.Context) (*journalState, error) {
	data, ok, err := m.cfg.Journal.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the system proxy journal: %w", err)
	}
	if !ok {
		return nil, nil
	}
	var st journalState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("reading the system proxy journal: %w", err)
	}
	if st.Version != journalVersion {
		return nil, fmt.Errorf("reading the system proxy journal: version %d, want %d", st.Version, journalVersion)
	}
	return &st, nil
}

func (m *Manager) save(ctx context.Context, st *journalState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding the system proxy journal: %w", err)
	}
	if err := m.cfg.Journal.Save(ctx, data); err != nil {
		return fmt.Errorf("writing the system proxy journal: %w", err)
	}
	return nil
}

// targets are every address the system may point at under this journal.
func (st *journalState) targets() []target {
	return append([]target{st.Target}, st.Earlier...)
}

func (st *journalState) find(name string) (json.RawMessage, bool) {
	for _, b := range st.Backends {
		if b.Name == name {
			return b.State, true
		}
	}
	return nil, false
}

// Enable points every proxy backend found on this system at ProxyAddr for
// HTTP and HTTPS, keeping the user's bypass list. It first saves what each
// backend holds in the Journal. It is idempotent: calling it again keeps the
// originally saved state of backends that still point at Polaris. On error
// every backend is restored (the system proxy is then off) and the error
// says which one failed; ErrUnsupported when there is nothing to change.
func (m *Manager) Enable(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.target.zero() {
		return errors.New("enabling the system proxy: Config.ProxyAddr is empty")
	}
	bs := m.detect(ctx, m.cfg.FirefoxUserJS)
	if len(bs) == 0 {
		return ErrUnsupported
	}
	prev, err := m.load(ctx)
	if err != nil {
		return err
	}
	st := &journalState{Version: journalVersion, Target: m.target}
	if prev != nil {
		for _, t := range prev.targets() {
			if t != m.target && !slices.Contains(st.Earlier, t) {
				st.Earlier = append(st.Earlier, t)
			}
		}
	}
	for _, b := range bs {
		state, err := m.previous(ctx, b, prev)
		if err != nil {
			return fmt.Errorf("enabling the system proxy: reading the %s settings: %w", b.name(), err)
		}
		st.Backends = append(st.Backends, savedBackend{Name: b.name(), State: state})
	}
	// Backends journalled earlier but not found now (e.g. a tool was
	// uninstalled) stay journalled, so Disable still tries to restore them.
	if prev != nil {
		for _, sb := range prev.Backends {
			if _, ok := st.find(sb.Name); !ok {
				st.Backends = append(st.Backends, sb)
			}
		}
	}
	if err := m.save(ctx, st); err != nil {
		return err
	}
	m.notes = nil
	for i, b := range bs {
		if err := b.apply(ctx, m.target, st.Backends[i].State); err != nil {
			err = fmt.Errorf("enabling the system proxy (%s): %w", b.name(), err)
			if rerr := m.restore(ctx, st); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
	}
	return nil
}

// previous returns the state to journal for b: the state saved by an
// earlier Enable if nobody else changed b since (so the user's original is
// kept across repeated Enables and crashes), otherwise what b holds now.
func (m *Manager) previous(ctx context.Context, b backend, prev *journalState) (json.RawMessage, error) {
	if prev != nil {
		if state, ok := prev.find(b.name()); ok {
			if mg, ok := b.(merger); ok {
				return mg.merge(ctx, prev.targets(), state)
			}
			keep, err := b.untouched(ctx, prev.targets(), state)
			if err != nil {
				return nil, err
			}
			if keep {
				return state, nil
			}
		}
	}
	return b.snapshot(ctx)
}

// Disable restores what Enable saved, backend by backend, leaving alone a
// backend whose settings the user changed since; then it clears the journal.
// With nothing journalled it does nothing. If a backend cannot be restored,
// the journal keeps it (a later Disable or Recover retries) and the error
// names it.
func (m *Manager) Disable(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.load(ctx)
	if err != nil || st == nil {
		return err
	}
	return m.restore(ctx, st)
}

// Recover restores the system after Polaris was stopped without Disable (a
// crash, kill -9, power loss): if a journal exists it does what Disable does
// and reports recovered=true. Call it at every start, before Enable.
func (m *Manager) Recover(ctx context.Context) (recovered bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := m.load(ctx)
	if err != nil || st == nil {
		return false, err
	}
	return true, m.restore(ctx, st)
}

// restore puts every backend in st back, then clears the journal; the
// journal keeps the backends that could not be restored.
func (m *Manager) restore(ctx context.Context, st *journalState) error {
	var errs []error
	var left []savedBackend
	m.notes = nil
	for _, sb := range st.Backends {
		b := m.backendByName(sb.Name)
		if b == nil {
			// Kept: dropping it would forget settings nobody restored.
			errs = append(errs, fmt.Errorf("restoring the system proxy: unknown backend %q in the journal", sb.Name))
			left = append(left, sb)
			continue
		}
		notes, err := m.restoreOne(ctx, b, st.targets(), sb.State)
		m.notes = append(m.notes, notes...)
		if err != nil {
			errs = append(errs, fmt.Errorf("restoring the %s proxy settings: %w", sb.Name, err))
			left = append(left, sb)
		}
	}
	switch {
	case len(left) > 0:
		if err := m.save(ctx, &journalState{Version: journalVersion, Target: st.Target, Earlier: st.Earlier, Backends: left}); err != nil {
			errs = append(errs, err)
		}
	default:
		if err := m.cfg.Journal.Clear(ctx); err != nil {
			errs = append(errs, fmt.Errorf("clearing the system proxy journal: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) restoreOne(ctx context.Context, b backend, ts []target, state json.RawMessage) ([]string, error) {
	if r, ok := b.(noter); ok {
		// Backends with several independent parts (Firefox profiles)
		// decide part by part.
		return r.restoreParts(ctx, ts, state)
	}
	keep, err := b.untouched(ctx, ts, state)
	if err != nil {
		return nil, err
	}
	if !keep {
		return []string{fmt.Sprintf("The %s proxy settings were changed after Polaris set them; Polaris left them as they are.", b.title())}, nil
	}
	return nil, b.restore(ctx, state)
}

// Status reports whether the system points at Polaris now, where, and what
// the user should know. It changes nothing.
func (m *Manager) Status(ctx context.Context) (status.System, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := status.System{PACURL: m.cfg.PACURL}
	st, err := m.load(ctx)
	if err != nil {
		return s, err
	}
	t := m.target
	if st != nil {
		t = st.Target
	}
	bs := m.detect(ctx, false)
	var errs []error
	proxies := 0
	for _, b := range bs {
		if b.name() == firefoxName {
			continue
		}
		proxies++
		var state json.RawMessage
		if st != nil {
			state, _ = st.find(b.name())
		}
		ours := false
		if !t.zero() {
			ours, err = b.ours(ctx, t, state)
			if err != nil {
				errs = append(errs, fmt.Errorf("reading the %s proxy settings: %w", b.name(), err))
				continue
			}
		}
		if !ours && m.cfg.PACURL != "" {
			if p, ok := b.(pacChecker); ok {
				ours, _ = p.usesPAC(ctx, m.cfg.PACURL)
			}
		}
		if ours {
			s.Backends = append(s.Backends, b.name())
			s.Places = append(s.Places, b.title())
		} else if st != nil {
			s.Warnings = append(s.Warnings, fmt.Sprintf("The %s proxy settings do not point at Polaris (they were changed after Polaris set them).", b.title()))
		}
	}
	s.SystemProxy = proxies > 0 && len(s.Backends) == proxies
	ff := &firefoxBackend{sys: m.sys}
	s.Warnings = append(s.Warnings, ff.warnings(t, m.cfg.PACURL)...)
	s.Warnings = append(s.Warnings, m.notes...)
	if on, err := m.autostartEnabled(); err == nil {
		s.Autostart = on
	}
	return s, errors.Join(errs...)
}
