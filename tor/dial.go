// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cretz/bine/control"

	"polaris/internal/status"
)

// DialContext connects to addr ("host:port") through Tor. The host name is
// sent to Tor as a name and resolved by the exit (".onion" names work);
// nothing is resolved locally. With Config.Isolate, isolation (the
// first-party site the connection is for) selects the circuit: different
// keys never share a circuit, the same key reuses one (as Tor Browser
// does); "" shares one circuit among all connections without a site.
//
// While Tor is not ready it fails at once with an error wrapping
// ErrNotReady and sends nothing: it never connects directly. A destination
// Tor cannot reach gives a *DialError. Only TCP networks are possible.
func (c *Client) DialContext(ctx context.Context, network, addr, isolation string) (net.Conn, error) {
	in := c.ready.Load()
	if in == nil {
		return nil, c.notReady()
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("connecting to %s through Tor: network %q is not possible, only TCP", addr, network)
	}
	user, pass := c.credentials(isolation)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", in.socks)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Tor's SOCKS port is gone: tor died an instant ago.
		return nil, fmt.Errorf("%w: Tor's SOCKS port does not answer (%v)", ErrNotReady, err)
	}
	if err := socksConnect(ctx, conn, addr, user, pass); err != nil {
		conn.Close()
		var de *DialError
		if errors.As(err, &de) || ctx.Err() != nil {
			return nil, err
		}
		if c.ready.Load() != in {
			return nil, fmt.Errorf("%w: Tor stopped while connecting to %s", ErrNotReady, addr)
		}
		return nil, fmt.Errorf("connecting to %s through Tor: %w", addr, err)
	}
	return conn, nil
}

