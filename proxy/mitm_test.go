// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polaris/internal/settings"
)

var discardLog = log.New(io.Discard, "", 0)

var signalsOn = Policy{Protection: true, DNT: settings.DNTDoNotTrack, GPC: true}

// With HTTPS filtering on, the origin behind HTTPS sees the signals, the
// client sees Polaris's certificate, and keep-alive works on both sides.
func TestMITMAppliesSignalsInsideHTTPS(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	origin := newTLSOrigin(t, nil, &leaf)
	tp := mitmProxy(t, polaris, upstream, nil, signalsOn, HTTPSPolicy{})
	c := mitmClient(tp, polaris.pool)
	for i := 0; i < 3; i++ {
		req := mustRequest("GET", origin.URL+fmt.Sprintf("/page?n=%d", i))
		req.Header.Set("Sec-Fetch-Dest", "document")
		req.Header.Set("Dnt", "0")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		e := decodeEcho(t, resp)
		checkSignal(t, e.Header, "Dnt", "1")
		checkSignal(t, e.Header, "Sec-Gpc", "1")
		if want := fmt.Sprintf("/page?n=%d", i); e.URL != want {
			t.Errorf("origin got URL %q, want %q", e.URL, want)
		}
		if got := resp.TLS.PeerCertificates[0].Issuer.CommonName; got != "Polaris test CA" {
			t.Errorf("client saw a certificate from %q, want Polaris's", got)
		}
	}
	if n := origin.conns.Load(); n != 1 {
		t.Errorf("three requests used %d upstream connections, want 1 (kept alive)", n)
	}
	if n := tp.Status().Requests; n < 4 {
		t.Errorf("requests counted = %d, want the CONNECT and the three requests inside", n)
	}
}

func decodeEcho(t *testing.T, resp *http.Response) echo {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var e echo
	if err := jsonUnmarshal(b, &e); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return e
}

// A bad upstream certificate gives the user a page saying what is wrong,
// and nothing reaches the origin; there is no way around the check.
func TestMITMRefusesBadUpstreamCertificates(t *testing.T) {
	polaris, upstream, stranger := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA"), newTestCA(t, "unknown CA")
	past := time.Now().Add(-48 * time.Hour)
	for _, tc := range []struct {
		name string
		cert tls.Certificate
		want string
	}{
		{"untrusted", stranger.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{}), "not issued by an authority this computer trusts"},
		{"expired", upstream.leaf(t, []string{"127.0.0.1"}, past, past.Add(time.Hour)), "has expired"},
		{"wrong host", upstream.leaf(t, []string{"other.example"}, time.Time{}, time.Time{}), "is for another site (other.example)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			origin := newTLSOrigin(t, nil, &tc.cert)
			tp := mitmProxy(t, polaris, upstream, nil, signalsOn, HTTPSPolicy{})
			for _, accept := range []string{"text/html", "*/*"} {
				req := mustRequest("GET", origin.URL+"/secret?token=1")
				req.Header.Set("Accept", accept)
				resp, err := mitmClient(tp, polaris.pool).Do(req)
				if err != nil {
					t.Fatalf("the client got no page, only %v", err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), tc.want) ||
					!strings.Contains(string(b), "Nothing was sent") {
					t.Errorf("Accept %s: %d %s, want 502 saying %q", accept, resp.StatusCode, b, tc.want)
				}
			}
			if n := origin.requests.Load(); n != 0 {
				t.Errorf("the origin got %d requests, want none", n)
			}
		})
	}
}

// Plain https:// requests in absolute form (no CONNECT) are verified too.
func TestAbsoluteHTTPSRequestVerified(t *testing.T) {
	stranger := newTestCA(t, "unknown CA")
	leaf := stranger.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	origin := newTLSOrigin(t, nil, &leaf)
	tp := startProxy(t, Config{}, signalsOn)
	resp, body := rawExchange(t, tp.Addr(), "GET "+origin.URL+"/ HTTP/1.1\r\nHost: "+origin.Listener.Addr().String()+"\r\nAccept: */*\r\n\r\n")
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "not issued by an authority") {
		t.Errorf("absolute https request to an untrusted origin: %d %s", resp.StatusCode, body)
	}
	if n := origin.requests.Load(); n != 0 {
		t.Errorf("the origin got %d requests, want none", n)
	}
	// With the origin's CA given as the extra root, it goes through.
	tp.SetUpstreamRoots(stranger.pool)
	resp, body = rawExchange(t, tp.Addr(), "GET "+origin.URL+"/ HTTP/1.1\r\nHost: "+origin.Listener.Addr().String()+"\r\nAccept: */*\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Errorf("with the extra root: %d %s", resp.StatusCode, body)
	}
}

