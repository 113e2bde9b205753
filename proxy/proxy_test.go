// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
	"polaris/internal/testenv"
)

// echo is what the test origin saw of a request.
type echo struct {
	Method string
	URL    string
	Header http.Header
	// Raw holds the header lines exactly as received (names as spelled).
	Raw []string
}

// newOrigin starts an HTTP origin on 127.0.0.1 that answers every request
// with the headers it received, as JSON. Special paths: /slow sleeps, /hang
// never answers.
func newOrigin(t testing.TB) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(originHandler())
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func originHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			time.Sleep(400 * time.Millisecond)
		case "/hang":
			<-r.Context().Done()
			return
		case "/hop":
			w.Header().Set("Connection", "X-Resp-Hop")
			w.Header().Set("X-Resp-Hop", "secret")
			w.Header().Set("Keep-Alive", "timeout=5")
			w.Header().Set("Proxy-Authenticate", "Basic")
			w.Header().Set("X-End-To-End", "kept")
		}
		e := echo{Method: r.Method, URL: r.URL.String(), Header: r.Header}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(e)
	})
}

type testProxy struct {
	*Proxy
	url *url.URL
}

func startProxy(t testing.TB, cfg Config, pol Policy) *testProxy {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.ReservedHost == "" {
		cfg.ReservedHost = settings.ReservedHost
	}
	if cfg.Logf == nil {
		cfg.Logf = testenv.Logf(t)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.SetPolicy(pol)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(ctx)
	})
	u, _ := url.Parse("http://" + p.Addr())
	return &testProxy{Proxy: p, url: u}
}

func (tp *testProxy) client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{Proxy: http.ProxyURL(tp.url), DisableCompression: true},
		Timeout:   10 * time.Second,
	}
}

func getEcho(t *testing.T, c *http.Client, req *http.Request) echo {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: status %d: %s", req.Method, req.URL, resp.StatusCode, b)
	}
	var e echo
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	return e
}

// The full signal matrix: three DNT states × GPC on/off × a site exception,
// for navigations and subresources.
func TestSignalsMatrix(t *testing.T) {
	origin, _ := newOrigin(t)
	// The origin is reached as "127.0.0.1"; exceptions are keyed by site.
	// A navigation's site is its own host, whatever page it came from; a
	// subresource's comes from Origin, else from Referer.
	const excepted = "excepted.example"
	for _, dnt := range []settings.DNT{settings.DNTUnset, settings.DNTDoNotTrack, settings.DNTAllowTracking} {
		for _, gpc := range []bool{false, true} {
			for _, exc := range []string{"", "off", "0", "1", "unset"} {
				pol := Policy{Protection: true, DNT: dnt, GPC: gpc}
				if exc != "" {
					e, err := settings.ParseSiteException(excepted + "=" + exc)
					if err != nil {
						t.Fatal(err)
					}
					pol.Exceptions = []settings.SiteException{e}
				}
				tp := startProxy(t, Config{}, pol)
				c := tp.client()
				for _, kind := range []string{"navigation", "navigation-from-excepted-site", "subresource-other-site",
					"subresource-excepted-site", "fetch-excepted-origin"} {
					name := fmt.Sprintf("dnt=%s/gpc=%v/exception=%q/%s", dnt, gpc, exc, kind)
					t.Run(name, func(t *testing.T) {
						req, _ := http.NewRequest("GET", origin.URL+"/x", nil)
						site := "127.0.0.1"
						switch kind {
						case "navigation":
							req.Header.Set("Sec-Fetch-Dest", "document")
							req.Header.Set("Sec-Fetch-Mode", "navigate")
						case "navigation-from-excepted-site":
							// A link or form on the excepted site leads
							// to another: the exception stays behind.
							req.Method = http.MethodPost
							req.Header.Set("Sec-Fetch-Dest", "document")
							req.Header.Set("Sec-Fetch-Mode", "navigate")
							req.Header.Set("Origin", "https://www."+excepted)
							req.Header.Set("Referer", "https://www."+excepted+"/form")
						case "subresource-other-site":
							req.Header.Set("Sec-Fetch-Dest", "image")
							req.Header.Set("Referer", "https://news.other.example/page")
							site = "other.example"
						case "subresource-excepted-site":
							req.Header.Set("Sec-Fetch-Dest", "script")
							req.Header.Set("Referer", "https://www."+excepted+"/article?id=1")
							site = excepted
						case "fetch-excepted-origin":
							// fetch() under a no-referrer policy: only
							// Origin names the page.
							req.Header.Set("Sec-Fetch-Dest", "empty")
							req.Header.Set("Sec-Fetch-Mode", "cors")
							req.Header.Set("Origin", "https://www."+excepted)
							site = excepted
						}
						wantDNT, wantGPC := dnt.Header(), gpc
						if site == excepted && exc != "" {
							if exc == "off" {
								wantDNT, wantGPC = "", false
							} else {
								d, _ := settings.ParseDNT(exc)
								wantDNT = d.Header()
							}
						}
						e := getEcho(t, c, req)
						checkSignal(t, e.Header, "Dnt", wantDNT)
						if wantGPC {
							checkSignal(t, e.Header, "Sec-Gpc", "1")
						} else {
							checkSignal(t, e.Header, "Sec-Gpc", "")
						}
					})
				}
			}
		}
	}
}

