// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// upstream is one pool of upstream connections: a route's, or one
// first-party site's on a route that isolates sites, so that no connection
// ever carries requests of two sites. HTTPS goes out over HTTP/2 when the
// server chooses it by ALPN — one connection per host carries every
// request, as a browser's would — and over HTTP/1.1 otherwise; plain HTTP
// and WebSocket handshakes over HTTP/1.1. TLS repeats the browser's own
// ClientHello when the request came through an intercepted tunnel
// (mirror.go).
type upstream struct {
	rt  *route
	tls *upstreamTLS
	h1  *http.Transport
	h2  *http2.Transport

	mu     sync.Mutex
	conns  map[string][]*http2.ClientConn // HTTP/2 connections by host:port
	dials  map[string]*h2Dial             // HTTP/2 dials in progress by host:port
	h1only map[string]bool                // host:port whose server chose HTTP/1.1
	spare  map[string]net.Conn            // an HTTP/1.1 connection dialled for HTTP/2, for the next HTTP/1.1 dial
	closed bool
}

// h2Dial is a dial in progress for HTTP/2; done is closed when it ends.
type h2Dial struct {
	done chan struct{}
	err  error
}

// Limits of an upstream pool's bookkeeping.
const (
	maxH1OnlyHosts = 4096
	spareFor       = 30 * time.Second
)

var (
	// errUseHTTP1 is what the HTTP/2 pool returns when the server chose
	// HTTP/1.1: the request goes out over the HTTP/1.1 pool.
	errUseHTTP1 = errors.New("proxy: the server speaks HTTP/1.1")
	// errUseHTTP2 is what an HTTP/1.1 dial returns when the server chose
	// HTTP/2 (its connection goes to the HTTP/2 pool): the request, not
	// sent yet, goes out over HTTP/2.
	errUseHTTP2 = errors.New("proxy: the server speaks HTTP/2")
)

func (rt *route) newUpstream() *upstream {
	p := rt.p
	u := &upstream{
		rt: rt, tls: newUpstreamTLS(p),
		conns: map[string][]*http2.ClientConn{}, dials: map[string]*h2Dial{},
		h1only: map[string]bool{}, spare: map[string]net.Conn{},
	}
	u.h1 = &http.Transport{
		Proxy: nil, // never another proxy from the environment
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return rt.dial(ctx, network, addr)
		},
		DialTLSContext:         u.dialH1,
		TLSHandshakeTimeout:    DefaultTLSHandshakeTimeout,
		ResponseHeaderTimeout:  p.cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           512,
		MaxIdleConnsPerHost:    128,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
		// Pass the client's Accept-Encoding through; never add our own.
		DisableCompression: true,
	}
	u.h2 = &http2.Transport{
		ConnPool:           (*h2Pool)(u),
		DisableCompression: true,
		MaxHeaderListSize:  1 << 20,
		IdleConnTimeout:    90 * time.Second,
		// A connection that went silent (a NAT dropped it, Tor's circuit
		// died) is found out before a request waits on it for long.
		ReadIdleTimeout:  30 * time.Second,
		PingTimeout:      15 * time.Second,
		WriteByteTimeout: 30 * time.Second,
	}
	return u
}

// RoundTrip sends req over HTTP/2 or HTTP/1.1 (see upstream).
func (u *upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" || isUpgrade(req) || !offersH2(req.Context(), u.rt.p.cfg.Logf) {
		return u.roundTripH1(req)
	}
	resp, err := u.h2.RoundTrip(req)
	if errors.Is(err, errUseHTTP1) {
		return u.roundTripH1(req)
	}
	return resp, err
}

func (u *upstream) roundTripH1(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" && isUpgrade(req) {
		req = req.WithContext(context.WithValue(req.Context(), h1OnlyKey{}, true))
	}
	resp, err := u.h1.RoundTrip(req)
	if errors.Is(err, errUseHTTP2) {
		return u.h2.RoundTrip(req)
	}
	return resp, err
}

// isUpgrade reports whether req asks to switch protocols (a WebSocket
// handshake): HTTP/1.1 only.
func isUpgrade(req *http.Request) bool { return req.Header.Get("Upgrade") != "" }

// offersH2 reports whether the upstream hello of a request offers h2: the
// browser's, when the request came through an intercepted tunnel (a
// browser that offered only http/1.1 is mirrored with it), Go's otherwise.
func offersH2(ctx context.Context, logf func(string, ...any)) bool {
	mc, _ := ctx.Value(mitmConnKey{}).(*mitmConn)
	if mc == nil {
		return true
	}
	mc.clientHello(logf)
	return mc.helloH2
}

// h1OnlyKey marks the context of a request that must go out over HTTP/1.1.
type h1OnlyKey struct{}

// dialTLS opens a TLS connection to addr for the request whose context is
// ctx (its site, and its tunnel's ClientHello), and returns the protocol the
// server chose.
func (u *upstream) dialTLS(ctx context.Context, addr string, h1 bool) (net.Conn, string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, u.rt.p.cfg.DialTimeout+DefaultTLSHandshakeTimeout)
	defer cancel()
	redial := func() (net.Conn, error) { return u.rt.dial(ctx, "tcp", addr) }
	raw, err := redial()
	if err != nil {
		return nil, "", err
	}
	var hello *clientHello
	if mc, _ := ctx.Value(mitmConnKey{}).(*mitmConn); mc != nil {
		hello = mc.clientHello(u.rt.p.cfg.Logf)
	}
	ech := u.rt.echConfigs(ctx, host)
	c, proto, err := u.tls.handshake(ctx, raw, host, hello, h1, ech, redial)
	if retry, rejected := echRejected(err); rejected && ech != nil {
		// The server turned the configuration down (its keys changed
		// since the DNS answer): once more with the configurations it
		// sent back, or, when it sent none (ECH switched off, a signal
		// authenticated by its certificate for the public name), without
		// ECH, as a browser does (RFC 9849 §6.1.6).
		if retry == nil {
			u.rt.p.cfg.Logf("HTTPS filtering: %s turned Encrypted Client Hello off; connecting without it", host)
		}
		if raw, err = redial(); err != nil {
			return nil, "", err
		}
		c, proto, err = u.tls.handshake(ctx, raw, host, hello, h1, retry, redial)
	}
	return c, proto, err
}

