// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
	"polaris/tor"
)

// Tor: Polaris's own Tor client, started and stopped with the `tor`
// setting, and the proxy's route through it. While Tor mode is on the proxy
// dials only through torDial, which refuses (fail closed) whenever Tor is
// not connected: there is never a direct connection.

// torState is the Tor part of App.
type torState struct {
	mu     sync.Mutex // serialises starting and stopping the client
	client atomic.Pointer[tor.Client]
	key    string // the configuration the client was started with
	wake   chan struct{}

	stMu     sync.Mutex
	st       status.Tor
	restarts int
	lastErr  string
}

// torConfigKey identifies the settings a running client depends on.
func torConfigKey(s settings.Settings) string {
	t := s.Tor
	return strings.Join([]string{t.Binary, t.Torrc, fmt.Sprint(t.Isolate), string(t.Bridges),
		strings.Join(t.BridgeLines, "\n"), strings.Join(t.ExitCountries, ",")}, "\x00")
}

func (a *App) torConfig(s settings.Settings) tor.Config {
	return tor.Config{
		Binary:        s.Tor.Binary,
		DataDir:       filepath.Join(a.opts.DataDir, "tor"),
		ExtraTorrc:    s.Tor.Torrc,
		Bridges:       s.Tor.Bridges,
		BridgeLines:   s.Tor.BridgeLines,
		ExitCountries: s.Tor.ExitCountries,
		Isolate:       s.Tor.Isolate,
		OnStatus:      a.onTorStatus,
		Log:           prefixWriter{w: a.logWriter(), prefix: "tor: "},
	}
}

// validateTor checks the Tor settings the way the client will (bridge
// lines, exit countries) before they are stored.
func (a *App) validateTor(s settings.Settings) error {
	if !s.Tor.Enabled {
		return nil
	}
	cfg := a.torConfig(s)
	cfg.OnStatus, cfg.Log = nil, nil
	if _, err := tor.New(cfg); err != nil {
		return fmt.Errorf("%w: %v", settings.ErrInvalid, err)
	}
	return nil
}

// routeFor is how the proxy connects upstream with settings s.
func (a *App) routeFor(s settings.Settings) proxy.Route {
	if s.Tor.Enabled {
		return proxy.Route{Name: "tor", Dial: a.torDial, Isolate: s.Tor.Isolate, Onion: true, Tor: true, Down: a.torDown}
	}
	return a.directRoute(s)
}

// applyRoute switches p's route when Tor mode changed. Switching cuts
// tunnels and idle connections of the old route (proxy.SetRoute).
func (a *App) applyRoute(p *proxy.Proxy, s settings.Settings) {
	want, have := a.routeFor(s), p.Route()
	if want.Name == have.Name && want.Isolate == have.Isolate && want.Onion == have.Onion {
		return
	}
	p.SetRoute(want)
	if want.Name == "tor" {
		a.log.Printf("Tor mode on: every connection now goes through Tor")
	} else {
		a.log.Printf("Tor mode off: connections go direct")
	}
}

// syncTor asks the Tor supervisor to bring the client in line with the
// settings; it returns at once (starting and stopping tor take seconds).
func (a *App) syncTor() {
	select {
	case a.tor.wake <- struct{}{}:
	default:
	}
}

// superviseTor starts, restarts and stops the Tor client as the settings
// say, until ctx ends; then it stops the client.
func (a *App) superviseTor(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		a.reconcileTor(ctx)
		select {
		case <-ctx.Done():
			a.stopTor()
			return
		case <-a.tor.wake:
		}
	}
}

func (a *App) reconcileTor(ctx context.Context) {
	a.tor.mu.Lock()
	defer a.tor.mu.Unlock()
	s := a.Settings()
	key := torConfigKey(s)
	cur := a.tor.client.Load()
	if cur != nil && s.Tor.Enabled && key == a.tor.key && !a.deleting.Load() {
		return
	}
	if cur != nil {
		a.stopTorLocked()
	}
	if !s.Tor.Enabled || ctx.Err() != nil || a.deleting.Load() {
		a.setTorStatus(status.Tor{State: status.TorOff})
		return
	}
	c, err := tor.New(a.torConfig(s))
	if err != nil {
		a.setTorStatus(status.Tor{Enabled: true, State: status.TorFailed, Err: err.Error()})
		a.noticef(status.Error, "Tor cannot start: %v. Nothing is sent until it does.", err)
		return
	}
	a.tor.key = key
	a.tor.client.Store(c)
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Start(startCtx); err != nil {
		// The client stays in place: it refuses every dial (fail closed)
		// and its status explains why.
		a.noticef(status.Error, "Tor cannot start: %v. Nothing is sent until this is fixed, or until you turn Tor off.", err)
	}
}

func (a *App) stopTor() {
	a.tor.mu.Lock()
	defer a.tor.mu.Unlock()
	a.stopTorLocked()
	a.setTorStatus(status.Tor{State: status.TorOff})
}

func (a *App) stopTorLocked() {
	c := a.tor.client.Swap(nil)
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		a.log.Printf("stopping tor: %v", err)
	}
	a.tor.key = ""
}