// Alive reports whether Tor is connected and its SOCKS port answers right
// now. It is a live check (a local TCP connect) for error paths: after a
// connection through Tor failed, it tells a dead tor (whose death the
// watchdog may not have seen yet) from a failing site.
func (c *Client) Alive() bool {
	in := c.ready.Load()
	if in == nil {
		return false
	}
	conn, err := net.DialTimeout("tcp", in.socks, 250*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// notReady returns ErrNotReady wrapped with the current state in words.
func (c *Client) notReady() error {
	st := c.Status()
	var why string
	switch {
	case st.State == status.TorBootstrapping:
		why = fmt.Sprintf("still connecting (%d%%)", st.Progress)
	case st.State == status.TorStarting:
		why = "starting"
	case st.State == status.TorFailed:
		why = "failed"
	case st.State == status.TorReady:
		why = "restarting"
	default:
		why = "off"
	}
	if st.Err != "" {
		why += ": " + st.Err
	}
	return fmt.Errorf("%w (%s)", ErrNotReady, why)
}

// credentials returns the SOCKS username and password for an isolation
// key: none without isolation, so that such streams share circuits. The
// username is the key (Tor's events name the site); the password carries
// the key's NewCircuit count, so that Tor (IsolateSOCKSAuth isolates on
// both) puts the key's streams on new circuits after each NewCircuit.
func (c *Client) credentials(isolation string) (user, pass string) {
	if !c.cfg.Isolate || isolation == "" {
		return "", ""
	}
	c.mu.Lock()
	n := c.nonces[isolation]
	c.mu.Unlock()
	if n == 0 {
		return isolationUser(isolation), "polaris"
	}
	return isolationUser(isolation), "polaris-" + strconv.FormatUint(n, 10)
}

// ErrNoIsolation is returned by NewCircuit when Config.Isolate is off: all
// sites share circuits, so one site cannot get new ones alone.
var ErrNoIsolation = errors.New("sites do not have circuits of their own (isolation is off)")

// NewCircuit gives one isolation key (a site, as passed to DialContext)
// new circuits: connections opened for it afterwards never share a circuit
// with its earlier ones, while every other key keeps its circuits. It
// needs no control-port command, so unlike NewIdentity it is not rate
// limited. Connections already open keep their circuit: callers should
// drop the site's idle keep-alive connections too. It fails with
// ErrNoIsolation without Config.Isolate and with ErrNotReady while Tor is
// not connected.
func (c *Client) NewCircuit(isolation string) error {
	if !c.cfg.Isolate || isolation == "" {
		return ErrNoIsolation
	}
	in := c.ready.Load()
	if in == nil {
		return c.notReady()
	}
	c.mu.Lock()
	if c.nonces == nil {
		c.nonces = map[string]uint64{}
	}
	c.nonces[isolation]++
	c.mu.Unlock()
	user := isolationUser(isolation)
	in.mu.Lock()
	delete(in.circuits, user)
	in.mu.Unlock()
	return nil
}

// isolationUser maps an isolation key to a SOCKS username: the key itself
// when it is short printable ASCII (a site name), else a hash of it.
func isolationUser(key string) string {
	if len(key) <= 200 && !strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' || r == '\\' }) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// NewIdentity asks Tor for a new identity (SIGNAL NEWNYM): connections
// opened afterwards use new circuits. Connections already open keep theirs,
// so callers should also drop their idle keep-alive connections. Tor allows
// this once every 10 seconds; sooner it returns a *RateLimitError
// (errors.Is ErrRateLimited) saying how long to wait.
func (c *Client) NewIdentity(ctx context.Context) error {
	in := c.ready.Load()
	if in == nil {
		return c.notReady()
	}
	now := time.Now()
	c.mu.Lock()
	if wait := newnymInterval - now.Sub(c.lastNym); !c.lastNym.IsZero() && wait > 0 {
		c.mu.Unlock()
		return &RateLimitError{Wait: wait}
	}
	prev := c.lastNym
	c.lastNym = now // reserve: a concurrent call is rate-limited
	c.mu.Unlock()

	applied := make(chan struct{})
	in.mu.Lock()
	in.nymWait = append(in.nymWait, applied)
	in.mu.Unlock()
	if err := in.do(ctx, func(ctl *control.Conn) error { return ctl.Signal("NEWNYM") }); err != nil {
		c.mu.Lock()
		c.lastNym = prev
		c.mu.Unlock()
		return fmt.Errorf("asking Tor for a new identity: %w", err)
	}
	// Tor announces an applied NEWNYM with a SIGNAL event; a rate-limited
	// one is only queued, silently.
	select {
	case <-applied:
		in.mu.Lock()
		clear(in.circuits)
		in.mu.Unlock()
		c.mu.Lock()
		clear(c.nonces)
		c.mu.Unlock()
		return nil
	case <-time.After(2 * time.Second):
		return &RateLimitError{Wait: newnymInterval - time.Since(now)}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Circuit describes the circuit that carried the latest connection for
// isolation (the site as passed to DialContext): its relays with
// nicknames, fingerprints, addresses and, when Tor has its GeoIP database,
// countries. It returns ErrNoCircuit before the site's first connection
// (and after NewIdentity, until the next one).
func (c *Client) Circuit(ctx context.Context, isolation string) (status.Circuit, error) {
	in := c.ready.Load()
	if in == nil {
		return status.Circuit{}, c.notReady()
	}
	user, _ := c.credentials(isolation)
	in.mu.Lock()
	id, ok := in.circuits[user]
	in.mu.Unlock()
	if !ok {
		return status.Circuit{}, ErrNoCircuit
	}
	doc, err := in.getInfo(ctx, "circuit-status")
	if err != nil {
		return status.Circuit{}, fmt.Errorf("reading Tor's circuits: %w", err)
	}
	var circ circuitLine
	for _, line := range strings.Split(doc, "\n") {
		if cl, ok := parseCircuit(strings.TrimSpace(line)); ok && cl.ID == id {
			circ = cl
			break
		}
	}
	if circ.ID == "" {
		return status.Circuit{}, ErrNoCircuit
	}
	geo := in.geoip(ctx)
	out := status.Circuit{ID: circ.ID, Site: isolation, Built: circ.Created}
	for _, h := range circ.Path {
		r := status.Relay{Fingerprint: h.Fingerprint, Nickname: h.Nickname}
		if h.Fingerprint != "" {
			if ns, err := in.getInfo(ctx, "ns/id/"+h.Fingerprint); err == nil {
				r.Address = parseNS(ns)
			}
		}
		if geo && r.Address != "" {
			if cc, err := in.getInfo(ctx, "ip-to-country/"+r.Address); err == nil && cc != "??" {
				r.Country = cc
			}
		}
		out.Hops = append(out.Hops, r)
	}
	return out, ctx.Err()
}
