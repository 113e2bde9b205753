// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
)

// HTTPS filtering. A CONNECT to a host that may be intercepted is hijacked:
// the proxy answers "200", completes the TLS handshake with the client
// itself (a certificate from Config.TLSConfigForHost), and hands the
// decrypted connection to a second HTTP server (mitmState.srv). That server
// turns each request into an absolute https:// request and sends it through
// the same goproxy pipeline as plain HTTP: signals, cleaning, blocking hooks,
// the current route, and an error page when the upstream fails — including
// an upstream certificate that does not verify, where goproxy's own MITM loop
// would just drop the connection. Upstream TLS is always verified (system
// roots plus the extra CA of SetUpstreamRoots); there is no way to skip it.

// httpsParts is the HTTPS side of a Proxy.
type httpsParts struct {
	roots    atomic.Pointer[x509.CertPool]
	mitm     mitmState
	first    firstState
	checker  siteChecker
	ampGuard ampLoopGuard
}

// mitmState is the server for decrypted connections.
type mitmState struct {
	srv *http.Server
	ln  *connListener
	wg  sync.WaitGroup
}

// DefaultHandshakeTimeout bounds the client-side TLS handshake of an
// intercepted tunnel.
const DefaultHandshakeTimeout = 15 * time.Second

func (p *Proxy) initHTTPS() {
	p.mitm.ln = newConnListener()
	p.mitm.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveMITM),
		ReadHeaderTimeout: p.cfg.ReadHeaderTimeout,
		IdleTimeout:       p.cfg.IdleTimeout,
		MaxHeaderBytes:    p.cfg.MaxHeaderBytes,
		ErrorLog:          log.New(logWriter(p.cfg.Logf), "proxy (https): ", 0),
		ConnState:         p.mitmConnState,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if mc := mitmConnOf(c); mc != nil {
				return context.WithValue(ctx, mitmConnKey{}, mc)
			}
			return ctx
		},
		// HTTP/2 when the client chose it by ALPN (the certificate source
		// offers h2 and http/1.1), HTTP/1.1 otherwise; see serverHTTP2.
		Protocols: serverProtocols(),
		HTTP2:     serverHTTP2(),
	}
	p.first.init()
	p.checker.init(p)
}

// HTTP/2 limits of the interception server. Browsers open one HTTP/2
// connection per site and multiplex every request of a page over it; the
// flow-control windows (net/http's defaults, 1 MiB per connection and per
// stream) bound what one connection can make Polaris buffer.
const (
	serverMaxStreams       = 256
	serverWriteByteTimeout = 30 * time.Second
)

// serverProtocols are what the interception server speaks: HTTP/1.1, and
// HTTP/2 to clients that choose it by ALPN.
func serverProtocols() *http.Protocols {
	var pr http.Protocols
	pr.SetHTTP1(true)
	pr.SetHTTP2(true)
	return &pr
}

// serverHTTP2 configures HTTP/2 on the interception server. Its headers
// are bounded like HTTP/1.1's (Server.MaxHeaderBytes), its idle
// connections closed like HTTP/1.1's (Server.IdleTimeout), and Shutdown
// sends GOAWAY, lets the open streams finish and closes the connection.
func serverHTTP2() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams: serverMaxStreams,
		WriteByteTimeout:     serverWriteByteTimeout,
	}
}

// startHTTPS starts the server for decrypted connections.
func (p *Proxy) startHTTPS() {
	p.mitm.wg.Add(1)
	go func() {
		defer p.mitm.wg.Done()
		if err := p.mitm.srv.Serve(p.mitm.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.cfg.Logf("HTTPS filtering stopped: %v", err)
		}
	}()
}

// stopHTTPS lets intercepted requests in flight finish until ctx is done,
// and stops the site checks.
func (p *Proxy) stopHTTPS(ctx context.Context) error {
	p.checker.stop()
	err := p.mitm.srv.Shutdown(ctx)
	p.mitm.ln.Close()
	p.mitm.wg.Wait()
	return err
}

// SetUpstreamRoots sets the certificates upstream servers are verified
// against (the system roots plus the user's extra CA); nil goes back to
// Config.RootCAs. Like SetRoute, it drops upstream connections made with the
// old roots and cuts open tunnels.
func (p *Proxy) SetUpstreamRoots(pool *x509.CertPool) {
	p.roots.Store(pool)
	p.ResetConnections()
}