// onTorStatus receives every status of the client.
func (a *App) onTorStatus(st status.Tor) {
	a.tor.stMu.Lock()
	lostTor := a.tor.st.State == status.TorReady && st.State != status.TorReady
	restarted := st.Restarts > a.tor.restarts
	a.tor.restarts = st.Restarts
	newErr := st.Err != "" && st.Err != a.tor.lastErr && st.State == status.TorFailed
	a.tor.lastErr = st.Err
	a.tor.st = st
	a.tor.stMu.Unlock()
	if lostTor {
		// Every connection through the old tor is dead: drop them all, so
		// no request waits on one and browsers reconnect when Tor is back.
		if p := a.currentProxy(); p != nil && p.Route().Name == "tor" {
			p.ResetConnections()
		}
	}
	if restarted {
		a.noticef(status.Warning, "Tor stopped unexpectedly and was restarted. Nothing was sent while it was down.")
	}
	if newErr {
		a.noticef(status.Error, "Tor: %s", st.Err)
	}
	a.hub.poke()
}

func (a *App) setTorStatus(st status.Tor) {
	a.tor.stMu.Lock()
	a.tor.st, a.tor.restarts, a.tor.lastErr = st, 0, ""
	a.tor.stMu.Unlock()
	a.hub.poke()
}

func (a *App) torStatus() status.Tor {
	a.tor.stMu.Lock()
	defer a.tor.stMu.Unlock()
	st := a.tor.st
	if st.State == "" {
		st.State = status.TorOff
	}
	return st
}

// torDial is the proxy's dialer in Tor mode. It never connects directly:
// without a connected Tor it refuses with a page saying so.
func (a *App) torDial(ctx context.Context, network, addr string) (net.Conn, error) {
	c := a.tor.client.Load()
	if c == nil {
		return nil, a.torRefusal()
	}
	conn, err := c.DialContext(ctx, network, addr, proxy.SiteFromContext(ctx))
	if err == nil {
		return conn, nil
	}
	var de *tor.DialError
	switch {
	case errors.Is(err, tor.ErrNotReady):
		return nil, a.torRefusal()
	case errors.As(err, &de):
		host, _, _ := net.SplitHostPort(addr)
		title := "The site cannot be reached through Tor"
		if de.Onion() {
			title = "The onion site cannot be reached"
		}
		return nil, &proxy.Refusal{Code: 502, Title: title,
			Text: fmt.Sprintf("Tor could not connect to %s: %s.", host, de.Reason)}
	}
	return nil, err
}

// torDown is the Tor route's health: the fail-closed refusal while Tor is
// not connected, nil while it is.
func (a *App) torDown() *proxy.Refusal {
	if c := a.tor.client.Load(); c != nil && c.Alive() {
		return nil
	}
	return a.torRefusal()
}

// torRefusal is the fail-closed page: Tor mode is on, Tor is not connected.
func (a *App) torRefusal() *proxy.Refusal {
	st := a.torStatus()
	var state string
	switch st.State {
	case status.TorBootstrapping:
		state = fmt.Sprintf("Tor is connecting (%d%%: %s).", st.Progress, st.Phase)
	case status.TorStarting:
		state = "Tor is starting."
	case status.TorFailed:
		state = "Tor is not working: " + st.Err
	case status.TorReady:
		state = "Tor stopped unexpectedly; Polaris is restarting it."
	default:
		state = "Tor is not running."
	}
	return &proxy.Refusal{
		Code:  503,
		Title: "Tor is not connected",
		Text: state + " You asked Polaris to send everything through Tor, so nothing was sent: Polaris never " +
			"falls back to a direct connection. Try again in a moment, or turn Tor off in Polaris to browse without it.",
	}
}

// NewIdentity asks Tor for new circuits, then drops the proxy's open
// connections so that nothing keeps using the old ones.
func (a *App) NewIdentity(ctx context.Context) error {
	c := a.tor.client.Load()
	if c == nil || !a.Settings().Tor.Enabled {
		return errors.New("Tor is off: turn it on first")
	}
	if err := c.NewIdentity(ctx); err != nil {
		if errors.Is(err, tor.ErrNotReady) {
			return errors.New("Tor is not connected yet")
		}
		return err
	}
	if p := a.currentProxy(); p != nil {
		p.ResetConnections()
	}
	return nil
}

// Circuit returns the Tor circuit that carried site's latest connection.
func (a *App) Circuit(ctx context.Context, site string) (status.Circuit, error) {
	c := a.tor.client.Load()
	if c == nil || !a.Settings().Tor.Enabled {
		return status.Circuit{}, errors.New("Tor is off")
	}
	d, err := settings.RegistrableDomain(site)
	if err != nil {
		d = strings.ToLower(site)
	}
	circ, err := c.Circuit(ctx, d)
	if errors.Is(err, tor.ErrNoCircuit) {
		return circ, fmt.Errorf("no Tor circuit for %s yet: open the site first", d)
	}
	return circ, err
}

// prefixWriter prefixes each write (one line of tor's output) for the log.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}
