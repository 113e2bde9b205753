// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	utls "github.com/refraction-networking/utls"
	"golang.org/x/net/http2"

	"polaris/internal/testenv"
)

// helloOrigin is an HTTPS origin on 127.0.0.1 that records the raw
// ClientHello of every connection and the protocol of every request; it
// serves certificates from ca for whatever name it is asked.
type helloOrigin struct {
	addr     string
	mu       sync.Mutex
	hellos   [][]byte // the first records of each connection
	protos   []string
	conns    atomic.Int64
	requests atomic.Int64
}

func newHelloOrigin(t testing.TB, ca *testCA, protos []string, h http.Handler) *helloOrigin {
	t.Helper()
	o := &helloOrigin{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.addr = ln.Addr().String()
	if h == nil {
		h = originHandler()
	}
	srv := &http.Server{
		ErrorLog: discardLog,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o.requests.Add(1)
			o.mu.Lock()
			o.protos = append(o.protos, r.Proto)
			o.mu.Unlock()
			h.ServeHTTP(w, r)
		}),
		TLSConfig: &tls.Config{GetCertificate: ca.getCertificate, NextProtos: protos},
	}
	go srv.Serve(tls.NewListener(&recordingListener{Listener: ln, o: o}, srv.TLSConfig))
	t.Cleanup(func() { srv.Close() })
	return o
}

func (o *helloOrigin) lastHello(t testing.TB) []byte {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.hellos) == 0 {
		t.Fatal("the origin got no ClientHello")
	}
	return o.hellos[len(o.hellos)-1]
}

func (o *helloOrigin) seenProtos() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.protos...)
}

// recordingListener hands out connections that record the client's first
// bytes for the origin.
type recordingListener struct {
	net.Listener
	o *helloOrigin
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.o.conns.Add(1)
	return &helloRecorder{Conn: c, o: l.o}, nil
}

type helloRecorder struct {
	net.Conn
	o     *helloOrigin
	buf   []byte
	wrote bool
}

func (c *helloRecorder) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.wrote {
		c.buf = append(c.buf, b[:n]...)
	}
	return n, err
}

func (c *helloRecorder) Write(b []byte) (int, error) {
	if !c.wrote {
		c.wrote = true
		c.o.mu.Lock()
		c.o.hellos = append(c.o.hellos, c.buf)
		c.o.mu.Unlock()
		c.buf = nil
	}
	return c.Conn.Write(b)
}

// Upstream HTTP/2: a server that offers h2 gets every request over HTTP/2,
// all of a site's requests over one connection, whatever the client speaks
// to Polaris; an isolating route (Tor) keeps one connection per site.
func TestUpstreamHTTP2(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newHelloOrigin(t, upstream, []string{"h2", "http/1.1"}, nil)
	rec := &recordingDial{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return rec.dial(ctx, network, origin.addr)
	}
	tp := startProxy(t, Config{TLSConfigForHost: polaris.tlsConfigForHost, RootCAs: upstream.pool,
		Route: Route{Dial: dial, Isolate: true, Name: "isolated"}}, signalsOn)
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true}); err != nil {
		t.Fatal(err)
	}
	get := func(c *http.Client, url, referer string) {
		req := mustRequest("GET", url)
		req.Header.Set("Sec-Fetch-Dest", "image")
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", url, resp.StatusCode)
		}
	}
	c := h2Client(tp, polaris.pool, nil)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			get(c, fmt.Sprintf("https://cdn.example/a%d.png", i), "https://one.example/")
		}()
	}
	wg.Wait()
	if n := origin.conns.Load(); n != 1 {
		t.Errorf("20 concurrent requests of one site used %d upstream connections, want 1 (HTTP/2, shared)", n)
	}
	get(c, "https://cdn.example/b.png", "https://two.example/")
	if n := origin.conns.Load(); n != 2 {
		t.Errorf("a second site: %d upstream connections in all, want 2 (one per site)", n)
	}
	for _, p := range origin.seenProtos() {
		if p != "HTTP/2.0" {
			t.Errorf("the origin got a request over %s, want HTTP/2.0", p)
		}
	}
	// A client that offers only http/1.1 is mirrored with it: the server
	// answers over HTTP/1.1 as it would answer that client.
	get(mitmClient(tp, polaris.pool), "https://cdn.example/c.png", "https://one.example/")
	if p := origin.seenProtos(); p[len(p)-1] != "HTTP/1.1" {
		t.Errorf("a client offering only http/1.1: the origin got %s, want HTTP/1.1", p[len(p)-1])
	}
	rec.mu.Lock()
	sites := strings.Join(rec.sites, ",")
	rec.mu.Unlock()
	if sites != "one.example,two.example,one.example" {
		t.Errorf("dials carried sites %q, want one.example, two.example, then one.example (its HTTP/1.1 pool)", sites)
	}
}