// upstreamRoots is the pool upstream TLS is verified against (nil: system).
func (p *Proxy) upstreamRoots() *x509.CertPool {
	if r := p.roots.Load(); r != nil {
		return r
	}
	return p.cfg.RootCAs
}

// interceptAction decides whether the CONNECT to hostport is intercepted and
// returns the action doing it, or nil to tunnel untouched. id is the
// client's kind by the CONNECT's User-Agent (known false: it sent none,
// and its TLS hello decides, see intercept). Polaris's own name is always
// intercepted when a certificate can be had: nothing else answers it.
func (p *Proxy) interceptAction(st *state, req *http.Request, hostport string, id clientID, known bool) *goproxy.ConnectAction {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil
	}
	host = normHost(host)
	if !p.ownName(host) && (!p.intercepts(st, host) || (known && !p.clientIntercepts(st, id, host))) {
		return nil
	}
	cfg, err := p.cfg.TLSConfigForHost(host)
	if err != nil || cfg == nil {
		// No certificate for this name (e.g. the CA expired): a tunnel
		// keeps the site working, untouched.
		p.cfg.Logf("HTTPS filtering: no certificate for %s, tunnelling it untouched: %v", host, err)
		return nil
	}
	return p.hijackWith(hostport, host, id, known, false, cfg)
}

// hijackWith is the action intercepting a tunnel to host with cfg;
// pageOnly: the tunnel is intercepted only to answer with the block page.
func (p *Proxy) hijackWith(hostport, host string, id clientID, known, pageOnly bool, cfg *tls.Config) *goproxy.ConnectAction {
	return &goproxy.ConnectAction{
		Action: goproxy.ConnectHijack,
		Hijack: func(req *http.Request, client net.Conn, _ *goproxy.ProxyCtx) {
			p.intercept(req, client, tunnel{hostport: hostport, host: host, id: id, known: known, pageOnly: pageOnly}, cfg)
		},
	}
}

// tunnel is what intercept knows of a CONNECT it intercepts.
type tunnel struct {
	hostport, host string
	id             clientID
	known          bool // id came from the User-Agent
	pageOnly       bool // intercepted only to answer with the block page
}

// blockPageAllowed reports whether a tunnel of client id to host, if its
// host is blocked, may be intercepted to answer with Polaris's block page
// (a browser shows its own error for a refused CONNECT); the certificate
// is asked for only once the host is found blocked. Filtering may be off:
// only the block page is answered, nothing goes to the site. Not for a
// client known not to trust the CA, nor one pinning host, nor a client
// without User-Agent.
func (p *Proxy) blockPageAllowed(st *state, host string, id clientID, known bool) bool {
	host = normHost(host)
	return p.cfg.TLSConfigForHost != nil && known && st.policy.Protection && host != "" && !isOnion(host) &&
		p.clientIntercepts(st, id, host)
}