// Excluded hosts (the user's list, the built-in list, learned pins) are
// tunnelled untouched: the client sees the origin's own certificate.
func TestMITMExclusionsTunnelUntouched(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newTLSOrigin(t, upstream, nil)
	roots := x509.NewCertPool()
	roots.AddCert(polaris.cert)
	roots.AddCert(upstream.cert)
	hp := HTTPSPolicy{Exclusions: []string{"mybank.example", "*.health.example"}, DefaultExclusions: true, PassThrough: []string{"pinned.example"}}
	tp := mitmProxy(t, polaris, upstream, toOrigin(origin.Listener.Addr().String()), signalsOn, hp)
	c := mitmClient(tp, roots)
	for _, tc := range []struct {
		host     string
		excluded bool
	}{
		{"mybank.example", true},
		{"login.mybank.example", true},
		{"records.health.example", true},
		{"health.example", false},
		{"www.irs.gov", true},
		{"secure.chase.com", true},
		{"pinned.example", true},
		{"news.example", false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			req := mustRequest("GET", "https://"+tc.host+"/")
			req.Header.Set("Dnt", "0")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			e := decodeEcho(t, resp)
			issuer := resp.TLS.PeerCertificates[0].Issuer.CommonName
			if tc.excluded {
				if issuer != "upstream test CA" {
					t.Errorf("certificate from %q, want the origin's own", issuer)
				}
				checkSignal(t, e.Header, "Dnt", "0")
				checkSignal(t, e.Header, "Sec-Gpc", "")
			} else {
				if issuer != "Polaris test CA" {
					t.Errorf("certificate from %q, want Polaris's", issuer)
				}
				checkSignal(t, e.Header, "Dnt", "1")
			}
		})
	}
}

// With protection off, or without a certificate source, HTTPS is not
// intercepted even with filtering on.
func TestMITMOnlyWhenItCan(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newTLSOrigin(t, upstream, nil)
	roots := x509.NewCertPool()
	roots.AddCert(polaris.cert)
	roots.AddCert(upstream.cert)
	dial := toOrigin(origin.Listener.Addr().String())
	off := mitmProxy(t, polaris, upstream, dial, Policy{}, HTTPSPolicy{})
	noCA := startProxy(t, Config{Route: Route{Dial: dial}}, signalsOn)
	noCA.SetHTTPSPolicy(HTTPSPolicy{Filter: true})
	for name, tp := range map[string]*testProxy{"protection off": off, "no CA": noCA} {
		resp, err := mitmClient(tp, roots).Get("https://site.example/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if issuer := resp.TLS.PeerCertificates[0].Issuer.CommonName; issuer != "upstream test CA" {
			t.Errorf("%s: certificate from %q, want the origin's own", name, issuer)
		}
	}
}

// A request inside a tunnel for another host than the tunnel's is refused.
func TestMITMMisdirectedRequest(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newTLSOrigin(t, upstream, nil)
	tp := mitmProxy(t, polaris, upstream, toOrigin(origin.Listener.Addr().String()), signalsOn, HTTPSPolicy{})
	tc := connectTLS(t, tp, "news.example:443", polaris.pool, nil)
	defer tc.Close()
	io.WriteString(tc, "GET / HTTP/1.1\r\nHost: mybank.example\r\nAccept: */*\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("status = %d, want 421", resp.StatusCode)
	}
	if n := origin.requests.Load(); n != 0 {
		t.Errorf("the origin got %d requests, want none", n)
	}
}

