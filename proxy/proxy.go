// SPDX-License-Identifier: GPL-3.0-or-later

// Package proxy is Polaris's local forward proxy, an adapter over
// github.com/elazarl/goproxy: requests come in, the user's policy is applied
// (privacy signals, and the hooks later features add), and they go out
// through the dialer it is given (direct or Tor). No goproxy type is visible
// outside this package.
package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"

	"polaris/internal/status"
)

// Defaults for the zero values of Config's limits.
const (
	DefaultReadHeaderTimeout   = 15 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultMaxHeaderBytes      = 64 << 10
	DefaultDialTimeout         = 30 * time.Second
	DefaultTLSHandshakeTimeout = 20 * time.Second
)

// DialFunc opens an upstream connection. addr is "host:port" with the host
// name as the client gave it (never resolved by the proxy, so a Tor dialer
// can resolve it remotely). ctx carries the request's first-party site
// (see SiteFromContext). An error of type *Refusal is shown to the user as
// it is (e.g. "Tor is not connected").
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Config is what the proxy needs. The zero value of every field but Listen
// is a sensible default.
type Config struct {
	// Listen is the address to listen on, host:port (port 0 picks one).
	Listen string
	// Auth is "user:password" for HTTP Basic proxy authentication, "" for none.
	Auth string
	// Route is how upstream connections are made at start (direct by
	// default); SetRoute changes it while running.
	Route Route
	// Resolver resolves host names for the default direct dialer; nil uses
	// the system's. Ignored when Route.Dial is set.
	Resolver *net.Resolver
	// RootCAs verifies upstream TLS; nil uses the system roots.
	RootCAs *x509.CertPool
	// Local serves requests addressed to the proxy itself — the reserved
	// host name (settings.ReservedHost) and plain requests to the proxy's
	// own port (e.g. /proxy.pac) — except the status page at "/", which
	// the proxy serves. nil answers them with "not found".
	Local http.Handler
	// ReservedHost is the host name the proxy answers itself.
	ReservedHost string

	// TLSConfigForHost returns the server TLS configuration that presents a
	// certificate for host issued by Polaris's CA (HTTPS filtering, see
	// HTTPSPolicy.Filter). The proxy never changes it. nil: HTTPS is never
	// intercepted.
	TLSConfigForHost func(host string) (*tls.Config, error)
	// CACertPEM returns the CA certificate users install, in PEM form; the
	// status page offers it for download (/ca.pem, /ca.der). nil: not offered.
	CACertPEM func() ([]byte, error)
	// OnCertRejected is called (on its own goroutine) when a client rejected
	// Polaris's certificate during the TLS handshake (see clients.go).
	OnCertRejected func(CertRejection)
	// OnClientsChanged is called (on its own goroutine) when the clients
	// seen changed in a way worth showing (a new one, its trust, whether it
	// is filtered; a client seen again at most every 30 s): Status then
	// lists them.
	OnClientsChanged func()
	// OnTk is called (on the request path: it must not block) with the
	// registrable domain of a site and the Tk response header it sent.
	OnTk func(site, value string)
	// OnOnionLocation is called (on the request path: it must not block)
	// when, on the Tor route, a page of site names the site's onion service
	// in its Onion-Location header (the onion address as given, checked).
	OnOnionLocation func(site, onion string)
	// OnSiteChecked receives (on a checker goroutine) what a first-party
	// site publishes about DNT and GPC (HTTPSPolicy.CheckSites).
	OnSiteChecked func(status.SiteAnswer)

	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	DialTimeout       time.Duration
	// ResponseHeaderTimeout bounds the wait for an upstream's answer; 0
	// (the default) waits as long as the client does, as a direct
	// connection would: long polls and slow streams are the site's
	// business. What bounds Polaris instead: a request ends when its
	// client goes away (its context), dead upstream peers are found by TCP
	// keepalives and HTTP/2 pings, and every wait holds only the client's
	// own connection.
	ResponseHeaderTimeout time.Duration

	// HalfClosedTimeout bounds a tunnel once one side has finished: the
	// other direction is closed when it stays silent this long.
	HalfClosedTimeout time.Duration
	// BodyTimeout is how long Polaris waits for a request body's first
	// bytes; each BodyMinRate bytes received earn a second more (body.go).
	BodyTimeout time.Duration

	// Block configures tracker blocking (see SetMatcher).
	Block BlockConfig

	// Logf receives operational messages; nil discards them.
	Logf func(format string, args ...any)
}