// dialH1 is the HTTP/1.1 pool's TLS dialer.
func (u *upstream) dialH1(ctx context.Context, network, addr string) (net.Conn, error) {
	u.mu.Lock()
	if c := u.spare[addr]; c != nil {
		delete(u.spare, addr)
		u.mu.Unlock()
		return c, nil
	}
	u.mu.Unlock()
	h1, _ := ctx.Value(h1OnlyKey{}).(bool)
	c, proto, err := u.dialTLS(ctx, addr, h1)
	if err != nil {
		return nil, err
	}
	if proto == "h2" {
		// The server now speaks HTTP/2: the connection goes to that pool.
		if err := u.addH2(addr, c); err != nil {
			return nil, err
		}
		return nil, errUseHTTP2
	}
	return c, nil
}

// addH2 makes c, on which the server chose h2, a connection of the HTTP/2
// pool for addr.
func (u *upstream) addH2(addr string, c net.Conn) error {
	cc, err := u.h2.NewClientConn(c)
	if err != nil {
		c.Close()
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		cc.Close()
		return net.ErrClosed
	}
	delete(u.h1only, addr)
	u.conns[addr] = append(u.conns[addr], cc)
	return nil
}

// addH1 remembers that addr speaks HTTP/1.1 and keeps c for the HTTP/1.1
// pool's next dial (for a while).
func (u *upstream) addH1(addr string, c net.Conn) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		c.Close()
		return
	}
	if len(u.h1only) >= maxH1OnlyHosts {
		clear(u.h1only)
	}
	u.h1only[addr] = true
	if old := u.spare[addr]; old != nil {
		old.Close()
	}
	u.spare[addr] = c
	time.AfterFunc(spareFor, func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.spare[addr] == c {
			delete(u.spare, addr)
			c.Close()
		}
	})
}

// close drops the pool's idle connections (all of them when final: the
// pool is being replaced).
func (u *upstream) close(final bool) {
	u.h1.CloseIdleConnections()
	u.mu.Lock()
	var conns []*http2.ClientConn
	for addr, list := range u.conns {
		for _, cc := range list {
			if final || cc.State().StreamsActive == 0 {
				conns = append(conns, cc)
			}
		}
		if final {
			delete(u.conns, addr)
		}
	}
	for addr, c := range u.spare {
		c.Close()
		delete(u.spare, addr)
	}
	u.closed = u.closed || final
	u.mu.Unlock()
	for _, cc := range conns {
		if final {
			// Requests in flight finish; nothing new is sent on it.
			go cc.Shutdown(context.Background())
		} else {
			cc.Close()
		}
	}
}

// h2Pool is the HTTP/2 connection pool of an upstream
// (http2.ClientConnPool).
type h2Pool upstream

// GetClientConn returns a connection to addr that takes one more request,
// dialling one when none does; errUseHTTP1 when the server chose HTTP/1.1.
func (pl *h2Pool) GetClientConn(req *http.Request, addr string) (*http2.ClientConn, error) {
	u := (*upstream)(pl)
	for {
		u.mu.Lock()
		if u.closed {
			u.mu.Unlock()
			return nil, net.ErrClosed
		}
		for _, cc := range u.conns[addr] {
			if cc.ReserveNewRequest() {
				u.mu.Unlock()
				return cc, nil
			}
		}
		if u.h1only[addr] {
			u.mu.Unlock()
			return nil, errUseHTTP1
		}
		d := u.dials[addr]
		if d == nil {
			d = &h2Dial{done: make(chan struct{})}
			u.dials[addr] = d
			go u.dialH2(req.Context(), addr, d)
		}
		u.mu.Unlock()
		select {
		case <-d.done:
			if d.err != nil {
				return nil, d.err
			}
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
}

// dialH2 dials addr for the HTTP/2 pool on behalf of the request whose
// context is ctx; the dial goes on if that request gives up (others may
// wait on it).
func (u *upstream) dialH2(ctx context.Context, addr string, d *h2Dial) {
	defer func() {
		u.mu.Lock()
		delete(u.dials, addr)
		u.mu.Unlock()
		close(d.done)
	}()
	c, proto, err := u.dialTLS(context.WithoutCancel(ctx), addr, false)
	switch {
	case err != nil:
		d.err = err
	case proto == "h2":
		d.err = u.addH2(addr, c)
	default:
		u.addH1(addr, c)
	}
}

// MarkDead drops a connection that closed.
func (pl *h2Pool) MarkDead(cc *http2.ClientConn) {
	u := (*upstream)(pl)
	u.mu.Lock()
	defer u.mu.Unlock()
	for addr, list := range u.conns {
		for i, c := range list {
			if c == cc {
				list = append(list[:i], list[i+1:]...)
				if len(list) == 0 {
					delete(u.conns, addr)
				} else {
					u.conns[addr] = list
				}
				return
			}
		}
	}
}