// connectTLS opens a CONNECT tunnel to hostport through tp and does a TLS
// handshake in it, trusting roots. verify, if set, is the client's extra
// check of the server's certificate (a pinning client).
func connectTLS(t *testing.T, tp *testProxy, hostport string, roots *x509.CertPool, verify func([][]byte, [][]*x509.Certificate) error) *tls.Conn {
	t.Helper()
	tc, err := tryConnectTLS(tp, hostport, roots, verify)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func tryConnectTLS(tp *testProxy, hostport string, roots *x509.CertPool, verify func([][]byte, [][]*x509.Certificate) error) (*tls.Conn, error) {
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", hostport, hostport)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != 200 {
		c.Close()
		return nil, fmt.Errorf("CONNECT: %s", resp.Status)
	}
	host, _, _ := net.SplitHostPort(hostport)
	tc := tls.Client(&bufferedConn{Conn: c, r: br}, &tls.Config{ServerName: host, RootCAs: roots, VerifyPeerCertificate: verify})
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// WebSockets work inside an intercepted tunnel, with the signals applied to
// the handshake, over HTTP/1.1 upstream although the server prefers HTTP/2.
func TestMITMWebSocket(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"chat.example"}, time.Time{}, time.Time{})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf}, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	gotGPC := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil || !isWebSocket(req.Header) {
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			return
		}
		gotGPC <- req.Header.Get("Sec-Gpc")
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
		io.Copy(c, br)
	}()
	tp := mitmProxy(t, polaris, upstream, toOrigin(ln.Addr().String()), signalsOn, HTTPSPolicy{})
	tc := connectTLS(t, tp, "chat.example:443", polaris.pool, nil)
	defer tc.Close()
	io.WriteString(tc, "GET /socket HTTP/1.1\r\nHost: chat.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(tc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	if g := <-gotGPC; g != "1" {
		t.Errorf("Sec-GPC on the WebSocket handshake = %q, want 1", g)
	}
	for _, msg := range []string{"frame-one", "frame-two"} {
		io.WriteString(tc, msg)
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != msg {
			t.Errorf("echo through the upgraded connection = %q, %v; want %q", buf, err, msg)
		}
	}
}