// A server that speaks only HTTP/1.1 gets HTTP/1.1, and the connection
// dialled to find out is the one used: one handshake, not two.
func TestUpstreamHTTP1Server(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newHelloOrigin(t, upstream, []string{"http/1.1"}, nil)
	tp := mitmProxy(t, polaris, upstream, toOrigin(origin.addr), signalsOn, HTTPSPolicy{})
	c := h2Client(tp, polaris.pool, nil)
	for i := 0; i < 3; i++ {
		resp, err := c.Get("https://old.example/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
			t.Errorf("GET: %s %d, want HTTP/2 200 to the client", resp.Proto, resp.StatusCode)
		}
	}
	if n := origin.conns.Load(); n != 1 {
		t.Errorf("three requests to an HTTP/1.1 server used %d connections, want 1", n)
	}
	for _, p := range origin.seenProtos() {
		if p != "HTTP/1.1" {
			t.Errorf("the origin got %s, want HTTP/1.1", p)
		}
	}
}

// The origin sees the client's own ClientHello (the same JA4) where the
// client reached it through Polaris, for the hellos of Chrome and Firefox
// as uTLS builds them and for Go's; ALPN h2 is chosen on both sides.
func TestMirroredJA4(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newHelloOrigin(t, upstream, []string{"h2", "http/1.1"}, nil)
	tp := mitmProxy(t, polaris, upstream, toOrigin(origin.addr), signalsOn, HTTPSPolicy{})
	for i, id := range []utls.ClientHelloID{utls.HelloChrome_Auto, utls.HelloFirefox_Auto, utls.HelloGolang} {
		t.Run(id.Str(), func(t *testing.T) {
			host := fmt.Sprintf("site%d.example", i)
			client, sent := uTLSThroughProxy(t, tp, host, polaris, id)
			defer client.Close()
			if p := client.ConnectionState().NegotiatedProtocol; p != "h2" {
				t.Errorf("ALPN with Polaris = %q, want h2", p)
			}
			h2Get(t, client, host)
			got, err := testenv.JA4(origin.lastHello(t))
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := testenv.JA4(sent); got != want {
				t.Errorf("the origin saw JA4 %s, the client sent %s", got, want)
			}
			if p := origin.seenProtos(); len(p) == 0 || p[len(p)-1] != "HTTP/2.0" {
				t.Errorf("the origin got %q, want HTTP/2.0", p)
			}
		})
	}
}