func checkSignal(t *testing.T, h http.Header, name, want string) {
	t.Helper()
	got := h.Values(name)
	switch {
	case want == "" && len(got) != 0:
		t.Errorf("origin got %s %q, want none", name, got)
	case want != "" && !cmp.Equal(got, []string{want}):
		t.Errorf("origin got %s %q, want exactly [%q]", name, got, want)
	}
}

// Browser-sent and duplicate signal headers.
func TestSignalsWithBrowserHeaders(t *testing.T) {
	origin, _ := newOrigin(t)
	for _, tc := range []struct {
		name            string
		pol             Policy
		sent            map[string][]string
		wantDNT, wantGP []string
	}{
		{"unset keeps the browser's DNT as is", Policy{Protection: true}, map[string][]string{"Dnt": {"0", "0"}}, []string{"0", "0"}, nil},
		{"1 replaces duplicates", Policy{Protection: true, DNT: settings.DNTDoNotTrack}, map[string][]string{"Dnt": {"0", "1"}}, []string{"1"}, nil},
		{"0 replaces the browser's 1", Policy{Protection: true, DNT: settings.DNTAllowTracking}, map[string][]string{"Dnt": {"1"}}, []string{"0"}, nil},
		{"gpc on with the browser's own Sec-GPC: exactly one", Policy{Protection: true, GPC: true}, map[string][]string{"Sec-Gpc": {"1", "1"}}, nil, []string{"1"}},
		{"gpc off never removes the browser's Sec-GPC", Policy{Protection: true}, map[string][]string{"Sec-Gpc": {"1"}}, nil, []string{"1"}},
		{"protection off leaves everything", Policy{Protection: false, DNT: settings.DNTDoNotTrack, GPC: true}, map[string][]string{"Dnt": {"0"}}, []string{"0"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := startProxy(t, Config{}, tc.pol)
			req, _ := http.NewRequest("GET", origin.URL+"/", nil)
			for k, v := range tc.sent {
				req.Header[k] = v
			}
			e := getEcho(t, tp.client(), req)
			if got := e.Header.Values("Dnt"); !cmp.Equal(got, tc.wantDNT, cmpEmpty) {
				t.Errorf("DNT = %q, want %q", got, tc.wantDNT)
			}
			if got := e.Header.Values("Sec-Gpc"); !cmp.Equal(got, tc.wantGP, cmpEmpty) {
				t.Errorf("Sec-GPC = %q, want %q", got, tc.wantGP)
			}
		})
	}
}

