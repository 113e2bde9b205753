// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
	"polaris/tor"
)

// Tor: Polaris's own Tor client, started and stopped with the `tor`
// setting, and the proxy's route through it. While Tor mode is on the proxy
// dials only through torDial, which refuses (fail closed) whenever Tor is
// not connected: there is never a direct connection.

// torPart is the App's part for Tor: the client, its supervisor, and the
// proxy's route through it.
type torPart struct {
	*core
	tor torState
}

// torState is the state of the Tor part.
type torState struct {
	mu     sync.Mutex // serialises starting and stopping the client
	client atomic.Pointer[tor.Client]
	key    string // the configuration the client was started with
	wake   chan struct{}

	stMu     sync.Mutex
	st       status.Tor
	restarts int
	lastErr  string

	onionMu sync.Mutex
	onions  []status.OnionSite // latest first, at most maxOnionsShown
}

// maxOnionsShown bounds the sites with an onion address the window lists.
const maxOnionsShown = 50

// onOnionLocation records that site announced onion (the proxy calls it,
// on the Tor route only; it must not block).
func (t *torPart) onOnionLocation(site, onion string) {
	t.tor.onionMu.Lock()
	list := []status.OnionSite{{Site: site, Onion: onion}}
	for _, o := range t.tor.onions {
		if o.Site != site && len(list) < maxOnionsShown {
			list = append(list, o)
		}
	}
	t.tor.onions = list
	t.tor.onionMu.Unlock()
	t.hub.poke()
}

// onionSites returns the sites that announced an onion address.
func (t *torPart) onionSites() []status.OnionSite {
	t.tor.onionMu.Lock()
	defer t.tor.onionMu.Unlock()
	return slices.Clone(t.tor.onions)
}

// torConfigKey identifies the settings a running client depends on.
func torConfigKey(s settings.Settings) string {
	t := s.Tor
	return strings.Join([]string{t.Binary, t.Torrc, fmt.Sprint(t.Isolate), string(t.Bridges),
		strings.Join(t.BridgeLines, "\n"), strings.Join(t.ExitCountries, ",")}, "\x00")
}

func (t *torPart) torConfig(s settings.Settings) tor.Config {
	return tor.Config{
		Binary:        s.Tor.Binary,
		DataDir:       filepath.Join(t.opts.DataDir, "tor"),
		ExtraTorrc:    s.Tor.Torrc,
		Bridges:       s.Tor.Bridges,
		BridgeLines:   s.Tor.BridgeLines,
		ExitCountries: s.Tor.ExitCountries,
		Isolate:       s.Tor.Isolate,
		OnStatus:      t.onTorStatus,
		Log:           prefixWriter{w: t.logWriter(), prefix: "tor: "},
	}
}

// validateTor checks the Tor settings the way the client will (bridge
// lines, exit countries) before they are stored.
func (t *torPart) validateTor(s settings.Settings) error {
	if !s.Tor.Enabled {
		return nil
	}
	cfg := t.torConfig(s)
	cfg.OnStatus, cfg.Log = nil, nil
	if _, err := tor.New(cfg); err != nil {
		return fmt.Errorf("%w: %v", settings.ErrInvalid, err)
	}
	return nil
}

// syncTor asks the Tor supervisor to bring the client in line with the
// settings; it returns at once (starting and stopping tor take seconds).
func (t *torPart) syncTor() {
	select {
	case t.tor.wake <- struct{}{}:
	default:
	}
}

// superviseTor starts, restarts and stops the Tor client as the settings
// say, until ctx ends; then it stops the client.
func (t *torPart) superviseTor(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		t.reconcileTor(ctx)
		select {
		case <-ctx.Done():
			t.stopTor()
			return
		case <-t.tor.wake:
		}
	}
}

func (t *torPart) reconcileTor(ctx context.Context) {
	t.tor.mu.Lock()
	defer t.tor.mu.Unlock()
	s := t.Settings()
	key := torConfigKey(s)
	cur := t.tor.client.Load()
	if cur != nil && s.Tor.Enabled && key == t.tor.key && !t.deleting.Load() {
		return
	}
	if cur != nil {
		t.stopTorLocked()
	}
	if !s.Tor.Enabled || ctx.Err() != nil || t.deleting.Load() {
		t.setTorStatus(status.Tor{State: status.TorOff})
		return
	}
	c, err := tor.New(t.torConfig(s))
	if err != nil {
		t.setTorStatus(status.Tor{Enabled: true, State: status.TorFailed, Err: err.Error()})
		t.noticef(status.Error, "Tor cannot start: %v. Nothing is sent until it does.", err)
		return
	}
	t.tor.key = key
	t.tor.client.Store(c)
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Start(startCtx); err != nil {
		// The client stays in place: it refuses every dial (fail closed)
		// and its status explains why.
		t.noticef(status.Error, "Tor cannot start: %v. Nothing is sent until this is fixed, or until you turn Tor off.", err)
	}
}

func (t *torPart) stopTor() {
	t.tor.mu.Lock()
	defer t.tor.mu.Unlock()
	t.stopTorLocked()
	t.setTorStatus(status.Tor{State: status.TorOff})
}

func (t *torPart) stopTorLocked() {
	c := t.tor.client.Swap(nil)
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.log.Printf("stopping tor: %v", err)
	}
	t.tor.key = ""
}