// intercept runs on the hijacked CONNECT connection: it answers 200, does
// the client-side TLS handshake and hands the connection to the MITM server.
func (p *Proxy) intercept(req *http.Request, client net.Conn, tn tunnel, cfg *tls.Config) {
	hostport, host := tn.hostport, tn.host
	major, minor := req.ProtoMajor, req.ProtoMinor
	if major == 0 {
		major, minor = 1, 1
	}
	if _, err := fmt.Fprintf(client, "HTTP/%d.%d 200 Connection established\r\n\r\n", major, minor); err != nil {
		client.Close()
		return
	}
	// TLS starts with a handshake record (0x16). Anything else (a ws://
	// connection tunnelled to port 80, another protocol) is passed on as it
	// is; a server-speaks-first protocol sends nothing, so give up waiting
	// soon on ports that are not 443.
	wait := DefaultHandshakeTimeout
	if _, port, _ := net.SplitHostPort(hostport); port != "443" {
		wait = 3 * time.Second
	}
	client.SetDeadline(time.Now().Add(wait))
	// The smallest buffer: TLS reads whole records past it, straight from
	// the connection, once the peeked bytes are consumed.
	size := 16
	if !tn.known {
		size = maxHelloBytes // the ClientHello tells who the client is
	}
	br := bufio.NewReaderSize(client, size)
	first, err := br.Peek(1)
	buffered := &bufferedConn{Conn: client, r: br}
	if err != nil || first[0] != 0x16 {
		var ne net.Error
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			client.SetDeadline(time.Time{})
			p.splice(req, buffered, hostport)
			return
		}
		client.Close()
		return
	}
	if !tn.known {
		tn.id = clientOfHello(peekHello(br))
		own := p.cfg.ReservedHost != "" && host == p.cfg.ReservedHost
		if !own && !p.clientIntercepts(p.state.Load(), tn.id, host) {
			client.SetDeadline(time.Time{})
			p.clients.seen(tn.id, true, false, time.Now())
			p.splice(req, buffered, hostport)
			return
		}
	}
	// From here until the HTTP server has read the first request, Shutdown
	// leaves the connection alone (see mitmConnState).
	tracked, _ := client.(*trackedConn)
	if tracked != nil {
		tracked.mitm.Store(mitmBusy)
		tracked.pageOnly.Store(tn.pageOnly)
		tracked.mitmHost.Store(&host)
	}
	client.SetDeadline(time.Now().Add(DefaultHandshakeTimeout))
	mc := &mitmConn{
		alertSniffer: alertSniffer{Conn: buffered},
		host:         host, authority: authority(host, hostport), remote: req.RemoteAddr, client: tracked,
		id: tn.id, pageOnly: tn.pageOnly,
	}
	tc := tls.Server(mc, cfg)
	if err := tc.Handshake(); err != nil {
		client.Close()
		p.handshakeFailed(mc, err)
		return
	}
	mc.done = true
	// Whether the client accepted the certificate shows with its first
	// request: some clients (Firefox) finish the handshake and refuse the
	// certificate afterwards (mitmConnState).
	p.clients.seen(tn.id, true, !tn.pageOnly, time.Now())
	client.SetDeadline(time.Time{})
	// The server gets the *tls.Conn itself: that is how net/http knows
	// the protocol the client chose by ALPN, and serves HTTP/2.
	if !p.mitm.ln.deliver(tc) {
		tc.Close()
	}
}

// authority is the URL host of a tunnel: the name, with the port unless it
// is 443, IPv6 addresses in brackets.
func authority(host, hostport string) string {
	_, port, _ := net.SplitHostPort(hostport)
	if port == "443" || port == "" {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}

// splice connects a tunnel that does not carry TLS to its upstream as it
// is, unless its host is blocked.
func (p *Proxy) splice(req *http.Request, client net.Conn, hostport string) {
	defer client.Close()
	// What the tunnel carries cannot be read request by request (ws://,
	// another protocol): it is decided on its host, as a tunnel that is
	// not intercepted. A blocked host gets nothing; the client sees the
	// connection close.
	st := p.state.Load()
	if p.blockConnect(&goproxy.ProxyCtx{Req: req}, st, hostport) != nil {
		return
	}
	up, err := st.route.dialTunnel(req, "tcp", hostport)
	if err != nil {
		p.cfg.Logf("CONNECT %s: %v", hostport, err)
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, client); closeWrite(up); done <- struct{}{} }()
	go func() { io.Copy(client, up); closeWrite(client); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	type cw interface{ CloseWrite() error }
	if w, ok := c.(cw); ok {
		w.CloseWrite()
		return
	}
	if b, ok := c.(*bufferedConn); ok {
		closeWrite(b.Conn)
	}
}

// mitmConn is the client's side of an intercepted tunnel, under its TLS
// connection: it watches the handshake (alertSniffer) and tells the request
// handlers which tunnel a request came through.
type mitmConn struct {
	alertSniffer              // the client's bytes, watched during the handshake
	host         string       // the tunnel's host, lower case, no brackets
	authority    string       // host[:port] for URLs
	remote       string       // the client's address
	client       *trackedConn // the client's connection, nil if not tracked
	id           clientID     // the kind of client
	pageOnly     bool         // intercepted only to answer with the block page
	served       atomic.Bool  // a request came: the client accepted the certificate

	helloOnce sync.Once
	hello     *clientHello // the client's ClientHello, once parsed (nil: it did not parse)
	helloH2   bool         // hello offers h2 by ALPN (or did not parse)
}

// clientHello returns the ClientHello the client sent on this tunnel,
// parsed the first time it is needed (an upstream dial); nil, logged once,
// when it does not parse.
func (mc *mitmConn) clientHello(logf func(string, ...any)) *clientHello {
	mc.helloOnce.Do(func() {
		h, err := parseClientHello(mc.first)
		mc.first = nil
		mc.helloH2 = h == nil || slices.Contains(h.alpn(), "h2")
		if err != nil {
			logf("HTTPS filtering: %s: the browser's TLS hello cannot be repeated upstream, Go's TLS is used: %v", mc.host, err)
			return
		}
		mc.hello = h
	})
	return mc.hello
}

// refusedLate looks at an intercepted connection that closed before its
// first request: a client that checks the certificate after finishing the
// handshake (Firefox's NSS does, in TLS 1.3) sends its refusal as the
// first record after it, which the server's read met. crypto/tls keeps a
// read error, so one more read returns it at once (the connection is
// closed: nothing waits).
func (p *Proxy) refusedLate(tc *tls.Conn, mc *mitmConn) {
	var b [1]byte
	if _, err := tc.Read(b[:]); isCertRejection(err) {
		p.handshakeFailed(mc, err)
	}
}

// peekHello parses the ClientHello at the start of br (its first record),
// without consuming it; nil when it does not parse.
func peekHello(br *bufio.Reader) *clientHello {
	hdr, err := br.Peek(5)
	if err != nil {
		return nil
	}
	n := int(hdr[3])<<8 | int(hdr[4])
	rec, err := br.Peek(min(5+n, br.Size()))
	if err != nil {
		return nil
	}
	h, err := parseClientHello(rec)
	if err != nil {
		return nil
	}
	return h
}

// mitmConnOf returns the tunnel under c, the TLS connection the interception
// server was given, or nil.
func mitmConnOf(c net.Conn) *mitmConn {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return nil
	}
	mc, _ := tc.NetConn().(*mitmConn)
	return mc
}