// Interception is decided per kind of client (defect 4 of the real-browsers
// issue): a browser that does not trust Polaris's CA is passed through
// after its first refusal, and another browser that trusts it stays
// filtered on the same site; a client that trusts the CA but refuses it for
// one site pins that site, which passes through for that client alone.
func TestClientTrustPerClient(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	origin := newTLSOrigin(t, upstream, nil)
	events := make(chan CertRejection, 10)
	tp := startProxy(t, Config{
		TLSConfigForHost: polaris.tlsConfigForHost,
		Route:            Route{Dial: toOrigin(origin.Listener.Addr().String())},
		RootCAs:          upstream.pool,
		OnCertRejected:   func(r CertRejection) { events <- r },
	}, signalsOn)
	tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true})
	both := x509.NewCertPool()
	both.AddCert(polaris.cert)
	both.AddCert(upstream.cert)
	const (
		firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"
		chrome  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
		edge    = chrome + " Edg/156.0.0.0"
	)
	pinned := func(_ [][]byte, chains [][]*x509.Certificate) error {
		if chains[0][0].Issuer.CommonName != "upstream test CA" {
			return errors.New("pin mismatch")
		}
		return nil
	}
	expect := func(want string) {
		t.Helper()
		select {
		case r := <-events:
			if got := fmt.Sprintf("%s %s pinning=%v", r.Host, r.Client.Words(), r.Pinning); got != want {
				t.Errorf("OnCertRejected: %s, want %s", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no OnCertRejected call, want %s", want)
		}
	}
	issuer := func(ua, hostport string, roots *x509.CertPool, verify func([][]byte, [][]*x509.Certificate) error) string {
		t.Helper()
		tc, err := tryConnectTLSAs(tp, ua, hostport, roots, verify)
		if err != nil {
			return "refused: " + err.Error()
		}
		defer tc.Close()
		// A request shows the client accepted the certificate.
		fmt.Fprintf(tc, "GET /echo HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n\r\n", hostport, ua)
		if resp, err := http.ReadResponse(bufio.NewReader(tc), nil); err != nil {
			t.Fatalf("%s: request through the tunnel: %v", hostport, err)
		} else {
			resp.Body.Close()
		}
		return tc.ConnectionState().PeerCertificates[0].Issuer.CommonName
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: certificate from %q, want %q", what, got, want)
		}
	}

	// Chromium trusts the CA and is filtered.
	check("Chromium", issuer(chrome, "news.example:443", both, nil), "Polaris test CA")
	// Firefox without the CA refuses once: it does not trust the CA.
	if got := issuer(firefox, "news.example:443", upstream.pool, nil); !strings.HasPrefix(got, "refused") {
		t.Fatalf("Firefox without the CA: %s", got)
	}
	expect("news.example Firefox 153 pinning=false")
	// From then on Firefox's HTTPS passes through, on every site ...
	check("Firefox after its refusal", issuer(firefox, "news.example:443", upstream.pool, nil), "upstream test CA")
	check("Firefox on another site", issuer(firefox, "shop.example:443", upstream.pool, nil), "upstream test CA")
	// ... and Chromium stays filtered, on the same site too.
	check("Chromium after Firefox's refusal", issuer(chrome, "news.example:443", both, nil), "Polaris test CA")
	// A client with no User-Agent is known by its TLS hello: one without
	// the CA does not lower anyone else's filtering either.
	if got := issuer("", "news.example:443", upstream.pool, nil); !strings.HasPrefix(got, "refused") {
		t.Fatalf("a program without the CA: %s", got)
	}
	select {
	case r := <-events:
		if r.Pinning || !strings.HasPrefix(r.Client.Name, "TLS client ") {
			t.Errorf("OnCertRejected for a client without User-Agent: %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no OnCertRejected call for the program without User-Agent")
	}
	check("the program after its refusal", issuer("", "news.example:443", upstream.pool, nil), "upstream test CA")
	check("Chromium after the program's refusal", issuer(chrome, "news.example:443", both, nil), "Polaris test CA")

	// A client that trusts the CA but refuses it for one site pins that
	// site: the site passes through for that client alone.
	if got := issuer(edge, "bank.example:443", both, nil); got != "Polaris test CA" {
		t.Fatalf("Edge trusting the CA: %s", got)
	}
	if got := issuer(edge, "app.example:443", both, pinned); !strings.HasPrefix(got, "refused") {
		t.Fatalf("Edge pinning app.example: %s", got)
	}
	expect("app.example Edge 156 pinning=true")
	check("Edge on the pinned site", issuer(edge, "app.example:443", both, pinned), "upstream test CA")
	check("Edge on another site", issuer(edge, "bank.example:443", both, nil), "Polaris test CA")
	check("Chromium on Edge's pinned site", issuer(chrome, "app.example:443", both, nil), "Polaris test CA")

	// The status lists the clients with what their handshakes showed.
	got := map[string]string{}
	for _, c := range tp.Status().Clients {
		got[c.Words()] = fmt.Sprintf("trust=%d filtered=%v pinned=%v", c.Trust, c.Filtered, c.Pinned)
	}
	for who, want := range map[string]string{
		"Firefox 153":           "trust=2 filtered=false pinned=[]",
		"Chromium / Chrome 156": "trust=1 filtered=true pinned=[]",
		"Edge 156":              "trust=1 filtered=true pinned=[app.example]",
	} {
		if got[who] != want {
			t.Errorf("Status().Clients[%s] = %q, want %q (all: %v)", who, got[who], want, got)
		}
	}
	// A pin stored by the owner (CertRejection.Entry, read back into the
	// policy after a restart) holds for that kind of client alone.
	edgeID, _ := clientOfUA(edge)
	tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true, PassThrough: []string{"stored.example\t" + edgeID.key()}})
	check("Edge on its stored pin", issuer(edge, "stored.example:443", both, pinned), "upstream test CA")
	check("Chromium on Edge's stored pin", issuer(chrome, "stored.example:443", both, nil), "Polaris test CA")
	if got, want := PassThroughWords("stored.example\t"+edgeID.key()), "stored.example (for Edge 156)"; got != want {
		t.Errorf("PassThroughWords = %q, want %q", got, want)
	}
	// Once the CA is installed, every client is tried again.
	tp.ForgetClientTrust()
	if got := issuer(firefox, "news.example:443", both, nil); got != "Polaris test CA" {
		t.Errorf("Firefox after ForgetClientTrust, now trusting the CA: %s", got)
	}
}

