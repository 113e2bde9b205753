// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"polaris/blocklist"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

// staleOrigin is an HTTPS origin (HTTP/2 and HTTP/1.1) for the names
// given, echoing requests as originHandler; /slow answers once release is
// closed, telling arrived when it comes.
type staleOrigin struct {
	addr     string
	requests atomic.Int64
	arrived  chan struct{}
	release  chan struct{}
}

func newStaleOrigin(t *testing.T, ca *testCA, names ...string) *staleOrigin {
	t.Helper()
	o := &staleOrigin{arrived: make(chan struct{}, 1), release: make(chan struct{})}
	echoH := originHandler()
	leaf := ca.leaf(t, names, time.Time{}, time.Time{})
	srv := newTLSOriginHandler(t, &leaf, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		if r.URL.Path == "/slow" {
			o.arrived <- struct{}{}
			select {
			case <-o.release:
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Second): // the test failed: do not hang its end
			}
		}
		echoH.ServeHTTP(w, r)
	}))
	o.addr = srv.Listener.Addr().String()
	return o
}

// connectAs opens a CONNECT tunnel to hostport through tp with the
// User-Agent of a browser and does a TLS handshake in it offering proto by
// ALPN, trusting roots.
func connectAs(t *testing.T, tp *testProxy, ua, hostport string, roots *x509.CertPool, proto string) *tls.Conn {
	t.Helper()
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n\r\n", hostport, hostport, ua)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("CONNECT %s: %s", hostport, resp.Status)
	}
	host, _, _ := net.SplitHostPort(hostport)
	tc := tls.Client(&bufferedConn{Conn: c, r: br}, &tls.Config{ServerName: host, RootCAs: roots, NextProtos: []string{proto}})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if got := tc.ConnectionState().NegotiatedProtocol; got != proto && !(proto == "http/1.1" && got == "") {
		t.Fatalf("ALPN %q, want %q", got, proto)
	}
	return tc
}

func issuerOf(tc *tls.Conn) string { return tc.ConnectionState().PeerCertificates[0].Issuer.CommonName }

// staleClient sends requests on one intercepted connection, HTTP/1.1 or
// HTTP/2 as negotiated, and tells whether the server asked the client to
// leave the connection.
type staleClient struct {
	tc *tls.Conn
	br *bufio.Reader
	cc *http2.ClientConn
}

func newStaleClient(t *testing.T, tc *tls.Conn) *staleClient {
	t.Helper()
	sc := &staleClient{tc: tc}
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		cc, err := (&http2.Transport{}).NewClientConn(tc)
		if err != nil {
			t.Fatal(err)
		}
		sc.cc = cc
	} else {
		sc.br = bufio.NewReader(tc)
	}
	return sc
}