// Proxy is a running (or ready to run) proxy. Its methods are safe for
// concurrent use.
type Proxy struct {
	cfg   Config
	gp    *goproxy.ProxyHttpServer
	srv   *http.Server
	ln    net.Listener
	state atomic.Pointer[state] // what requests read from the settings (state.go)
	// dntSites are the sites known to post the EFF DNT policy (dntpolicy.go).
	dntSites dntPolicySites
	pages    *pages
	blk      blockState
	auth     *authGate // nil: no authentication

	httpsParts            // HTTPS filtering, upgrades, cleaning, site checks (https.go)
	clients    clientBook // the kinds of clients seen, and whether they trust the CA (clients.go)

	onions   onionSites
	requests atomic.Uint64
	reach    reachCounter
	conns    connSet
	running  atomic.Bool
	done     chan struct{}
	serveErr atomic.Pointer[string] // why serving stopped, if not by Shutdown
}

// New builds a proxy from cfg. It does not listen yet: call Start.
func New(cfg Config) (*Proxy, error) {
	if cfg.Listen == "" {
		return nil, errors.New("proxy: no listen address")
	}
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		return nil, fmt.Errorf("proxy: listen address %q: %w", cfg.Listen, err)
	}
	setDefaults(&cfg)
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	p := &Proxy{cfg: cfg, pages: pg, done: make(chan struct{}), auth: newAuthGate(cfg.Auth, cfg.Logf)}
	p.clients.changed = cfg.OnClientsChanged
	if err := p.blk.init(cfg.Block); err != nil {
		return nil, err
	}
	pol := Policy{}
	pol.prepare()
	https, _ := compileHTTPS(HTTPSPolicy{})
	p.state.Store(&state{policy: &pol, https: https, route: p.newRoute(cfg.Route)})
	p.gp = p.newGoproxy()
	p.initHTTPS()
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          log.New(logWriter(cfg.Logf), "proxy: ", 0),
		// No HTTP/2 from clients: browsers speak HTTP/1.1 to a proxy.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ConnState: func(c net.Conn, s http.ConnState) {
			if tc, ok := c.(*trackedConn); ok && s == http.StateHijacked {
				tc.hijacked.Store(true)
			}
		},
	}
	return p, nil
}

func setDefaults(cfg *Config) {
	if cfg.ReadHeaderTimeout == 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.HalfClosedTimeout == 0 {
		cfg.HalfClosedTimeout = DefaultHalfClosedTimeout
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
}

func (p *Proxy) newGoproxy() *goproxy.ProxyHttpServer {
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = log.New(logWriter(p.cfg.Logf), "goproxy: ", 0)
	gp.Verbose = false
	// Requests always go out through the route of the state they took
	// (ctx.RoundTripper); goproxy's own transport must never be used.
	gp.Tr = &http.Transport{
		Proxy: nil,
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("proxy: no route")
		},
	}
	gp.KeepAcceptEncoding = true
	gp.KeepDestinationHeaders = false
	gp.ConnectDial = nil
	gp.ConnectDialWithReq = func(req *http.Request, network, addr string) (net.Conn, error) {
		c, err := p.state.Load().route.dialTunnel(req, network, addr)
		if err != nil {
			return nil, &dialError{err}
		}
		return c, nil
	}
	gp.ConnectionErrHandler = p.writeConnectError
	gp.OnRequest().DoFunc(p.onRequest)
	gp.OnRequest().HandleConnectFunc(p.onConnect)
	gp.OnResponse().DoFunc(p.onResponse)
	return gp
}

// SetPolicy replaces the policy applied to new requests, the rest of the
// state staying as it is (the app changes the whole state with SetState).
// It never blocks and in-flight requests keep the policy they started
// with.
func (p *Proxy) SetPolicy(pol Policy) {
	pol.prepare()
	p.change(func(s *state) { s.policy = &pol })
	p.dropStaleInterceptions()
	p.dropStaleInterceptions()
}