func tryConnectTLSAs(tp *testProxy, ua, hostport string, roots *x509.CertPool, verify func([][]byte, [][]*x509.Certificate) error) (*tls.Conn, error) {
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	hdr := ""
	if ua != "" {
		hdr = "User-Agent: " + ua + "\r\n"
	}
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", hostport, hostport, hdr)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != 200 {
		c.Close()
		return nil, fmt.Errorf("CONNECT: %s", resp.Status)
	}
	host, _, _ := net.SplitHostPort(hostport)
	tc := tls.Client(&bufferedConn{Conn: c, r: br}, &tls.Config{ServerName: host, RootCAs: roots, VerifyPeerCertificate: verify})
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// OpenSSL clients refuse a certificate in TLS 1.3 with an alert in clear
// that crypto/tls cannot read ("bad record MAC"); the refusal is recognised
// all the same, and that client passes through from then on. curl is the
// real OpenSSL client here, trusting only the site's own CA.
func TestPinningOpenSSLClient(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed: pinning detection with an OpenSSL client is not tested")
	}
	for _, version := range []string{"1.3", "1.2"} {
		t.Run("TLS "+version, func(t *testing.T) {
			polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
			origin := newTLSOrigin(t, upstream, nil)
			events := make(chan string, 10)
			tp := startProxy(t, Config{
				TLSConfigForHost: polaris.tlsConfigForHost,
				Route:            Route{Dial: toOrigin(origin.Listener.Addr().String())},
				RootCAs:          upstream.pool,
				OnCertRejected: func(r CertRejection) {
					events <- fmt.Sprintf("%s %s pinning=%v", r.Host, r.Client.Words(), r.Pinning)
				},
			}, signalsOn)
			tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true})
			// A browser that trusts the CA loads a page: the CA works.
			resp, err := mitmClient(tp, polaris.pool).Get("https://news.example/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()

			caFile := filepath.Join(t.TempDir(), "upstream.pem")
			if err := os.WriteFile(caFile, upstream.pem, 0o600); err != nil {
				t.Fatal(err)
			}
			run := func() ([]byte, error) {
				cmd := exec.Command(curl, "-q", "-sS", "--max-time", "10", "--proxy", tp.url.String(),
					"--cacert", caFile, "--tlsv"+version, "--tls-max", version, "https://www.good.test/pinned")
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
				return cmd.CombinedOutput()
			}
			if out, err := run(); err == nil {
				t.Fatalf("curl accepted Polaris's certificate: %s", out)
			}
			select {
			case got := <-events:
				if want := "www.good.test curl pinning=false"; got != want {
					t.Errorf("OnCertRejected: %s, want %s", got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("curl's rejection of Polaris's certificate was not recognised")
			}
			out, err := run()
			if err != nil {
				t.Fatalf("curl after its rejection was learned: %v: %s", err, out)
			}
			if !strings.Contains(string(out), `"/pinned"`) {
				t.Errorf("curl through the untouched tunnel got %s, want the origin's echo", out)
			}
		})
	}
}