var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

// rawExchange sends raw bytes to addr and returns the response.
func rawExchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// Hop-by-hop headers go no further, in either direction, and the proxy adds
// nothing that identifies the user or itself.
func TestHeadersOnTheWire(t *testing.T) {
	var mu sync.Mutex
	var raw []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				var lines []string
				for {
					l, err := br.ReadString('\n')
					if err != nil {
						return
					}
					l = strings.TrimRight(l, "\r\n")
					if l == "" {
						break
					}
					lines = append(lines, l)
				}
				mu.Lock()
				raw = lines
				mu.Unlock()
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: X-Resp-Hop\r\nX-Resp-Hop: secret\r\nKeep-Alive: timeout=5\r\nX-End-To-End: kept\r\n\r\nok")
			}(c)
		}
	}()
	tp := startProxy(t, Config{}, Policy{Protection: true, DNT: settings.DNTDoNotTrack})
	req := "GET http://" + ln.Addr().String() + "/path?q=1 HTTP/1.1\r\n" +
		"Host: " + ln.Addr().String() + "\r\n" +
		"Accept: */*\r\n" +
		"Connection: keep-alive, X-Hop\r\n" +
		"X-Hop: must-not-pass\r\n" +
		"Keep-Alive: 300\r\n" +
		"Proxy-Connection: keep-alive\r\n" +
		"Proxy-Authorization: Basic dTpw\r\n" +
		"TE: gzip\r\n" +
		"Upgrade: h2c\r\n" +
		"Cookie: a=b\r\n" +
		"\r\n"
	resp, body := rawExchange(t, tp.Addr(), req)
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	for _, h := range []string{"X-Resp-Hop", "Keep-Alive"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("client got upstream hop-by-hop %s: %q", h, v)
		}
	}
	if resp.Header.Get("X-End-To-End") != "kept" {
		t.Error("an end-to-end response header was lost")
	}
	if resp.Close {
		t.Error("the upstream's Connection: close reached the client connection")
	}
	mu.Lock()
	got := raw
	mu.Unlock()
	want := []string{
		"GET /path?q=1 HTTP/1.1",
		"Host: " + ln.Addr().String(),
		"Accept: */*",
		"Cookie: a=b",
		"Dnt: 1",
	}
	gotSet := map[string]bool{}
	for _, l := range got {
		gotSet[l] = true
	}
	for _, w := range want {
		if !gotSet[w] {
			t.Errorf("origin did not get %q; got %q", w, got)
		}
	}
	for _, l := range got[1:] {
		name, _, _ := strings.Cut(l, ":")
		switch strings.ToLower(name) {
		case "host", "accept", "cookie", "dnt":
		default:
			t.Errorf("origin got a header the client did not send end-to-end: %q", l)
		}
	}
}

func TestUpstreamErrors(t *testing.T) {
	// A port with nothing listening.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	origin, _ := newOrigin(t)
	dns := startNXDomainServer(t)
	tp := startProxy(t, Config{
		ResponseHeaderTimeout: 300 * time.Millisecond,
		Resolver:              dns,
	}, Policy{})
	for _, tc := range []struct {
		name, url string
		code      int
		words     string
	}{
		{"refused", "http://" + closed + "/", 502, "refused the connection"},
		{"dns", "http://no-such-host.example/", 502, "could not find the server no-such-host.example"},
		{"timeout", origin.URL + "/hang", 504, "did not answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tc.url, nil)
			req.Header.Set("Accept", "text/html")
			resp, err := tp.client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.code)
			}
			if !strings.Contains(string(b), tc.words) || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("page does not say %q: %s", tc.words, b)
			}
		})
	}
	t.Run("connect refused", func(t *testing.T) {
		resp, body := rawExchange(t, tp.Addr(), "CONNECT "+closed+" HTTP/1.1\r\nHost: "+closed+"\r\n\r\n")
		if resp.StatusCode != 502 || !strings.Contains(body, "refused") {
			t.Errorf("CONNECT to a closed port: %d %q", resp.StatusCode, body)
		}
	})
}