// Start listens and serves in the background. It returns once the listener
// is open (so Addr is valid) or with the listen error.
func (p *Proxy) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", p.cfg.Listen, err)
	}
	p.conns.halfIdle = p.cfg.HalfClosedTimeout
	p.ln = &trackingListener{Listener: ln, set: &p.conns}
	p.running.Store(true)
	p.startHTTPS()
	go func() {
		defer close(p.done)
		err := p.srv.Serve(p.ln)
		if !errors.Is(err, http.ErrServerClosed) {
			msg := err.Error()
			p.serveErr.Store(&msg)
			p.cfg.Logf("proxy stopped: %v", err)
		}
		p.running.Store(false)
	}()
	return nil
}

// Addr returns the address the proxy listens on (valid after Start).
func (p *Proxy) Addr() string {
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

// Shutdown stops accepting connections and lets in-flight requests finish
// until ctx is done, over plain HTTP, intercepted HTTPS and CONNECT tunnels
// alike: idle connections and tunnels are closed at once, busy ones when
// they fall idle. At ctx's deadline every remaining connection is closed and
// Shutdown returns ctx's error.
func (p *Proxy) Shutdown(ctx context.Context) error {
	if p.ln == nil {
		return nil
	}
	// The three run side by side: a slow plain request must not hold the
	// tunnels open (nor the reverse), and intercepted connections stop
	// taking new requests from the start, like plain keep-alive ones.
	served := make(chan struct{})
	drained := make(chan error, 1)
	stopped := make(chan error, 1)
	go func() { drained <- p.conns.drain(ctx, served) }()
	go func() { stopped <- p.stopHTTPS(ctx) }()
	err := p.srv.Shutdown(ctx)
	close(served)
	for _, ch := range []chan error{stopped, drained} {
		if e := <-ch; err == nil {
			err = e
		}
	}
	p.conns.closeAll()
	if err != nil {
		p.srv.Close()
	}
	<-p.done
	p.state.Load().route.close()
	return err
}

// Status returns the proxy's state.
func (p *Proxy) Status() status.Proxy {
	st := status.Proxy{
		Running:  p.running.Load(),
		Requests: p.requests.Load(),
		Active:   p.conns.count(),
		Clients:  p.clients.list(),
		Reach:    p.reach.sum(time.Now()),
	}
	if st.Running {
		st.Listen = p.Addr()
	}
	if msg := p.serveErr.Load(); msg != nil {
		st.Err = *msg
	}
	return st
}

// logWriter adapts a Logf function to an io.Writer for the standard logger.
func logWriter(logf func(string, ...any)) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		if logf != nil {
			logf("%s", trimNewline(b))
		}
		return len(b), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func trimNewline(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return string(b)
}

// connSet tracks the client connections so Shutdown can close the ones the
// HTTP server no longer owns (hijacked tunnels).
type connSet struct {
	halfIdle time.Duration // Config.HalfClosedTimeout
	mu       sync.Mutex
	m        map[*trackedConn]struct{}
	n        atomic.Int64
}

func (s *connSet) add(c *trackedConn) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[*trackedConn]struct{}{}
	}
	s.m[c] = struct{}{}
	s.mu.Unlock()
	s.n.Add(1)
}

func (s *connSet) remove(c *trackedConn) {
	s.mu.Lock()
	_, ok := s.m[c]
	delete(s.m, c)
	s.mu.Unlock()
	if ok {
		s.n.Add(-1)
	}
}

func (s *connSet) count() int64 { return s.n.Load() }

// Shutdown of hijacked connections. The HTTP server knows when a plain
// request is in flight; for a tunnel the proxy sees only bytes, so it
// guesses from them. A tunnel is busy while bytes moved in the last
// tunnelQuiet, or while the client's bytes came last and amount to a request
// waiting for its answer (a slow server may think for seconds before its
// first byte). A client's last burst smaller than requestMinBytes is not
// taken for a request: browsers keep idle tunnels open for minutes, and the
// last thing such a tunnel carried is often a few client bytes — the TLS 1.3
// Finished message (64 or 80 bytes with its ChangeCipherSpec) to a server
// that sends no ticket after it, or HTTP/2 acknowledgements and window
// updates (31 to ~70 bytes) — and those must not hold Polaris's exit. The
// price: a tunnel whose last request is tinier than that and whose server
// is silent for more than tunnelQuiet is cut. An intercepted connection is
// judged by its HTTP server instead (see mitmConnState).
const (
	tunnelQuiet     = 250 * time.Millisecond
	requestMinBytes = 96
	drainPoll       = 50 * time.Millisecond
)