// The sniffer takes for a rejection only an alert in clear that refuses
// the certificate, sent in answer to the server's flight.
func TestAlertSnifferCertRejected(t *testing.T) {
	hello := []byte{22, 3, 1, 0, 5, 1, 0, 0, 1, 0}
	ccs := []byte{20, 3, 3, 0, 1, 1}
	alert := func(level, code byte) []byte { return []byte{21, 3, 3, 0, 2, level, code} }
	// A nil step is a write by the server, the others what the client sent.
	for _, tc := range []struct {
		name  string
		steps [][]byte
		want  bool
	}{
		{"unknown_ca", [][]byte{hello, nil, alert(2, 48)}, true},
		{"unknown_ca, then the server's alert", [][]byte{hello, nil, alert(2, 48), nil}, true},
		{"bad_certificate after ChangeCipherSpec", [][]byte{hello, nil, append(ccs, alert(2, 42)...)}, true},
		{"after a HelloRetryRequest", [][]byte{hello, nil, hello, nil, alert(2, 46), nil}, true},
		{"before the server's flight", [][]byte{alert(2, 48)}, false},
		{"warning level", [][]byte{hello, nil, alert(1, 48)}, false},
		{"decode_error", [][]byte{hello, nil, alert(2, 50), nil}, false},
		{"encrypted record", [][]byte{hello, nil, {23, 3, 3, 0, 2, 2, 48}, nil}, false},
		{"wrong length", [][]byte{hello, nil, {21, 3, 3, 0, 3, 2, 48, 0}}, false},
		{"truncated", [][]byte{hello, nil, alert(2, 48)[:6]}, false},
		{"no answer", [][]byte{hello, nil}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &scriptConn{}
			s := &alertSniffer{Conn: c}
			buf := make([]byte, 64)
			for _, step := range tc.steps {
				if step == nil {
					s.Write([]byte{22, 3, 3})
					continue
				}
				c.next = step
				s.Read(buf)
			}
			if got := s.certRejected(); got != tc.want {
				t.Errorf("certRejected after %v = %v, want %v", tc.steps, got, tc.want)
			}
		})
	}
}

// scriptConn returns next from Read and swallows writes.
type scriptConn struct {
	net.Conn
	next []byte
}

func (c *scriptConn) Read(b []byte) (int, error) {
	n := copy(b, c.next)
	c.next = nil
	return n, nil
}

func (c *scriptConn) Write(b []byte) (int, error) { return len(b), nil }

func TestClientBookLimits(t *testing.T) {
	var b clientBook
	id := clientID{family: "Firefox", version: "153"}
	now := time.Now()
	if b.rejected(id, "a.example", now) {
		t.Error("a refusal before any acceptance = pinning, want: does not trust the CA")
	}
	if b.intercepts(id, "b.example") {
		t.Error("a client that does not trust the CA is still intercepted")
	}
	b.accepted(id, now)
	for i := 0; i < pinMaxPerHour; i++ {
		if !b.rejected(id, fmt.Sprintf("h%d.example", i), now) {
			t.Fatalf("refusal %d not taken for pinning", i)
		}
	}
	b.rejected(id, "one-too-many.example", now)
	if !b.intercepts(id, "one-too-many.example") {
		t.Error("more pins than the hourly cap learned")
	}
	if b.intercepts(id, "h0.example") || !b.intercepts(id, "other.example") {
		t.Error("pinned host intercepted, or another host not")
	}
	if b.rejected(id, "late.example", now.Add(pinTrustWindow+time.Minute)) {
		t.Error("a refusal long after the last acceptance = pinning, want: does not trust the CA")
	}
	other := clientID{family: "Chrome", version: "156"}
	if !b.intercepts(other, "h0.example") || !b.intercepts(other, "a.example") {
		t.Error("one client's refusals changed another's interception")
	}
	for i := 0; i < maxClients+10; i++ {
		b.seen(clientID{family: "other", name: fmt.Sprint(i)}, false, false, now.Add(time.Duration(i)))
	}
	if n := len(b.list()); n > maxClients {
		t.Errorf("%d clients kept, want at most %d", n, maxClients)
	}
}

func TestClientOfUA(t *testing.T) {
	for _, tc := range []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0", "Firefox 153"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36", "Chromium / Chrome 156"},
		{"curl/8.5.0", "curl"},
		{"Go-http-client/1.1", "Go-http-client"},
		{"<script>", "program"},
		{"", ""},
	} {
		id, ok := clientOfUA(tc.ua)
		got := ""
		if ok {
			got = id.words()
		}
		if got != tc.want {
			t.Errorf("clientOfUA(%q) = %q, want %q", tc.ua, got, tc.want)
		}
	}
}