func TestBadClientInput(t *testing.T) {
	tp := startProxy(t, Config{ReadHeaderTimeout: 300 * time.Millisecond}, Policy{})
	t.Run("malformed request line", func(t *testing.T) {
		resp, _ := rawExchange(t, tp.Addr(), "THIS IS NOT HTTP\r\n\r\n")
		if resp.StatusCode != 400 {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
	t.Run("malformed header", func(t *testing.T) {
		resp, _ := rawExchange(t, tp.Addr(), "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
		if resp.StatusCode != 400 {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
	t.Run("unsupported scheme", func(t *testing.T) {
		resp, _ := rawExchange(t, tp.Addr(), "GET ftp://127.0.0.1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		if resp.StatusCode != 400 {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
	t.Run("CONNECT without port", func(t *testing.T) {
		resp, _ := rawExchange(t, tp.Addr(), "CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
		if resp.StatusCode != 400 {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
	t.Run("oversized header", func(t *testing.T) {
		big := strings.Repeat("a", DefaultMaxHeaderBytes+4096)
		resp, _ := rawExchange(t, tp.Addr(), "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: x\r\nX-Big: "+big+"\r\n\r\n")
		if resp.StatusCode != 431 {
			t.Errorf("status = %d, want 431", resp.StatusCode)
		}
	})
	t.Run("slow client cut off", func(t *testing.T) {
		c, err := net.Dial("tcp", tp.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: x\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the proxy kept a client that never finished its headers for 5 s (timeout is 300 ms)")
		}
	})
	// The proxy is still healthy after all that.
	resp, _ := rawExchange(t, tp.Addr(), "GET http://"+settings.ReservedHost+"/ HTTP/1.1\r\nHost: "+settings.ReservedHost+"\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Errorf("status page after bad input: %d", resp.StatusCode)
	}
}

func TestConcurrentKeepAliveClients(t *testing.T) {
	origin, originConns := newOrigin(t)
	tp := startProxy(t, Config{}, Policy{Protection: true, DNT: settings.DNTDoNotTrack, GPC: true})
	const clients, perClient = 200, 5
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := tp.client()
			defer c.CloseIdleConnections()
			for j := 0; j < perClient; j++ {
				path := fmt.Sprintf("/client/%d/req/%d", i, j)
				resp, err := c.Get(origin.URL + path)
				if err != nil {
					errs <- err
					return
				}
				var e echo
				err = json.NewDecoder(resp.Body).Decode(&e)
				resp.Body.Close()
				if err != nil || e.URL != path || e.Header.Get("Dnt") != "1" {
					errs <- fmt.Errorf("client %d: got %+v (%v), want path %s with DNT 1", i, e, err, path)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := originConns.Load(); n >= clients*perClient/2 {
		t.Errorf("origin saw %d connections for %d requests: upstream keep-alive is not working", n, clients*perClient)
	}
}

func TestKeepAliveBothSides(t *testing.T) {
	origin, originConns := newOrigin(t)
	tp := startProxy(t, Config{}, Policy{})
	var clientConns atomic.Int64
	tr := &http.Transport{
		Proxy: http.ProxyURL(tp.url),
		DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
			clientConns.Add(1)
			return (&net.Dialer{}).DialContext(ctx, n, a)
		},
	}
	c := &http.Client{Transport: tr}
	for i := 0; i < 20; i++ {
		resp, err := c.Get(origin.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if clientConns.Load() != 1 || originConns.Load() != 1 {
		t.Errorf("20 sequential requests used %d client and %d upstream connections, want 1 and 1", clientConns.Load(), originConns.Load())
	}
}

func TestGracefulShutdown(t *testing.T) {
	arrived := make(chan struct{}, 1)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		time.Sleep(400 * time.Millisecond)
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	p, err := New(Config{Listen: "127.0.0.1:0", Logf: testenv.Logf(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://" + p.Addr())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.Get(origin.URL + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- result{code: resp.StatusCode}
	}()
	select { // the request is in flight
	case <-arrived:
	case r := <-done:
		t.Fatalf("the request ended before Shutdown: %d %v", r.code, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not reach the origin")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	r := <-done
	if r.err != nil || r.code != 200 {
		t.Errorf("in-flight request during shutdown: %d %v, want 200", r.code, r.err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("the proxy still accepts connections after Shutdown")
	}
}

// Shutdown gives a request inside a CONNECT tunnel the same grace as a
// plain one: a slow HTTPS answer still arrives, an idle tunnel (browsers
// keep them open for minutes) does not delay the exit, and a tunnel still
// busy at the deadline is cut. Intercepted HTTPS behaves like plain
// keep-alive: the request in progress finishes, then the connection closes.
func TestGracefulShutdownTunnels(t *testing.T) {
	arrived := make(chan struct{}, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/think":
			arrived <- struct{}{}
			// Silent for longer than a tunnel may be quiet: only the
			// unanswered request shows the tunnel is busy.
			time.Sleep(800 * time.Millisecond)
		case "/hang":
			arrived <- struct{}{}
			<-r.Context().Done()
			return
		}
		io.WriteString(w, "answer")
	})
	origin := httptest.NewTLSServer(handler)
	defer origin.Close()
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	leaf := upstream.leaf(t, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	mitmOrigin := httptest.NewUnstartedServer(handler)
	mitmOrigin.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	mitmOrigin.StartTLS()
	defer mitmOrigin.Close()

	type started struct {
		p          *Proxy
		tp         *testProxy
		roots      *x509.CertPool // what the clients trust
		busy, idle *http.Client   // clients with a tunnel each
	}
	start := func(t *testing.T, intercept, h2 bool) started {
		cfg := Config{Listen: "127.0.0.1:0", Logf: testenv.Logf(t)}
		roots := origin.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		if intercept {
			cfg.TLSConfigForHost, cfg.RootCAs, roots = polaris.tlsConfigForHost, upstream.pool, polaris.pool
		}
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p.SetPolicy(Policy{Protection: true})
		p.SetHTTPSPolicy(HTTPSPolicy{Filter: intercept})
		if err := p.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse("http://" + p.Addr())
		client := func() *http.Client {
			return &http.Client{Transport: &http.Transport{
				Proxy:             http.ProxyURL(u),
				TLSClientConfig:   &tls.Config{RootCAs: roots},
				ForceAttemptHTTP2: h2,
			}}
		}
		return started{p, &testProxy{Proxy: p, url: u}, roots, client(), client()}
	}
	get := func(c *http.Client, u string) (string, error) {
		resp, err := c.Get(u)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if c.Transport.(*http.Transport).ForceAttemptHTTP2 && resp.ProtoMajor != 2 {
			return "", fmt.Errorf("%s over %s, want HTTP/2", u, resp.Proto)
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	type result struct {
		body string
		err  error
	}
	// inFlight starts GET u on c and returns once the origin has it.
	inFlight := func(t *testing.T, c *http.Client, u string) <-chan result {
		done := make(chan result, 1)
		go func() {
			body, err := get(c, u)
			done <- result{body, err}
		}()
		select {
		case <-arrived:
		case r := <-done:
			t.Fatalf("GET %s before shutdown: %q, %v", u, r.body, r.err)
		}
		return done
	}
	shutdown := func(p *Proxy, grace time.Duration) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		t0 := time.Now()
		err := p.Shutdown(ctx)
		return time.Since(t0), err
	}

	for _, tc := range []struct {
		name      string
		intercept bool
		h2        bool // the client speaks HTTP/2 inside the tunnel
		url       string
	}{
		{"tunnel", false, false, origin.URL},
		{"intercepted", true, false, mitmOrigin.URL},
		{"intercepted HTTP/2", true, true, mitmOrigin.URL},
	} {
		t.Run(tc.name+"/slow answer finishes, idle tunnel does not wait", func(t *testing.T) {
			s := start(t, tc.intercept, tc.h2)
			if body, err := get(s.idle, tc.url+"/"); err != nil || body != "answer" {
				t.Fatalf("GET / = %q, %v", body, err)
			}
			done := inFlight(t, s.busy, tc.url+"/think")
			d, err := shutdown(s.p, 30*time.Second)
			if err != nil {
				t.Errorf("Shutdown = %v, want nil", err)
			}
			if r := <-done; r.err != nil || r.body != "answer" {
				t.Errorf("request in flight during shutdown: %q, %v; want its answer", r.body, r.err)
			}
			// The answer takes 0.8 s; the idle tunnel must not hold the
			// exit until the 30 s deadline (10 s: room for a loaded machine).
			if d > 10*time.Second {
				t.Errorf("Shutdown took %v with an idle tunnel open, want about 0.8 s", d)
			}
			if n := s.p.Status().Active; n != 0 {
				t.Errorf("%d connections open after Shutdown, want 0", n)
			}
		})
		t.Run(tc.name+"/idle tunnel closed at once", func(t *testing.T) {
			s := start(t, tc.intercept, tc.h2)
			if body, err := get(s.idle, tc.url+"/"); err != nil || body != "answer" {
				t.Fatalf("GET / = %q, %v", body, err)
			}
			// A preconnected tunnel: a TLS handshake and no request yet.
			pre := connectTLS(t, s.tp, strings.TrimPrefix(tc.url, "https://"), s.roots, nil)
			defer pre.Close()
			time.Sleep(100 * time.Millisecond) // the proxy finishes its side of the handshake
			d, err := shutdown(s.p, 30*time.Second)
			if err != nil || d > 10*time.Second {
				t.Errorf("Shutdown with only idle tunnels = %v after %v, want nil well before the 30 s deadline", err, d)
			}
		})
		t.Run(tc.name+"/busy at the deadline is cut", func(t *testing.T) {
			s := start(t, tc.intercept, tc.h2)
			done := inFlight(t, s.busy, tc.url+"/hang")
			d, err := shutdown(s.p, 300*time.Millisecond)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v, want the deadline's error", err)
			}
			if d > 5*time.Second {
				t.Errorf("Shutdown with a hung tunnel took %v; the grace period is 300 ms", d)
			}
			select {
			case r := <-done:
				if r.err == nil {
					t.Errorf("hung request = %q, want an error", r.body)
				}
			case <-time.After(3 * time.Second):
				t.Error("the hung tunnel is still open 3 s after the deadline")
			}
		})
	}
}

func TestShutdownIsBounded(t *testing.T) {
	origin, _ := newOrigin(t)
	p, err := New(Config{Listen: "127.0.0.1:0", Logf: testenv.Logf(t)})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	u, _ := url.Parse("http://" + p.Addr())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}}
	go c.Get(origin.URL + "/hang")
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	p.Shutdown(ctx)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Shutdown with a hung request took %v; the grace period is 300 ms", d)
	}
}

func TestConnectTunnelUntouched(t *testing.T) {
	origin := httptest.NewTLSServer(originHandler())
	defer origin.Close()
	tp := startProxy(t, Config{}, Policy{Protection: true, DNT: settings.DNTDoNotTrack, GPC: true})
	tr := origin.Client().Transport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(tp.url)
	c := &http.Client{Transport: tr}
	req, _ := http.NewRequest("GET", origin.URL+"/secure", nil)
	req.Header.Set("Dnt", "0")
	e := getEcho(t, c, req)
	// Without HTTPS filtering the proxy cannot and must not change HTTPS.
	if got := e.Header.Values("Dnt"); !cmp.Equal(got, []string{"0"}) {
		t.Errorf("DNT inside the tunnel = %q, want the browser's [0]", got)
	}
	if got := e.Header.Values("Sec-Gpc"); len(got) != 0 {
		t.Errorf("Sec-GPC inside the tunnel = %q, want none", got)
	}
	// The client saw the origin's own certificate.
	resp, err := c.Get(origin.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !resp.TLS.PeerCertificates[0].Equal(origin.Certificate()) {
		t.Error("the tunnel did not pass the origin's certificate through")
	}
}

func TestWebSocketPassesThrough(t *testing.T) {
	// A minimal WebSocket-style upgrade: 101, then echo bytes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n")
		io.Copy(c, br)
	}()
	tp := startProxy(t, Config{}, Policy{Protection: true, GPC: true})
	c, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	addr := ln.Addr().String()
	io.WriteString(c, "GET http://"+addr+"/ws HTTP/1.1\r\nHost: "+addr+"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	io.WriteString(c, "ping-frame")
	buf := make([]byte, len("ping-frame"))
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping-frame" {
		t.Errorf("echo through the upgraded connection = %q, %v", buf, err)
	}
}

func TestProxyAuth(t *testing.T) {
	origin, _ := newOrigin(t)
	tp := startProxy(t, Config{Auth: "alice:s3cret-and-more"}, Policy{})
	resp, err := tp.client().Get(origin.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 407 || !strings.HasPrefix(resp.Header.Get("Proxy-Authenticate"), "Basic") {
		t.Errorf("without credentials: %d %q, want 407 with a Basic challenge", resp.StatusCode, resp.Header.Get("Proxy-Authenticate"))
	}
	bad := *tp.url
	bad.User = url.UserPassword("alice", "wrong")
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&bad)}}
	resp, err = c.Get(origin.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 407 {
		t.Errorf("with a wrong password: %d, want 407", resp.StatusCode)
	}
	good := *tp.url
	good.User = url.UserPassword("alice", "s3cret-and-more")
	c = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&good)}}
	e := getEcho(t, c, mustRequest("GET", origin.URL+"/"))
	if e.Header.Get("Proxy-Authorization") != "" {
		t.Error("Proxy-Authorization was forwarded to the origin")
	}
	// CONNECT needs credentials too.
	resp2, _ := rawExchange(t, tp.Addr(), "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n")
	if resp2.StatusCode != 407 {
		t.Errorf("CONNECT without credentials: %d, want 407", resp2.StatusCode)
	}
}

func TestReservedHostServedLocally(t *testing.T) {
	tp := startProxy(t, Config{}, Policy{Protection: true, DNT: settings.DNTDoNotTrack})
	resp, err := tp.client().Get("http://" + settings.ReservedHost + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Polaris is running") || !strings.Contains(string(b), "DNT: 1") {
		t.Errorf("status page: %d %s", resp.StatusCode, b)
	}
	// A plain request to the proxy's own port is local too (no loop).
	resp, err = http.Get(tp.url.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("direct request to the proxy port: %d", resp.StatusCode)
	}
	// An absolute URL naming the proxy itself must not loop.
	resp, err = tp.client().Get(tp.url.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("proxy asked for itself: %d", resp.StatusCode)
	}
}

func mustRequest(method, u string) *http.Request {
	r, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return r
}

// startNXDomainServer runs a DNS server on 127.0.0.1 that answers every
// query with NXDOMAIN, and returns a resolver that uses only it.
func startNXDomainServer(t testing.TB) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			resp := append([]byte(nil), buf[:n]...)
			resp[2] = 0x81 | (buf[2] & 0x01) // QR, opcode 0, RD copied
			resp[3] = 0x83                   // RA, RCODE 3 (NXDOMAIN)
			// ANCOUNT, NSCOUNT, ARCOUNT = 0; keep the question.
			resp[6], resp[7], resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0, 0, 0
			pc.WriteTo(resp, addr)
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "udp", addr)
		},
	}
}
