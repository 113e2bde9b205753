// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// failResolver fails the test if any name is looked up.
func failResolver(t *testing.T) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("a DNS lookup happened (%s %s) where none may", network, addr)
		return nil, errors.New("no DNS in this test")
	}}
}

// recordingDial dials directly and records the site of every dial.
type recordingDial struct {
	mu    sync.Mutex
	sites []string
	addrs []string
}

func (d *recordingDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.sites = append(d.sites, SiteFromContext(ctx))
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func (d *recordingDial) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sites)
}

func TestIsolatedRouteUsesOnePoolPerSite(t *testing.T) {
	origin, originConns := newOrigin(t)
	rec := &recordingDial{}
	tp := startProxy(t, Config{Route: Route{Dial: rec.dial, Isolate: true, Name: "isolated"}}, Policy{})
	c := tp.client()
	for i := 0; i < 3; i++ {
		for _, site := range []string{"https://one.example/", "https://two.example/"} {
			req := mustRequest("GET", origin.URL+"/")
			req.Header.Set("Referer", site)
			req.Header.Set("Sec-Fetch-Dest", "image")
			getEcho(t, c, req)
		}
	}
	if n := originConns.Load(); n != 2 {
		t.Errorf("two sites over an isolating route used %d upstream connections, want 2 (one each, reused)", n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if strings.Join(rec.sites, ",") != "one.example,two.example" {
		t.Errorf("dials carried sites %q, want one.example then two.example", rec.sites)
	}
}

func TestSetRouteSwitchesEverything(t *testing.T) {
	origin, _ := newOrigin(t)
	first, second := &recordingDial{}, &recordingDial{}
	tp := startProxy(t, Config{Route: Route{Dial: first.dial, Name: "first"}}, Policy{})
	c := tp.client()
	getEcho(t, c, mustRequest("GET", origin.URL+"/"))

	// An open tunnel on the first route.
	tunnel, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer tunnel.Close()
	addr := strings.TrimPrefix(origin.URL, "http://")
	io.WriteString(tunnel, "CONNECT "+addr+" HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	buf := make([]byte, 64)
	tunnel.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := tunnel.Read(buf); err != nil || !strings.Contains(string(buf[:n]), "200") {
		t.Fatalf("tunnel not established: %q %v", buf[:n], err)
	}

	tp.SetRoute(Route{Dial: second.dial, Name: "second"})
	// The tunnel on the old route is cut.
	tunnel.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := tunnel.Read(buf); err == nil {
		t.Error("a tunnel of the old route survived SetRoute")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("a tunnel of the old route is still open after SetRoute")
	}
	// The kept-alive client connection's next request takes the new route,
	// even though an idle upstream connection of the old route existed.
	before := first.count()
	getEcho(t, c, mustRequest("GET", origin.URL+"/"))
	if first.count() != before || second.count() != 1 {
		t.Errorf("after SetRoute: old route dialled %d more, new route %d; want 0 and 1", first.count()-before, second.count())
	}
}

func TestRefusingRouteFailsClosed(t *testing.T) {
	origin, originConns := newOrigin(t)
	refusal := &Refusal{Code: 503, Title: "Tor is not connected", Text: "Polaris is connecting to Tor. Nothing was sent."}
	var dials atomic.Int64
	tp := startProxy(t, Config{Route: Route{Name: "tor", Isolate: true, Onion: true, Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
		dials.Add(1)
		return nil, refusal
	}}}, Policy{})
	req := mustRequest("GET", origin.URL+"/")
	req.Header.Set("Accept", "text/html")
	resp, err := tp.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "Tor is not connected") {
		t.Errorf("HTTP through a refusing route: %d %s", resp.StatusCode, b)
	}
	addr := strings.TrimPrefix(origin.URL, "http://")
	r2, body := rawExchange(t, tp.Addr(), "CONNECT "+addr+" HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	if r2.StatusCode != 503 || !strings.Contains(body, "Tor is not connected") {
		t.Errorf("CONNECT through a refusing route: %d %q", r2.StatusCode, body)
	}
	if originConns.Load() != 0 {
		t.Error("the origin was reached although the route refused")
	}
}

func TestOnionWithoutTor(t *testing.T) {
	rec := &recordingDial{}
	tp := startProxy(t, Config{Resolver: failResolver(t), Route: Route{Dial: rec.dial}}, Policy{})
	const onion = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
	req := mustRequest("GET", "http://"+onion+"/")
	req.Header.Set("Accept", "text/html")
	resp, err := tp.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 502 || !strings.Contains(string(b), "onion") || !strings.Contains(string(b), "Turn on Tor") {
		t.Errorf(".onion without Tor: %d %s", resp.StatusCode, b)
	}
	r2, body := rawExchange(t, tp.Addr(), "CONNECT "+onion+":443 HTTP/1.1\r\nHost: "+onion+":443\r\n\r\n")
	if r2.StatusCode != 502 || !strings.Contains(body, "onion") {
		t.Errorf("CONNECT .onion without Tor: %d %q", r2.StatusCode, body)
	}
	if rec.count() != 0 {
		t.Errorf("an .onion address was dialled without Tor: %q", rec.addrs)
	}
}

func TestOnionThroughOnionRoute(t *testing.T) {
	rec := &recordingDial{}
	tp := startProxy(t, Config{Route: Route{Name: "tor", Onion: true, Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
		rec.mu.Lock()
		rec.addrs = append(rec.addrs, a)
		rec.mu.Unlock()
		return nil, &Refusal{Code: 502, Title: "Onion service unreachable", Text: "x"}
	}}}, Policy{})
	resp, err := tp.client().Get("http://abcdefghijklmnop.onion/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.addrs) != 1 || rec.addrs[0] != "abcdefghijklmnop.onion:80" {
		t.Errorf("with an onion-capable route the .onion name must reach the dialer unresolved; dials: %q", rec.addrs)
	}
}