// drain closes the hijacked connections as they fall idle until none is
// left once served is closed (the HTTP server hands over no new ones); at
// ctx's end it closes the rest and returns ctx's error.
func (s *connSet) drain(ctx context.Context, served <-chan struct{}) error {
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for {
		left := s.closeIdle(time.Now())
		select {
		case <-served:
			if left == 0 {
				return nil
			}
		default:
		}
		select {
		case <-ctx.Done():
			s.closeHijacked()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// closeIdle closes the hijacked connections that are idle at now and
// returns how many hijacked ones are still open.
func (s *connSet) closeIdle(now time.Time) int {
	s.mu.Lock()
	var idle []*trackedConn
	left := 0
	for c := range s.m {
		switch {
		case !c.hijacked.Load():
		case c.idle(now):
			idle = append(idle, c)
		default:
			left++
		}
	}
	s.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
	return left
}

// closeHijacked closes the tunnels and WebSockets.
func (s *connSet) closeHijacked() {
	s.mu.Lock()
	var all []*trackedConn
	for c := range s.m {
		if c.hijacked.Load() {
			all = append(all, c)
		}
	}
	s.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	all := make([]*trackedConn, 0, len(s.m))
	for c := range s.m {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}

type trackingListener struct {
	net.Listener
	set *connSet
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, set: l.set}
	l.set.add(tc)
	return tc, nil
}

// trackedConn removes itself from its set when closed. It keeps TCP
// half-close so tunnels can forward a client's shutdown, and notes when
// bytes moved so Shutdown can tell a busy tunnel from an idle one.
type trackedConn struct {
	net.Conn
	set      *connSet
	once     sync.Once
	hijacked atomic.Bool
	lastIO   atomic.Int64           // UnixNano of the last byte read or written
	inBurst  atomic.Int64           // bytes read from the client since the last write to it
	mitm     atomic.Int32           // mitmNone, or the state of an intercepted connection
	mitmHost atomic.Pointer[string] // the host of an intercepted connection
	pageOnly atomic.Bool            // intercepted only to answer with the block page
	stale    atomic.Bool            // intercepted, and the settings no longer would (interception.go)
	half     halfClosed             // armed once the tunnel's other direction ended (tunnel.go)
}

// States of an intercepted connection (trackedConn.mitm).
const (
	mitmNone int32 = iota // not intercepted: judged by its bytes
	mitmBusy              // handshake or a request in progress
	mitmIdle              // between requests
)

func (c *trackedConn) Read(b []byte) (int, error) {
	c.half.beforeRead(c.Conn)
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.inBurst.Add(int64(n))
		c.lastIO.Store(time.Now().UnixNano())
	}
	return n, err
}

func (c *trackedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.inBurst.Store(0)
		c.lastIO.Store(time.Now().UnixNano())
	}
	return n, err
}

// idle reports whether closing c at now interrupts nothing (see drain).
func (c *trackedConn) idle(now time.Time) bool {
	quiet := now.Sub(time.Unix(0, c.lastIO.Load())) >= tunnelQuiet
	switch c.mitm.Load() {
	case mitmBusy:
		return false
	case mitmIdle:
		return quiet
	}
	return quiet && c.inBurst.Load() < requestMinBytes
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.set.remove(c) })
	return c.Conn.Close()
}

// CloseWrite forwards the end of a tunnel's upstream direction; the
// client's direction then gets the half-closed timeout (tunnel.go).
func (c *trackedConn) CloseWrite() error {
	c.half.arm(c.Conn, c.set.halfIdle)
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		return tc.CloseWrite()
	}
	return nil
}

func (c *trackedConn) CloseRead() error {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		return tc.CloseRead()
	}
	return nil
}
