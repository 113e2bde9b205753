// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/resolver/dnstest"
	"polaris/internal/testenv"
)

// noPlain is a system resolver that fails the test on any lookup that
// would leave this machine in the clear.
func noPlain(t *testing.T) *net.Resolver { return testenv.NoDNS(t, "in the clear") }

var loop4 = netip.MustParseAddr("127.0.0.1")

// chainZone is a.test -> b.test -> c.test, which has the addresses.
var chainZone = []string{
	"a.test. 300 IN CNAME b.test.",
	"b.test. 300 IN CNAME c.test.",
	"c.test. 120 IN A 127.0.0.1",
	"c.test. 120 IN AAAA ::1",
	"v4.test. 300 IN A 127.0.0.2",
}

func encrypted(t *testing.T, srv *dnstest.Server, proto string, mod ...func(*Config)) *Resolver {
	t.Helper()
	u := srv.DoHURL
	if proto == dnstest.DoT {
		u = srv.DoTURL
	}
	cfg := Config{Server: Server{URL: u}, System: noPlain(t), RootCAs: srv.CA}
	for _, m := range mod {
		m(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

func TestLookupEncrypted(t *testing.T) {
	srv := dnstest.Start(t, chainZone...)
	for _, proto := range []string{dnstest.DoH, dnstest.DoT} {
		t.Run(proto, func(t *testing.T) {
			srv.Reset()
			r := encrypted(t, srv, proto)
			ctx := context.Background()
			ans, err := r.Lookup(ctx, "A.test.")
			if err != nil {
				t.Fatal(err)
			}
			want := Answer{Addrs: []netip.Addr{netip.IPv6Loopback(), loop4}, CNAMEs: []string{"b.test", "c.test"}}
			if diff := cmp.Diff(want, ans, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Lookup(a.test) (-want +got):\n%s", diff)
			}
			// The answer is cached: no second question.
			if _, err := r.Lookup(ctx, "a.test"); err != nil {
				t.Fatal(err)
			}
			if got := r.CNAMEs(ctx, "a.test"); !cmp.Equal(got, want.CNAMEs) {
				t.Errorf("CNAMEs(a.test) = %v, want %v", got, want.CNAMEs)
			}
			if n := srv.Count("a.test", proto); n != 2 { // A and AAAA, once
				t.Errorf("%d questions about a.test over %s, want 2 (A and AAAA, then cached): %v", n, proto, srv.Queries())
			}
			if n := srv.Count("a.test", dnstest.Plain); n != 0 {
				t.Errorf("%d plain questions about a.test", n)
			}
			// IPv4 only: AAAA is empty (NODATA), the A answer counts.
			ans, err = r.Lookup(ctx, "v4.test")
			if err != nil || len(ans.Addrs) != 1 || ans.Addrs[0] != netip.MustParseAddr("127.0.0.2") {
				t.Errorf("Lookup(v4.test) = %v, %v, want [127.0.0.2]", ans, err)
			}
			st := r.Status()
			if !st.Encrypted || st.Hits < 2 || st.Failures != 0 {
				t.Errorf("Status() = %+v, want encrypted, 2+ hits, no failures", st)
			}
		})
	}
}

func TestNotFoundIsCached(t *testing.T) {
	srv := dnstest.Start(t, chainZone...)
	r := encrypted(t, srv, dnstest.DoH)
	for range 3 {
		_, err := r.Lookup(context.Background(), "nx.test")
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound {
			t.Fatalf("Lookup(nx.test) error = %v, want a not-found *net.DNSError", err)
		}
	}
	if n := srv.Count("nx.test", ""); n != 2 {
		t.Errorf("%d questions about nx.test, want 2 (A and AAAA once, then the negative answer cached)", n)
	}
}

// TestUnreachableFailsClosed: with the server down, a lookup fails with
// ErrUnreachable and nothing is asked in the clear (noPlain).
func TestUnreachableFailsClosed(t *testing.T) {
	srv := dnstest.Start(t, chainZone...)
	for _, proto := range []string{dnstest.DoH, dnstest.DoT} {
		t.Run(proto, func(t *testing.T) {
			r := encrypted(t, srv, proto)
			if _, err := r.Lookup(context.Background(), "a.test"); err != nil {
				t.Fatal(err)
			}
			down := dnstest.Start(t)
			down.Stop()
			r2 := encrypted(t, down, proto)
			_, err := r2.Lookup(context.Background(), "c.test")
			if !errors.Is(err, ErrUnreachable) {
				t.Fatalf("Lookup with the server down: error = %v, want ErrUnreachable", err)
			}
			if _, err := r2.DialContext(context.Background(), "tcp", "c.test:80"); !errors.Is(err, ErrUnreachable) {
				t.Errorf("DialContext with the server down: error = %v, want ErrUnreachable", err)
			}
			if st := r2.Status(); st.Failures == 0 || st.LastErr == "" {
				t.Errorf("Status() = %+v, want failures and the last error", st)
			}
		})
	}
}

// TestBootstrapLeaksOnlyTheServerName: a server given by name with no
// address is looked up with the system resolver — that one name, nothing
// else, ever goes out in the clear.
func TestBootstrapLeaksOnlyTheServerName(t *testing.T) {
	srv := dnstest.Start(t, append(chainZone, "dns.test. 300 IN A 127.0.0.1")...)
	for _, proto := range []string{dnstest.DoH, dnstest.DoT} {
		t.Run(proto, func(t *testing.T) {
			srv.Reset()
			u := strings.Replace(srv.DoHURL, "127.0.0.1", "dns.test", 1)
			if proto == dnstest.DoT {
				u = strings.Replace(srv.DoTURL, "127.0.0.1", "dns.test", 1)
			}
			r, err := New(Config{Server: Server{URL: u}, System: srv.Resolver(), RootCAs: srv.CA})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Shutdown(context.Background())
			for _, h := range []string{"a.test", "v4.test", "c.test"} {
				if _, err := r.Lookup(context.Background(), h); err != nil {
					t.Fatalf("Lookup(%s): %v", h, err)
				}
			}
			for _, q := range srv.Queries() {
				if q.Transport == dnstest.Plain && q.Name != "dns.test" {
					t.Errorf("%s was asked in the clear", q.Name)
				}
			}
			if srv.Count("dns.test", dnstest.Plain) == 0 {
				t.Errorf("the server's own name was never looked up: %v", srv.Queries())
			}
			if srv.Count("v4.test", proto) == 0 {
				t.Errorf("v4.test never reached the encrypted server: %v", srv.Queries())
			}
		})
	}
}

func TestSystemMode(t *testing.T) {
	srv := dnstest.Start(t, chainZone...)
	r, err := New(Config{System: srv.Resolver(), Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	ans, err := r.Lookup(context.Background(), "a.test")
	if err != nil {
		t.Fatal(err)
	}
	// The system gives the chain's last name, or the next one when it asks
	// for the CNAME record itself; either way the chain ends with c.test.
	if n := len(ans.CNAMEs); n == 0 || ans.CNAMEs[n-1] != "c.test" || n > 2 || len(ans.Addrs) == 0 {
		t.Errorf("Lookup(a.test) = %+v, want a chain ending with the canonical name c.test, and addresses", ans)
	}
	if r.Encrypted() || r.Status().Encrypted {
		t.Error("system mode says it is encrypted")
	}
	n := srv.Count("a.test", dnstest.Plain)
	r.Lookup(context.Background(), "a.test")
	if m := srv.Count("a.test", dnstest.Plain); m != n {
		t.Errorf("a second lookup asked the system again (%d questions, then %d)", n, m)
	}
}

// TestNeverSent: names that mean nothing outside this machine, or that
// must never be looked up (.onion), are answered without a question.
func TestNeverSent(t *testing.T) {
	srv := dnstest.Start(t, chainZone...)
	r := encrypted(t, srv, dnstest.DoH)
	ctx := context.Background()
	if ans, err := r.Lookup(ctx, "localhost"); err != nil || len(ans.Addrs) == 0 || !ans.Addrs[0].IsLoopback() {
		t.Errorf("Lookup(localhost) = %v, %v, want loopback", ans, err)
	}
	for _, h := range []string{"duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", "x.invalid"} {
		if _, err := r.Lookup(ctx, h); err == nil {
			t.Errorf("Lookup(%s) succeeded", h)
		}
	}
	if ans, err := r.Lookup(ctx, "192.0.2.1"); err != nil || ans.Addrs[0] != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("Lookup(192.0.2.1) = %v, %v", ans, err)
	}
	if q := srv.Queries(); len(q) != 0 {
		t.Errorf("questions were sent: %v", q)
	}
}

func TestDialThroughCache(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }))
	defer origin.Close()
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	srv := dnstest.Start(t, "site.test. 300 IN AAAA ::1", "site.test. 300 IN A 127.0.0.1")
	r := encrypted(t, srv, dnstest.DoT)
	c := &http.Client{Transport: &http.Transport{DialContext: r.DialContext}}
	for range 2 {
		resp, err := c.Get("http://site.test:" + port + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c.CloseIdleConnections()
	}
	if n := srv.Count("site.test", dnstest.DoT); n != 2 {
		t.Errorf("%d questions for two connections, want 2 (A and AAAA once)", n)
	}
}

func TestHTTPSRecordECH(t *testing.T) {
	// An ECHConfigList of one (opaque) config: list length 8, then version
	// fe0d, length 4, 4 bytes.
	ech := []byte{0x00, 0x08, 0xfe, 0x0d, 0x00, 0x04, 1, 2, 3, 4}
	srv := dnstest.Start(t, "ech.test. 300 IN A 127.0.0.1",
		`ech.test. 300 IN HTTPS 1 . alpn="h2" ech="`+b64(ech)+`"`,
		"noech.test. 300 IN A 127.0.0.1")
	r := encrypted(t, srv, dnstest.DoH, func(c *Config) { c.HTTPSRecords = true })
	ans, err := r.Lookup(context.Background(), "ech.test")
	if err != nil || !cmp.Equal(ans.ECH, ech) {
		t.Errorf("Lookup(ech.test).ECH = %x, %v, want %x", ans.ECH, err, ech)
	}
	ans, err = r.Lookup(context.Background(), "noech.test")
	if err != nil || ans.ECH != nil {
		t.Errorf("Lookup(noech.test) = %+v, %v, want addresses and no ECH", ans, err)
	}
	if n := srv.Count("ech.test", dnstest.DoH); n != 3 {
		t.Errorf("%d questions about ech.test, want 3 (AAAA, A, HTTPS)", n)
	}
}

func TestCacheBoundAndTTL(t *testing.T) {
	c := newCache(2)
	now := time.Now()
	c.put("a", Answer{}, nil, time.Minute, now)
	c.put("b", Answer{}, nil, time.Minute, now)
	c.get("a", now) // a is now the most recent
	c.put("c", Answer{}, nil, time.Minute, now)
	if e, _ := c.get("b", now); e != nil {
		t.Error("b is still cached past the bound: the least recently used should have gone")
	}
	if e, fresh := c.get("a", now.Add(59*time.Second)); e == nil || !fresh {
		t.Error("a is not fresh within its TTL")
	}
	if e, fresh := c.get("a", now.Add(61*time.Second)); e == nil || fresh {
		t.Error("a is fresh past its TTL (or gone: expired entries stay for serving stale)")
	}
	if c.len() != 2 {
		t.Errorf("len = %d, want 2", c.len())
	}
	for _, tc := range []struct{ in, want time.Duration }{{0, minTTL}, {time.Second, minTTL}, {5 * time.Minute, 5 * time.Minute}, {48 * time.Hour, maxTTL}} {
		if got := clampTTL(tc.in); got != tc.want {
			t.Errorf("clampTTL(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestStaleChainRefreshes: an expired chain still decides at once, and a
// fresh one is fetched in the background.
func TestStaleChainRefreshes(t *testing.T) {
	srv := dnstest.Start(t, chainZone...)
	r := encrypted(t, srv, dnstest.DoH)
	r.cache.put("a.test", Answer{CNAMEs: []string{"old.test"}}, nil, time.Minute, time.Now().Add(-2*time.Minute))
	if got := r.CNAMEs(context.Background(), "a.test"); !cmp.Equal(got, []string{"old.test"}) {
		t.Errorf("CNAMEs(a.test) = %v, want the stale chain at once", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if e, fresh := r.cache.get("a.test", time.Now()); fresh && cmp.Equal(e.ans.CNAMEs, []string{"b.test", "c.test"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stale chain was not refreshed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestQueriesArePadded(t *testing.T) {
	for _, name := range []string{"a.test", "a-much-longer-name.with.several.labels.example"} {
		q, err := newQuery(name, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(q)%paddingBlock != 0 {
			t.Errorf("query for %s is %d bytes, not a multiple of %d", name, len(q), paddingBlock)
		}
	}
}

func TestBadServerURL(t *testing.T) {
	for _, u := range []string{"http://dns.test/dns-query", "dns.test", "tls://dns.test/path", "https://user:pw@dns.test/"} {
		if _, err := New(Config{Server: Server{URL: u}}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}

func TestInterleave(t *testing.T) {
	a := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, x := range s {
			out = append(out, netip.MustParseAddr(x))
		}
		return out
	}
	got := interleave(a("::1", "::2", "127.0.0.1", "127.0.0.2", "127.0.0.3"))
	want := a("::1", "127.0.0.1", "::2", "127.0.0.2", "127.0.0.3")
	if !cmp.Equal(got, want, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })) {
		t.Errorf("interleave = %v, want %v", got, want)
	}
}

// TestConcurrentLookupsShareOneQuery: many first connections to one host
// at once cost one question per type.
func TestConcurrentLookupsShareOneQuery(t *testing.T) {
	srv := dnstest.Start(t, chainZone...)
	srv.SetDelay(50 * time.Millisecond)
	r := encrypted(t, srv, dnstest.DoH)
	var failed atomic.Int32
	done := make(chan struct{})
	for range 20 {
		go func() {
			if _, err := r.Lookup(context.Background(), "c.test"); err != nil {
				failed.Add(1)
			}
			done <- struct{}{}
		}()
	}
	for range 20 {
		<-done
	}
	if failed.Load() != 0 {
		t.Fatal("lookups failed")
	}
	if n := srv.Count("c.test", ""); n != 2 {
		t.Errorf("%d questions for 20 concurrent lookups, want 2", n)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestDialControl: Config.Control sees every address DialContext is about
// to connect to, after the lookup, and its refusal is the dial's error
// (Polaris refuses this computer's addresses to clients on the network).
func TestDialControl(t *testing.T) {
	srv := dnstest.Start(t, "two.test. 300 IN A 127.0.0.1", "two.test. 300 IN A 127.0.0.2")
	refused := errors.New("refused by Control")
	var mu sync.Mutex
	var seen []string
	r := encrypted(t, srv, dnstest.DoH, func(c *Config) {
		c.Control = func(ctx context.Context, network, address string, _ syscall.RawConn) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, address)
			return refused
		}
	})
	if _, err := r.DialContext(context.Background(), "tcp", "two.test:9"); !errors.Is(err, refused) {
		t.Errorf("DialContext = %v, want the Control's refusal", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || !strings.HasPrefix(seen[0], "127.0.0.") || !strings.HasSuffix(seen[0], ":9") {
		t.Errorf("Control saw %q, want both addresses of two.test, port 9", seen)
	}
}