// uTLSThroughProxy opens a CONNECT tunnel to host:443 through tp and does a
// TLS handshake in it with the ClientHello of id, trusting polaris. It
// returns the connection and the hello it sent.
func uTLSThroughProxy(t *testing.T, tp *testProxy, host string, polaris *testCA, id utls.ClientHelloID, spec ...*utls.ClientHelloSpec) (*utls.UConn, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n", host, host)
	buf := make([]byte, 0, 64)
	for !strings.HasSuffix(string(buf), "\r\n\r\n") {
		b := make([]byte, 1)
		if _, err := c.Read(b); err != nil {
			t.Fatal(err)
		}
		buf = append(buf, b[0])
	}
	rec := &helloCapture{Conn: c}
	uc := utls.UClient(rec, &utls.Config{ServerName: host, RootCAs: polaris.pool, NextProtos: []string{"h2", "http/1.1"}}, id)
	if len(spec) > 0 {
		if err := uc.ApplyPreset(spec[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := uc.Handshake(); err != nil {
		t.Fatalf("handshake with Polaris: %v", err)
	}
	return uc, rec.first
}

// helloCapture keeps the first write (the ClientHello).
type helloCapture struct {
	net.Conn
	first []byte
}

func (c *helloCapture) Write(b []byte) (int, error) {
	if c.first == nil {
		c.first = append([]byte(nil), b...)
	}
	return c.Conn.Write(b)
}

// h2Get sends one GET over an HTTP/2 connection and reads the answer.
func h2Get(t *testing.T, c net.Conn, host string) {
	t.Helper()
	cc, err := (&http2.Transport{}).NewClientConn(c)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cc.RoundTrip(mustRequest("GET", "https://"+host+"/"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET over HTTP/2: %d", resp.StatusCode)
	}
}

// A ClientHello uTLS cannot repeat (here a malformed compress_certificate
// extension, which Polaris's own TLS server ignores) falls back to Go's
// TLS with a log line; the request goes through, verified as always.
func TestMirrorFallsBackToGoTLS(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newHelloOrigin(t, upstream, []string{"h2", "http/1.1"}, nil)
	var logs logRecorder
	cfg := Config{TLSConfigForHost: polaris.tlsConfigForHost, RootCAs: upstream.pool, Route: Route{Dial: toOrigin(origin.addr)}, Logf: logs.logf}
	tp := startProxy(t, cfg, signalsOn)
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true}); err != nil {
		t.Fatal(err)
	}
	spec := utls.ClientHelloSpec{
		CipherSuites:       []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		CompressionMethods: []byte{0},
		Extensions: []utls.TLSExtension{
			&utls.SNIExtension{},
			&utls.SupportedCurvesExtension{Curves: []utls.CurveID{utls.X25519, utls.CurveP256}},
			&utls.SupportedPointsExtension{SupportedPoints: []byte{0}},
			&utls.SignatureAlgorithmsExtension{SupportedSignatureAlgorithms: []utls.SignatureScheme{utls.ECDSAWithP256AndSHA256, utls.PSSWithSHA256, utls.PKCS1WithSHA256}},
			&utls.ALPNExtension{AlpnProtocols: []string{"h2", "http/1.1"}},
			&utls.SupportedVersionsExtension{Versions: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
			&utls.KeyShareExtension{KeyShares: []utls.KeyShare{{Group: utls.X25519}}},
			&utls.GenericExtension{Id: 0x001b, Data: []byte{5, 0}},
		},
	}
	client, _ := uTLSThroughProxy(t, tp, "odd.example", polaris, utls.HelloCustom, &spec)
	defer client.Close()
	h2Get(t, client, "odd.example")
	if !logs.contains("could not be repeated") && !logs.contains("cannot be repeated") {
		t.Errorf("no log line about the fallback; logs:\n%s", logs.String())
	}
	if h, err := parseClientHello(origin.lastHello(t)); err != nil || hasExt(h, 0x001b) {
		t.Error("the origin got the client's compress_certificate: want Go's own hello")
	}
}

// logRecorder collects log lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logRecorder) contains(s string) bool {
	return strings.Contains(l.String(), s)
}

func (l *logRecorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// With an ECH configuration for the site (Route.ECHConfigs), the mirrored
// hello is encrypted to it: the origin accepts ECH and sees the real name
// inside, the network only the configuration's public name.
func TestMirroredHelloWithECH(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	config, key := echTestConfig(t, "public.example")
	type seen struct {
		accepted bool
		name     string
	}
	got := make(chan seen, 4)
	origin := httptestTLS(t, upstream, &tls.Config{EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: config, PrivateKey: key}}},
		func(w http.ResponseWriter, r *http.Request) {
			got <- seen{r.TLS.ECHAccepted, r.TLS.ServerName}
		})
	list := append([]byte{byte(len(config) >> 8), byte(len(config))}, config...)
	var logs logRecorder
	cfg := Config{Logf: logs.logf, TLSConfigForHost: polaris.tlsConfigForHost, RootCAs: upstream.pool, Route: Route{
		Dial:       toOrigin(origin),
		ECHConfigs: func(ctx context.Context, host string) []byte { return list },
	}}
	tp := startProxy(t, cfg, signalsOn)
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []utls.ClientHelloID{utls.HelloChrome_Auto, utls.HelloFirefox_Auto} {
		t.Run(id.Str(), func(t *testing.T) {
			host := fmt.Sprintf("secret%d.example", i)
			client, _ := uTLSThroughProxy(t, tp, host, polaris, id)
			defer client.Close()
			h2Get(t, client, host)
			var s seen
			select {
			case s = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("the origin got no request")
			}
			if !s.accepted || s.name != host {
				t.Errorf("origin: ECH accepted %v, name %q; want true, %q", s.accepted, s.name, host)
			}
			if logs.contains("repeated") {
				t.Errorf("the mirrored hello was not used: %s", logs.String())
			}
		})
	}
}

// echTestConfig makes an ECHConfig (RFC 9849 §4: version 0xfe0d, DHKEM
// X25519 with HKDF-SHA256, AES-128-GCM) for publicName, and its private key.
func echTestConfig(t *testing.T, publicName string) (config, key []byte) {
	t.Helper()
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey().Bytes()
	var c []byte
	c = append(c, 7)          // config_id
	c = append(c, 0x00, 0x20) // kem_id: DHKEM(X25519, HKDF-SHA256)
	c = append(c, byte(len(pub)>>8), byte(len(pub)))
	c = append(c, pub...)
	c = append(c, 0, 4, 0x00, 0x01, 0x00, 0x01) // cipher_suites: HKDF-SHA256, AES-128-GCM
	c = append(c, 64)                           // maximum_name_length
	c = append(c, byte(len(publicName)))
	c = append(c, publicName...)
	c = append(c, 0, 0) // extensions
	config = append([]byte{0xfe, 0x0d, byte(len(c) >> 8), byte(len(c))}, c...)
	return config, k.Bytes()
}

// httptestTLS starts an HTTPS origin on 127.0.0.1 with base (certificates
// from ca for any name, h2 and http/1.1) and returns its address.
func httptestTLS(t *testing.T, ca *testCA, base *tls.Config, h http.HandlerFunc) string {
	t.Helper()
	base.GetCertificate = ca.getCertificate
	if base.NextProtos == nil {
		base.NextProtos = []string{"h2", "http/1.1"}
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", base)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: discardLog}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// A client that closes its connection after each request ("Connection:
// close", a new tunnel and handshake every time) does not close the
// upstream connection: it stays pooled for the next request (one
// handshake per request with Polaris, not two).
func TestUpstreamKeptWhenClientCloses(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	for _, protos := range [][]string{{"http/1.1"}, {"h2", "http/1.1"}} {
		t.Run(protos[0], func(t *testing.T) {
			origin := newHelloOrigin(t, upstream, protos, nil)
			tp := mitmProxy(t, polaris, upstream, toOrigin(origin.addr), signalsOn, HTTPSPolicy{})
			c := mitmClient(tp, polaris.pool)
			c.Transport.(*http.Transport).DisableKeepAlives = true
			for i := 0; i < 5; i++ {
				resp, err := c.Get("https://closer.example/")
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if n := origin.conns.Load(); n != 1 {
				t.Errorf("5 requests on 5 client connections used %d upstream connections, want 1", n)
			}
		})
	}
}

// Polaris resumes its TLS sessions with a site (TLS 1.3 PSK in the
// mirrored hello, or Go's tickets): a new upstream connection after the
// site closed the last one costs no full handshake.
func TestUpstreamSessionResumption(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	resumed := make(chan bool, 10)
	origin := httptestTLS(t, upstream, &tls.Config{NextProtos: []string{"http/1.1"}}, func(w http.ResponseWriter, r *http.Request) {
		resumed <- r.TLS.DidResume
		w.Header().Set("Connection", "close") // the next request needs a new connection
	})
	tp := mitmProxy(t, polaris, upstream, toOrigin(origin), signalsOn, HTTPSPolicy{})
	// Browsers offer psk_key_exchange_modes, which the mirrored hello
	// keeps; Go's client without a session cache does not, and a mirror of
	// it cannot resume TLS 1.3 any more than that client could.
	for i, id := range []utls.ClientHelloID{utls.HelloChrome_Auto, utls.HelloFirefox_Auto} {
		t.Run(id.Str(), func(t *testing.T) {
			host := fmt.Sprintf("again%d.example", i)
			client, _ := uTLSThroughProxy(t, tp, host, polaris, id)
			defer client.Close()
			cc, err := (&http2.Transport{}).NewClientConn(client)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []bool{false, true} {
				resp, err := cc.RoundTrip(mustRequest("GET", "https://"+host+"/"))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if got := <-resumed; got != want {
					t.Errorf("upstream connection resumed = %v, want %v", got, want)
				}
			}
		})
	}
}
