// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"polaris/blocklist"
)

// TestNewCircuitForOneSite: on the Tor route, a page Tor could not load
// links to a confirmation page on the reserved host; only that page's
// button (its origin, its one-use token) gives the site new circuits. A web
// page cannot: not with a cross-site POST, not with a forged or reused
// token, not without Tor.
func TestNewCircuitForOneSite(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	calls := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), asked...)
	}
	m := compileRules(t, blocklist.Options{}, "||tracker.test^")
	tp, _ := startBlockProxy(t, m, BlockConfig{NewCircuit: func(ctx context.Context, site string) error {
		mu.Lock()
		asked = append(asked, site)
		mu.Unlock()
		return nil
	}})
	torRoute := Route{Tor: true, Proxied: true, Isolate: true, Name: "tor", Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &Refusal{Code: 502, Title: "The site cannot be reached through Tor", Text: "Tor could not connect.", NewCircuit: true}
	}}
	tp.SetRoute(torRoute)
	c := noRedirects(tp.client())
	const page = "http://www.slow.test/article?id=3"

	resp, body := do(t, c, browserGet(t, page, navigation))
	if resp.StatusCode != 502 || strings.Contains(string(body), "token") {
		t.Fatalf("page Tor could not load: %d (a token on it: %v)", resp.StatusCode, strings.Contains(string(body), "token"))
	}
	link := confirmLinks(t, string(body))["newcircuit"]
	if q := mustURL(t, link).Query(); q.Get("target") != "slow.test" || q.Get("return") != page {
		t.Fatalf("new-circuit link %q in %s", link, body)
	}
	formOf := func(link string, h map[string]string) (int, string, url.Values) {
		t.Helper()
		resp, body := do(t, c, browserGet(t, link, h))
		for action, f := range pageForms(string(body)) {
			return resp.StatusCode, action, f
		}
		return resp.StatusCode, "", nil
	}
	nav := map[string]string{"Accept": "text/html", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"}
	code, action, form := formOf(link, nav)
	if code != 200 || action != "/tor/new-circuit" || form.Get("target") != "slow.test" || form.Get("return") != page || form.Get("token") == "" {
		t.Fatalf("confirmation page: %d, form %s %v", code, action, form)
	}
	if code, _, _ := formOf(link, map[string]string{"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"}); code != 403 {
		t.Errorf("confirmation page in a frame: %d, want 403", code)
	}
	fromPage := map[string]string{"Origin": "http://polaris.invalid", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	other := url.Values{"target": {"other.test"}, "return": {form.Get("return")}, "token": {form.Get("token")}}
	for _, r := range []struct {
		name string
		form url.Values
		h    map[string]string
	}{
		{"cross-site POST without token", url.Values{"target": {"slow.test"}}, map[string]string{"Origin": "http://evil.test"}},
		{"right token, from the site", form, map[string]string{"Origin": "http://www.slow.test"}},
		{"right token, a fetch", form, map[string]string{"Origin": "http://polaris.invalid", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}},
		{"token of another site", other, fromPage},
		{"no token", url.Values{"target": {"slow.test"}}, fromPage},
	} {
		if resp := post(t, c, "http://polaris.invalid/tor/new-circuit", r.form, r.h); resp.StatusCode != 403 {
			t.Errorf("%s: %d, want 403", r.name, resp.StatusCode)
		}
	}
	if got := calls(); len(got) != 0 {
		t.Fatalf("refused requests gave new circuits to %v", got)
	}
	resp = post(t, c, "http://polaris.invalid/tor/new-circuit", form, fromPage)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != page {
		t.Fatalf("the button: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	if got := calls(); len(got) != 1 || got[0] != "slow.test" {
		t.Fatalf("new circuits for %v, want [slow.test]", got)
	}
	if resp := post(t, c, "http://polaris.invalid/tor/new-circuit", form, fromPage); resp.StatusCode != 403 {
		t.Errorf("the token used again: %d, want 403", resp.StatusCode)
	}

	// The address the user opens for the current site: ?site= (a pasted
	// URL too), else the page the browser came from.
	for _, tc := range []struct {
		link    string
		referer string
		target  string
		back    string
	}{
		{"http://polaris.invalid/tor/new-circuit?site=news.example.co.uk", "", "example.co.uk", ""},
		{"http://polaris.invalid/tor/new-circuit?site=" + url.QueryEscape("https://www.slow.test/a?b=1"), "", "slow.test", "https://www.slow.test/a?b=1"},
		{"http://polaris.invalid/tor/new-circuit", "https://m.slow.test/x", "slow.test", "https://m.slow.test/x"},
	} {
		h := map[string]string{"Accept": "text/html", "Upgrade-Insecure-Requests": "1", "Referer": tc.referer}
		code, action, f := formOf(tc.link, h)
		if code != 200 || action != "/tor/new-circuit" || f.Get("target") != tc.target || f.Get("return") != tc.back {
			t.Errorf("%s (from %q): %d, form %s %v; want target %s, return %q", tc.link, tc.referer, code, action, f, tc.target, tc.back)
		}
	}
	if code, _, _ := formOf("http://polaris.invalid/tor/new-circuit?site=a%20b", plainNav); code != 400 {
		t.Errorf("a bad site: %d, want 400", code)
	}

	// Without Tor there is nothing to offer, and a token made with Tor on
	// does nothing.
	_, _, form = formOf(link, nav)
	tp.SetRoute(Route{})
	if code, _, _ := formOf(link, nav); code != 400 {
		t.Errorf("confirmation page without Tor: %d, want 400", code)
	}
	if resp := post(t, c, "http://polaris.invalid/tor/new-circuit", form, fromPage); resp.StatusCode != 404 {
		t.Errorf("the button without Tor: %d, want 404", resp.StatusCode)
	}
	if got := calls(); len(got) != 1 {
		t.Errorf("new circuits without Tor: %v", got)
	}
}

// FuzzNewCircuitEntry feeds arbitrary addresses and referrers to
// http://polaris.invalid/tor/new-circuit: it never panics and never acts
// (a GET only shows the page), and a page it shows offers new circuits for
// a site, returning only to an address on that site.
func FuzzNewCircuitEntry(f *testing.F) {
	acted := 0
	p, err := New(Config{Listen: "127.0.0.1:0", ReservedHost: "polaris.invalid", Block: BlockConfig{
		NewCircuit: func(context.Context, string) error { acted++; return nil },
	}})
	if err != nil {
		f.Fatal(err)
	}
	p.SetRoute(Route{Tor: true, Proxied: true, Isolate: true})
	f.Add("site=example.com", "")
	f.Add("site=https%3A%2F%2Fwww.example.co.uk%2Fa%3Fb", "")
	f.Add("", "https://news.example.com/x")
	f.Add("site=evil.test&return=https://example.com/", "https://example.com/")
	f.Add("site=%3Cscript%3E", "javascript:alert(1)")
	f.Fuzz(func(t *testing.T, query, referer string) {
		r := httptest.NewRequest("GET", "http://polaris.invalid/tor/new-circuit", nil)
		r.URL.RawQuery = query
		r.Header.Set("Referer", referer)
		w := httptest.NewRecorder()
		if !p.serveBlockAction(w, r) {
			t.Fatal("GET /tor/new-circuit not answered")
		}
		if acted != 0 {
			t.Fatalf("a GET gave new circuits (%q, referer %q)", query, referer)
		}
		if w.Code != http.StatusOK {
			return
		}
		for action, form := range pageForms(w.Body.String()) {
			target := form.Get("target")
			if action != "/tor/new-circuit" || target == "" || blocklist.Site(target) != target {
				t.Fatalf("form %s %v for %q, referer %q", action, form, query, referer)
			}
			if back := htmlUnescape(form.Get("return")); back != "" && safeReturn(back, target) == "" {
				t.Fatalf("return to %q offered for %q", back, target)
			}
		}
		if strings.Contains(w.Body.String(), "<script") {
			t.Fatalf("a script in the page for %q", query)
		}
	})
}

// TestNewCircuitCutsTheSitesTunnels: new circuits for a site cut its open
// tunnels (HTTPS Polaris does not look into keeps its circuit for as long
// as the browser keeps the connection, minutes), so that the browser
// reconnects on a new circuit; other sites' tunnels stay.
func TestNewCircuitCutsTheSitesTunnels(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	tp := startProxy(t, Config{}, Policy{})
	// Tor's SOCKS port stands in: every connection reaches the echo server.
	tp.SetRoute(Route{Tor: true, Proxied: true, Isolate: true, Name: "tor", Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", up.Addr().String())
	}})
	echoes := func(c net.Conn) bool {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		defer c.SetDeadline(time.Time{})
		if _, err := c.Write([]byte("ping")); err != nil {
			return false
		}
		b := make([]byte, 4)
		_, err := io.ReadFull(c, b)
		return err == nil && string(b) == "ping"
	}
	a1 := openTunnel(t, tp, "www.a.test:5222")
	a2 := openTunnel(t, tp, "chat.a.test:5223")
	b := openTunnel(t, tp, "b.test:5222")
	for _, c := range []net.Conn{a1, a2, b} {
		defer c.Close()
		if !echoes(c) {
			t.Fatal("a tunnel does not carry bytes")
		}
	}

	tp.ResetSite("a.test")
	for i, c := range []net.Conn{a1, a2} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("tunnel %d of a.test after new circuits: %v, want it cut (EOF)", i+1, err)
		}
	}
	if !echoes(b) {
		t.Error("b.test's tunnel was cut by new circuits for a.test")
	}
	if c := openTunnel(t, tp, "www.a.test:5222"); !echoes(c) {
		t.Error("a new tunnel to a.test does not work")
	} else {
		c.Close()
	}
}