// get sends GET path as a browser's navigation would and returns the answer
// with its body read.
func (sc *staleClient) get(host, path string) (*http.Response, []byte, error) {
	req, err := http.NewRequest("GET", "https://"+host+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", chromeUA)
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("X-Kept", "the browser's own")
	var resp *http.Response
	if sc.cc != nil {
		resp, err = sc.cc.RoundTrip(req)
	} else {
		if err = req.Write(sc.tc); err == nil {
			resp, err = http.ReadResponse(sc.br, req)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// left waits for the server to tell the client to leave the connection
// after resp: HTTP/1.1, Connection: close and the connection closed;
// HTTP/2, a GOAWAY.
func (sc *staleClient) left(t *testing.T, resp *http.Response) {
	t.Helper()
	if sc.cc == nil {
		if !resp.Close {
			t.Errorf("the answer on the stale connection does not close it (Connection: %q)", resp.Header.Get("Connection"))
		}
		sc.tc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := sc.br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("after the answer, the stale connection read %v, want it closed (EOF)", err)
		}
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for !sc.cc.State().Closing {
		if time.Now().After(deadline) {
			t.Errorf("no GOAWAY on the stale HTTP/2 connection: %+v", sc.cc.State())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// blockedTracker starts a real origin for tracker.example behind its own
// CA, and Polaris in front of it with signals on and tracker.example
// blocked; tune, if not nil, changes the route to the origin.
func blockedTracker(t *testing.T, tune func(*Route)) (polaris, upstream *testCA, o *staleOrigin, tp *testProxy) {
	t.Helper()
	polaris, upstream = newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	o = newStaleOrigin(t, upstream, "tracker.example")
	route := Route{Dial: toOrigin(o.addr)}
	if tune != nil {
		tune(&route)
	}
	tp = startProxy(t, Config{TLSConfigForHost: polaris.tlsConfigForHost, RootCAs: upstream.pool, Route: route}, signalsOn)
	tp.SetMatcher(compileRules(t, blocklist.Options{}, "||tracker.example^"))
	return polaris, upstream, o, tp
}

// A browser may open a connection to a blocked host before it needs it
// (Chromium's preconnect); with filtering off, Polaris intercepts it only
// to answer with the block page. After "Allow once" the first request on
// that connection — which Chromium does not retry if the connection closes
// — reaches the site untouched, as the tunnel the browser now gets would
// carry it (no DNT or GPC of Polaris's, nothing cleaned), and its answer
// makes the browser leave the connection.
func TestStaleBlockPageConnectionServedUntouched(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			polaris, upstream, o, tp := blockedTracker(t, nil)
			if err := tp.SetHTTPSPolicy(HTTPSPolicy{StripParams: true}); err != nil { // filtering off
				t.Fatal(err)
			}
			both := x509.NewCertPool()
			both.AddCert(polaris.cert)
			both.AddCert(upstream.cert)

			// Opened while the host is blocked, not used yet.
			early := connectAs(t, tp, chromeUA, "tracker.example:443", both, proto)
			if got := issuerOf(early); got != "Polaris test CA" {
				t.Fatalf("a blocked host with filtering off: certificate from %q, want Polaris's (to answer the block page)", got)
			}
			// Another one, used at once, answers with the block page.
			resp, body, err := newStaleClient(t, connectAs(t, tp, chromeUA, "tracker.example:443", both, proto)).get("tracker.example", "/article")
			if err != nil || resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "Polaris blocked this page") {
				t.Fatalf("a request to the blocked host: %v %v %.100q, want 403 and the block page", resp, err, body)
			}

			tp.AllowOnce("tracker.example", time.Now().Add(time.Minute))
			sc := newStaleClient(t, early)
			resp, body, err = sc.get("tracker.example", "/article?utm_source=news")
			e := siteAnsweredUntouched(t, "after Allow once, the first request on the connection opened while the host was blocked", resp, body, err)
			checkSignal(t, e.Header, "User-Agent", chromeUA)
			if e.URL != "/article?utm_source=news" {
				t.Errorf("the site got %q, want the address untouched", e.URL)
			}
			if n := o.requests.Load(); n != 1 {
				t.Errorf("the site got %d requests, want 1", n)
			}
			sc.left(t, resp)

			// The browser's next connection is a plain tunnel.
			if got := issuerOf(connectAs(t, tp, chromeUA, "tracker.example:443", both, proto)); got != "upstream test CA" {
				t.Errorf("after Allow once, a new connection: certificate from %q, want the site's own (a tunnel)", got)
			}
		})
	}
}

// HTTPS filtering switched off while an HTTP/2 connection is busy: a new
// request on it reaches the site untouched (it is not refused with 421,
// which a browser may not retry), and the connection is closed with a
// GOAWAY; the request in flight is answered.
func TestStaleFilteredConnectionServedUntouched(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	o := newStaleOrigin(t, upstream, "news.example")
	tp := mitmProxy(t, polaris, upstream, toOrigin(o.addr), signalsOn, HTTPSPolicy{})
	tc := connectAs(t, tp, chromeUA, "news.example:443", polaris.pool, "h2")
	sc := newStaleClient(t, tc)
	type result struct {
		resp *http.Response
		body []byte
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, body, err := sc.get("news.example", "/slow")
		slow <- result{resp, body, err}
	}()
	select {
	case <-o.arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the first request never reached the origin")
	}
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{}); err != nil { // filtering off
		t.Fatal(err)
	}
	resp, body, err := sc.get("news.example", "/after")
	siteAnsweredUntouched(t, "a request after filtering off on the busy connection", resp, body, err)
	close(o.release)
	r := <-slow
	if r.err != nil || r.resp.StatusCode != 200 {
		t.Fatalf("the request in flight when filtering went off: %v %v", r.resp, r.err)
	}
	var first echo
	if err := jsonUnmarshal(r.body, &first); err != nil || first.Header.Get("Dnt") != "1" {
		t.Errorf("the request in flight (filtered when it started): %q %v, want DNT: 1", r.body, err)
	}
	sc.left(t, resp)
}

// Fail closed: with Tor, a request on a stale connection is never sent by
// Polaris itself; the browser retries on a new connection, which the
// settings in force decide (HTTP/1.1: the connection closes unanswered;
// HTTP/2: 421).
func TestStaleConnectionWithTorRefused(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			polaris, _, o, tp := blockedTracker(t, func(r *Route) {
				r.Tor, r.Onion, r.Proxied, r.Name = true, true, true, "tor"
			})
			early := connectAs(t, tp, chromeUA, "tracker.example:443", polaris.pool, proto)
			tp.AllowOnce("tracker.example", time.Now().Add(time.Minute))
			resp, body, err := newStaleClient(t, early).get("tracker.example", "/article")
			switch {
			case proto == "h2" && (err != nil || resp.StatusCode != http.StatusMisdirectedRequest):
				t.Errorf("with Tor, a request on a stale HTTP/2 connection: %v %v %.100q, want 421", resp, err, body)
			case proto != "h2" && err == nil:
				t.Errorf("with Tor, a request on a stale HTTP/1.1 connection was answered %d %.100q, want the connection closed", resp.StatusCode, body)
			}
			if n := o.requests.Load(); n != 0 {
				t.Errorf("with Tor, the site got %d requests from a stale connection, want none", n)
			}
		})
	}
}