// onTorStatus receives every status of the client.
func (t *torPart) onTorStatus(st status.Tor) {
	t.tor.stMu.Lock()
	lostTor := t.tor.st.State == status.TorReady && st.State != status.TorReady
	restarted := st.Restarts > t.tor.restarts
	t.tor.restarts = st.Restarts
	newErr := st.Err != "" && st.Err != t.tor.lastErr && st.State == status.TorFailed
	t.tor.lastErr = st.Err
	t.tor.st = st
	t.tor.stMu.Unlock()
	if lostTor {
		// Every connection through the old tor is dead: drop them all, so
		// no request waits on one and browsers reconnect when Tor is back.
		if p := t.currentProxy(); p != nil && p.Route().Name == "tor" {
			p.ResetConnections()
		}
	}
	if restarted {
		t.noticef(status.Warning, "Tor stopped unexpectedly and was restarted. Nothing was sent while it was down.")
	}
	if newErr {
		t.noticef(status.Error, "Tor: %s", st.Err)
	}
	t.hub.poke()
}

func (t *torPart) setTorStatus(st status.Tor) {
	t.tor.stMu.Lock()
	t.tor.st, t.tor.restarts, t.tor.lastErr = st, 0, ""
	t.tor.stMu.Unlock()
	t.hub.poke()
}

func (t *torPart) torStatus() status.Tor {
	t.tor.stMu.Lock()
	defer t.tor.stMu.Unlock()
	st := t.tor.st
	if st.State == "" {
		st.State = status.TorOff
	}
	return st
}

// torDial is the proxy's dialer in Tor mode. It never connects directly:
// without a connected Tor it refuses with a page saying so.
func (t *torPart) torDial(ctx context.Context, network, addr string) (net.Conn, error) {
	c := t.tor.client.Load()
	if c == nil {
		return nil, t.torRefusal()
	}
	conn, err := c.DialContext(ctx, network, addr, proxy.SiteFromContext(ctx))
	if err == nil {
		return conn, nil
	}
	var de *tor.DialError
	switch {
	case errors.Is(err, tor.ErrNotReady):
		return nil, t.torRefusal()
	case errors.As(err, &de):
		host, _, _ := net.SplitHostPort(addr)
		title := "The site cannot be reached through Tor"
		if de.Onion() {
			title = "The onion site cannot be reached"
		}
		return nil, &proxy.Refusal{Code: 502, Title: title,
			Text:       fmt.Sprintf("Tor could not connect to %s: %s.", host, de.Reason),
			NewCircuit: !de.Onion() && t.Settings().Tor.Isolate}
	}
	return nil, err
}

// torDown is the Tor route's health: the fail-closed refusal while Tor is
// not connected, nil while it is.
func (t *torPart) torDown() *proxy.Refusal {
	if c := t.tor.client.Load(); c != nil && c.Alive() {
		return nil
	}
	return t.torRefusal()
}

// torRefusal is the fail-closed page: Tor mode is on, Tor is not connected.
func (t *torPart) torRefusal() *proxy.Refusal {
	st := t.torStatus()
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
func (t *torPart) NewIdentity(ctx context.Context) error {
	c := t.tor.client.Load()
	if c == nil || !t.Settings().Tor.Enabled {
		return errors.New("Tor is off: turn it on first")
	}
	if err := c.NewIdentity(ctx); err != nil {
		if errors.Is(err, tor.ErrNotReady) {
			return errors.New("Tor is not connected yet")
		}
		return err
	}
	if p := t.currentProxy(); p != nil {
		p.ResetConnections()
	}
	return nil
}

// SiteOf returns the site (the first-party site Tor's circuits are
// isolated by) of what a person typed or pasted: a URL, a host name or a
// host:port. It never looks a name up.
func SiteOf(input string) (string, error) {
	in := strings.TrimSpace(input)
	host := in
	if strings.Contains(in, "://") {
		u, err := url.Parse(in)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%q is not a web address", input)
		}
		host = u.Hostname()
	} else {
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" || len(host) > 253 || strings.ContainsAny(host, " @*\\\"<>%") || strings.ContainsFunc(host, func(r rune) bool { return r < ' ' || r > '~' }) {
		return "", fmt.Errorf("%q is not a site: give a web address or a name such as example.com", input)
	}
	return blocklist.Site(host), nil
}

// NewCircuit gives one site (a URL or a host name) new Tor circuits and
// drops the proxy's connections for it; every other site keeps its
// circuits. It returns the site it acted on.
func (t *torPart) NewCircuit(ctx context.Context, site string) (string, error) {
	d, err := SiteOf(site)
	if err != nil {
		return "", err
	}
	c := t.tor.client.Load()
	if c == nil || !t.Settings().Tor.Enabled {
		return "", errors.New("Tor is off: turn it on first")
	}
	if err := c.NewCircuit(d); err != nil {
		switch {
		case errors.Is(err, tor.ErrNotReady):
			return "", errors.New("Tor is not connected yet")
		case errors.Is(err, tor.ErrNoIsolation):
			return "", errors.New("sites share their Tor circuits (turn on \"A separate circuit for each site\"), so one site cannot get new ones alone: use New circuits for every site")
		}
		return "", err
	}
	if p := t.currentProxy(); p != nil {
		p.ResetSite(d)
	}
	t.log.Printf("tor: new circuits for %s", d)
	return d, nil
}

// Circuit returns the Tor circuit that carried site's latest connection.
func (t *torPart) Circuit(ctx context.Context, site string) (status.Circuit, error) {
	c := t.tor.client.Load()
	if c == nil || !t.Settings().Tor.Enabled {
		return status.Circuit{}, errors.New("Tor is off")
	}
	d, err := SiteOf(site)
	if err != nil {
		return status.Circuit{}, err
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