// A request that arrived on the direct route and waits (held while the
// lists load) must not go out directly once the route has changed to Tor
// meanwhile: the route is taken when the request goes out.
func TestHeldRequestTakesTheNewRoute(t *testing.T) {
	origin, conns := newOrigin(t)
	tp := startProxy(t, Config{}, Policy{Protection: true})
	tp.Hold("the lists are being loaded")
	type res struct {
		code int
		err  error
	}
	got := make(chan res, 1)
	go func() {
		resp, err := tp.client().Get(origin.URL + "/page")
		if err != nil {
			got <- res{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- res{code: resp.StatusCode}
	}()
	time.Sleep(100 * time.Millisecond) // the request is held (if not yet, it takes the new route anyway)
	tp.SetRoute(Route{Name: "tor", Onion: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &Refusal{Code: 503, Title: "Tor is not connected", Text: "Nothing was sent."}
	}})
	tp.Release()
	r := <-got
	if r.err != nil || r.code != 503 {
		t.Errorf("held request after the route changed to Tor: %d %v, want Tor's 503 refusal", r.code, r.err)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the origin saw %d direct connection(s) after the route changed to Tor", n)
	}
}

// ResetConnections at the same moment as SetRoute (a new Tor identity
// while the user switches Tor off, say) never puts the replaced route
// back, and it drops the idle upstream connections.
func TestResetConnectionsKeepsTheNewRoute(t *testing.T) {
	origin, conns := newOrigin(t)
	tp := startProxy(t, Config{}, Policy{Protection: true})
	c := tp.client()
	get := func() {
		resp, err := c.Get(origin.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	get()
	if n := conns.Load(); n != 1 {
		t.Fatalf("two requests used %d upstream connections, want 1 (kept alive)", n)
	}
	tp.ResetConnections()
	get()
	if n := conns.Load(); n != 2 {
		t.Errorf("after ResetConnections the request used an old upstream connection (%d connections, want 2)", n)
	}
	if got := tp.Route().Name; got != "direct" {
		t.Errorf("route after ResetConnections: %q, want direct", got)
	}
	for i := range 200 {
		name := []string{"a", "b"}[i%2]
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); tp.SetRoute(Route{Name: name}) }()
		go func() { defer wg.Done(); tp.ResetConnections() }()
		wg.Wait()
		if got := tp.Route().Name; got != name {
			t.Fatalf("round %d: route %q after SetRoute(%q) and ResetConnections at once", i, got, name)
		}
	}
}