// A change of settings drops only the connections it stops intercepting
// (the lists reload, for one, at any time): Polaris's own name is always
// intercepted, and a connection intercepted to answer with the block page
// keeps answering it while its host is blocked. Closing those lost an
// answer in flight, which a browser then sent again (a confirmation's POST
// twice: "This button was already used").
func TestSettingsChangeKeepsConnectionsStillIntercepted(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			polaris, _, o, tp := blockedTracker(t, nil)
			own := newStaleClient(t, connectAs(t, tp, chromeUA, "polaris.invalid:443", polaris.pool, proto))
			page := newStaleClient(t, connectAs(t, tp, chromeUA, "tracker.example:443", polaris.pool, proto))
			check := func(when string) {
				t.Helper()
				if resp, body, err := own.get("polaris.invalid", "/"); err != nil || resp.StatusCode != 200 {
					t.Fatalf("%s: Polaris's status page on its open connection: %v %v %.100q", when, resp, err, body)
				}
				if resp, body, err := page.get("tracker.example", "/article"); err != nil || resp.StatusCode != http.StatusForbidden {
					t.Fatalf("%s: the block page on its open connection: %v %v %.100q", when, resp, err, body)
				}
			}
			check("before")
			tp.SetPolicy(signalsOn) // the same settings again: nothing stops being intercepted
			check("after a change of settings")
			if n := o.requests.Load(); n != 0 {
				t.Errorf("the blocked site got %d requests", n)
			}
		})
	}
}

// siteAnsweredUntouched checks that the request what, sent on a stale
// intercepted connection, got the site's own answer and reached the site
// untouched: none of Polaris's signals, the browser's own fields kept (a
// connection error there is what the browser would show). It returns what
// the site saw.
func siteAnsweredUntouched(t *testing.T, what string, resp *http.Response, body []byte, err error) echo {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v (the browser shows a connection error)", what, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %.200q, want the site's answer", what, resp.StatusCode, body)
	}
	var e echo
	if err := jsonUnmarshal(body, &e); err != nil {
		t.Fatalf("%s: not the site's answer: %q", what, body)
	}
	checkSignal(t, e.Header, "Dnt", "")
	checkSignal(t, e.Header, "Sec-Gpc", "")
	checkSignal(t, e.Header, "X-Kept", "the browser's own")
	return e
}