func TestIsCertRejection(t *testing.T) {
	srvCA := newTestCA(t, "srv")
	cert := srvCA.leaf(t, []string{"x.example"}, time.Time{}, time.Time{})
	for _, tc := range []struct {
		name   string
		client *tls.Config
		want   bool
	}{
		{"unknown CA", &tls.Config{ServerName: "x.example"}, true},
		{"wrong name", &tls.Config{ServerName: "y.example", RootCAs: srvCA.pool}, true},
		{"accepted", &tls.Config{ServerName: "x.example", RootCAs: srvCA.pool}, false},
		{"client hangs up", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tcpPair(t)
			if tc.client == nil {
				a.Close()
			} else {
				go tls.Client(a, tc.client).Handshake()
			}
			err := tls.Server(b, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}).Handshake()
			if got := isCertRejection(err); got != tc.want {
				t.Errorf("isCertRejection(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
}

// A tunnel that carries no TLS is passed on as it is.
func TestMITMNonTLSTunnelSpliced(t *testing.T) {
	polaris := newTestCA(t, "Polaris test CA")
	origin, _ := newOrigin(t)
	addr := strings.TrimPrefix(origin.URL, "http://")
	tp := mitmProxy(t, polaris, nil, nil, signalsOn, HTTPSPolicy{})
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", addr, addr)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	fmt.Fprintf(c, "GET /plain HTTP/1.1\r\nHost: %s\r\nDnt: 0\r\n\r\n", addr)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := decodeEcho(t, resp)
	checkSignal(t, e.Header, "Dnt", "0")
}

// The status page offers the CA for download, with its fingerprint.
func TestCADownload(t *testing.T) {
	polaris := newTestCA(t, "Polaris test CA")
	tp := startProxy(t, Config{TLSConfigForHost: polaris.tlsConfigForHost, CACertPEM: func() ([]byte, error) { return polaris.pem, nil }}, signalsOn)
	c := tp.client()
	for _, tc := range []struct{ path, ctype string }{
		{"/ca.pem", "application/x-pem-file"},
		{"/ca.der", "application/x-x509-ca-cert"},
	} {
		resp, err := c.Get("http://" + settings.ReservedHost + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		der := b
		if tc.path == "/ca.pem" {
			der, _ = pemToDER(b)
		}
		if cert, err := x509.ParseCertificate(der); err != nil || !cert.Equal(polaris.cert) {
			t.Errorf("%s: not the CA certificate (%v)", tc.path, err)
		}
	}
	resp, err := c.Get("http://" + settings.ReservedHost + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`href="/ca.der"`, `href="/ca.pem"`, "polaris ca install", "SHA-256 fingerprint"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	a.SetDeadline(time.Now().Add(5 * time.Second))
	b.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// FuzzAlertSniffer feeds the pinning detector arbitrary client bytes between
// server writes (a 0xFF byte in the input stands for a server write): it
// never panics, and it reports a rejection only when the client really sent
// an unencrypted fatal alert refusing the certificate.
func FuzzAlertSniffer(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 5, 1, 0, 0, 1, 0, 0xFF, 21, 3, 3, 0, 2, 2, 48})
	f.Add([]byte{22, 3, 1, 0xFF, 20, 3, 3, 0, 1, 1, 21, 3, 3, 0, 2, 2, 42, 0xFF})
	f.Add([]byte{0xFF, 23, 3, 3, 0, 2, 2, 48})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &scriptConn{}
		s := &alertSniffer{Conn: c}
		buf := make([]byte, 64)
		for _, chunk := range bytes.Split(data, []byte{0xFF}) {
			for len(chunk) > 0 {
				n := min(len(chunk), len(buf))
				c.next = chunk[:n]
				s.Read(buf)
				chunk = chunk[n:]
			}
			s.Write([]byte{22, 3, 3})
		}
		if !s.certRejected() {
			return
		}
		found := false
		for i := 0; i+7 <= len(data); i++ {
			b := data[i:]
			if b[0] == 21 && b[1] == 3 && b[3] == 0 && b[4] == 2 && b[5] == 2 && certRejectionAlerts[b[6]] {
				found = true
			}
		}
		if !found {
			t.Fatalf("rejection reported for %v, which holds no fatal certificate alert", data)
		}
	})
}