// mitmConnState tells Shutdown whether an intercepted connection is in the
// middle of a request: it is closed between requests, like a plain
// keep-alive connection, and never in the middle of one. For HTTP/2 the
// server reports StateActive while any stream is open and StateIdle when
// none is. A connection that closes before its first request is looked at
// for a refusal of the certificate after the handshake (refusedLate).
func (p *Proxy) mitmConnState(c net.Conn, s http.ConnState) {
	mc := mitmConnOf(c)
	if mc == nil {
		return
	}
	if s == http.StateClosed && !mc.served.Load() {
		p.refusedLate(c.(*tls.Conn), mc)
	}
	if mc.client == nil {
		return
	}
	switch s {
	case http.StateActive:
		mc.client.mitm.Store(mitmBusy)
	case http.StateNew, http.StateIdle:
		mc.client.mitm.Store(mitmIdle)
		// The settings no longer intercept its host: an HTTP/1.1
		// connection closes between requests. An HTTP/2 one is left to
		// its next request, which asks the browser to leave it (GOAWAY,
		// see staleRequest), or to its idle timeout: the server reports
		// it idle before it has flushed the last answer, which a close
		// here would lose (and a browser resend: a POST twice).
		if mc.client.stale.Load() && c.(*tls.Conn).ConnectionState().NegotiatedProtocol != "h2" {
			mc.client.Close()
		}
	case http.StateHijacked:
		// A WebSocket: from now on only its bytes tell.
		mc.client.mitm.Store(mitmNone)
	}
}

type mitmConnKey struct{}

// serveMITM handles one request read from an intercepted tunnel.
func (p *Proxy) serveMITM(w http.ResponseWriter, r *http.Request) {
	mc, _ := r.Context().Value(mitmConnKey{}).(*mitmConn)
	if mc == nil {
		http.Error(w, "no tunnel", http.StatusInternalServerError)
		return
	}
	p.requests.Add(1)
	r.RemoteAddr = mc.remote
	r = r.WithContext(withClient(r.Context(), mc.remote))
	emptyBody(r)
	if b := p.boundBody(w, r); b != nil {
		defer b.finish()
	}
	if r.Method == http.MethodConnect {
		p.writePage(w, r, http.StatusMethodNotAllowed, pageData{
			Title: "Bad request", Text: "A CONNECT request cannot be sent inside an HTTPS connection.", Host: mc.host,
		})
		return
	}
	// The tunnel was opened, and its certificate issued, for one host: a
	// request for another one is misdirected (RFC 9110 §15.5.20).
	if h := r.Host; h != "" {
		if hn, _, err := net.SplitHostPort(h); err == nil {
			h = hn
		}
		if normHost(h) != mc.host {
			p.writePage(w, r, http.StatusMisdirectedRequest, pageData{
				Title: "Misdirected request",
				Text:  fmt.Sprintf("This HTTPS connection is for %s; a request for %s cannot be sent through it.", mc.host, h),
				Host:  mc.host,
			})
			return
		}
	}
	if !mc.served.Load() && mc.served.CompareAndSwap(false, true) {
		p.clients.accepted(mc.id, time.Now())
	}
	r.URL.Scheme = "https"
	r.URL.Host = mc.authority
	r.Host = mc.authority
	if p.cfg.ReservedHost != "" && mc.host == p.cfg.ReservedHost {
		p.serveLocal(w, r)
		return
	}
	r, refused := p.staleRequest(w, r, mc)
	if refused {
		return
	}
	if _, ok := w.(io.ReaderFrom); !ok {
		w = copyingWriter{w}
	}
	p.gp.ServeHTTP(w, r)
}

// copyingWriter gives a response writer without ReadFrom (HTTP/2's) one
// that copies through a pooled buffer: goproxy copies each response body
// with io.Copy, which otherwise allocates 32 KiB per response (the most
// of what an HTTP/2 request allocated, and the garbage collector's work).
// Flush and Unwrap keep what goproxy and http.ResponseController reach.
type copyingWriter struct{ http.ResponseWriter }

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (w copyingWriter) ReadFrom(r io.Reader) (int64, error) {
	b := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(b)
	return io.CopyBuffer(struct{ io.Writer }{w.ResponseWriter}, r, *b)
}

func (w copyingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w copyingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// emptyBody gives an HTTP/2 request without a body http.NoBody. The HTTP/2
// server hands every request a body, even one whose HEADERS frame ended
// the stream (Content-Length 0, nothing to read), and a transport cannot
// tell that body from one of unknown length: HTTP/2 upstream sent HEADERS
// without END_STREAM, then an empty DATA frame closing the stream (another
// frame and write per request); HTTP/1.1 upstream probed the body with a
// goroutine and a timer. Content-Length 0 is all an HTTP/2 body can then
// be: the server refuses DATA beyond the declared length. A request
// declaring trailers keeps its body (they follow it).
func emptyBody(r *http.Request) {
	if r.ProtoMajor == 2 && r.ContentLength == 0 && r.Trailer == nil && r.Body != nil && r.Body != http.NoBody {
		r.Body = http.NoBody
	}
}

// connListener hands connections to an http.Server.
type connListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnListener() *connListener {
	return &connListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// deliver hands c to the server; false when the listener is closed.
func (l *connListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "mitm" }
func (pipeAddr) String() string  { return "intercepted-https" }

// bufferedConn is a connection whose first bytes were read into r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// certFailurePage says in words why an upstream certificate was refused.
func certFailurePage(host string, err error) pageData {
	d := pageData{Host: host, Detail: err.Error(), Title: "The site's certificate is not valid"}
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	why := certWeakness(err)
	switch {
	case why != "":
	case errors.As(err, &hostErr):
		why = fmt.Sprintf("its certificate is for another site (%s), not for %s", certNames(hostErr.Certificate), host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		why = "its certificate has expired (or is not valid yet: check this computer's clock)"
	case errors.As(err, &invalid):
		why = "its certificate is not valid for a secure connection"
	case errors.As(err, &unknown):
		why = "its certificate was not issued by an authority this computer trusts"
	default:
		why = "its certificate could not be verified"
	}
	d.Text = fmt.Sprintf("Polaris did not connect to %s because %s. Someone may be trying to intercept the connection, or the site is misconfigured. Nothing was sent to the site.", host, why)
	d.Hint = "If this is a server on your own network with its own certificate authority, give that authority's certificate to Polaris: polaris config set https.upstream-ca /path/to/ca.pem"
	return d
}

func certNames(c *x509.Certificate) string {
	if c == nil {
		return "unknown"
	}
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return c.Subject.CommonName
	}
	if len(names) > 3 {
		names = append(names[:3], "...")
	}
	return strings.Join(names, ", ")
}
