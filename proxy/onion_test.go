// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const testOnion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"

func TestParseOnionLocation(t *testing.T) {
	for _, tc := range []struct {
		in, target, origin string
	}{
		{"http://" + testOnion + "/news?id=1", "http://" + testOnion + "/news?id=1", "http://" + testOnion + "/"},
		{" https://WWW." + strings.ToUpper(testOnion) + ":8443/a#frag", "https://www." + testOnion + ":8443/a", "https://www." + testOnion + ":8443/"},
		{"http://expyuzz4wqqyqhjn.onion/", "", ""}, // v2: gone from Tor
		{"ftp://" + testOnion + "/", "", ""},
		{"http://user@" + testOnion + "/", "", ""},
		{"http://" + testOnion + ".evil.test/", "", ""},
		{"/relative", "", ""},
		{"http://a..b." + testOnion + "/", "", ""},
		{"javascript:alert(1)", "", ""},
		{"http://" + testOnion + ":99999999/", "", ""},
	} {
		target, origin, ok := parseOnionLocation(tc.in)
		if ok != (tc.target != "") || target != tc.target || origin != tc.origin {
			t.Errorf("parseOnionLocation(%q) = %q, %q, %v; want %q, %q", tc.in, target, origin, ok, tc.target, tc.origin)
		}
	}
}

func FuzzParseOnionLocation(f *testing.F) {
	f.Add("http://" + testOnion + "/x")
	f.Add("https://a.b." + testOnion + ":443/?q#f")
	f.Add("http://%zz/")
	f.Fuzz(func(t *testing.T, v string) {
		target, origin, ok := parseOnionLocation(v)
		if !ok {
			return
		}
		for _, u := range []string{target, origin} {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("%q gave %q", v, u)
			}
		}
		if !strings.HasPrefix(target, origin[:len(origin)-1]) {
			t.Fatalf("%q: target %q is not on origin %q", v, target, origin)
		}
		if _, _, ok := parseOnionLocation(target); !ok {
			t.Fatalf("%q: its target %q does not parse again", v, target)
		}
	})
}

// On the Tor route an Onion-Location answer is recorded; with PreferOnion
// the navigation goes to the onion address instead. Off the Tor route, or
// for a subresource, nothing happens.
func TestOnionLocation(t *testing.T) {
	header := "http://" + testOnion + "/article?id=7"
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bad" {
			w.Header().Set("Onion-Location", header)
		} else {
			w.Header().Set("Onion-Location", "http://evil.test/")
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>the clear-web page</p>")
	}))
	defer origin.Close()
	var mu sync.Mutex
	var seen []string
	tp := startProxy(t, Config{Route: Route{Dial: toAddr(origin.Listener.Addr().String())}, OnOnionLocation: func(site, onion string) {
		mu.Lock()
		seen = append(seen, site+" "+onion)
		mu.Unlock()
	}}, Policy{})
	c := noRedirects(tp.client())
	get := func(u string, h map[string]string) (int, string) {
		t.Helper()
		resp, _ := do(t, c, browserGet(t, u, h))
		return resp.StatusCode, resp.Header.Get("Location")
	}
	const page = "http://www.news.test/article?id=7"

	// Direct route: not even recorded.
	if code, loc := get(page, navigation); code != 200 || loc != "" || tp.OnionOf("www.news.test") != "" {
		t.Fatalf("direct route: %d %q, recorded %q", code, loc, tp.OnionOf("www.news.test"))
	}
	torRoute := Route{Dial: toAddr(origin.Listener.Addr().String()), Tor: true, Proxied: true, Isolate: true, Onion: true, Name: "tor"}
	tp.SetRoute(torRoute)
	// Tor, onion sites not preferred: recorded and shown, not followed.
	if code, loc := get(page, navigation); code != 200 || loc != "" {
		t.Errorf("Tor, prefer-onion off: %d %q, want the page itself", code, loc)
	}
	if got := tp.OnionOf("news.test"); got != "http://"+testOnion+"/" {
		t.Errorf("OnionOf(news.test) = %q", got)
	}
	get(page, navigation)
	mu.Lock()
	if len(seen) != 1 || seen[0] != "news.test http://"+testOnion+"/" {
		t.Errorf("OnOnionLocation calls %q, want one for news.test", seen)
	}
	mu.Unlock()
	// Tor, onion sites preferred: the navigation goes to the onion address
	// (plain HTTP here; the filtered HTTPS path is the same hook, proven on
	// the private Tor network).
	pol := Policy{PreferOnion: true}
	tp.SetPolicy(pol)
	for _, h := range []map[string]string{navigation, plainNav} {
		if code, loc := get(page, h); code != 302 || loc != header {
			t.Errorf("Tor, prefer-onion on, navigation %v: %d %q; want 302 to %s", h, code, loc, header)
		}
	}
	for _, tc := range []struct {
		u string
		h map[string]string
	}{
		{page, map[string]string{"Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"}},
		{page, map[string]string{"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"}},
		{"http://www.other.test/bad", navigation},
	} {
		if code, loc := get(tc.u, tc.h); code != 200 || loc != "" {
			t.Errorf("%s %v: %d %q, want the answer as it is", tc.u, tc.h, code, loc)
		}
	}
	if got := tp.OnionOf("other.test"); got != "" {
		t.Errorf("a bad Onion-Location was recorded: %q", got)
	}

	// Polaris's pages say it: the status page opened from the site, and
	// the page of a failure on the site.
	_, body := do(t, c, browserGet(t, "http://polaris.invalid/", map[string]string{"Accept": "text/html", "Referer": "https://www.news.test/x"}))
	if !strings.Contains(string(body), "This site has an onion address") || !strings.Contains(string(body), testOnion) {
		t.Errorf("status page from news.test lacks its onion address")
	}
	torRoute.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &Refusal{Code: 502, Title: "The site cannot be reached through Tor", Text: "Tor could not connect."}
	}
	tp.SetRoute(torRoute)
	resp, body := do(t, c, browserGet(t, "http://news.test/down", navigation))
	if resp.StatusCode != 502 || !strings.Contains(string(body), "This site has an onion address") || !strings.Contains(string(body), testOnion) {
		t.Errorf("failure page on news.test: %d, onion address not shown", resp.StatusCode)
	}
	tp.SetRoute(Route{})
	if _, body := do(t, c, browserGet(t, "http://polaris.invalid/", map[string]string{"Accept": "text/html", "Referer": "https://www.news.test/x"})); strings.Contains(string(body), testOnion) {
		t.Errorf("status page without Tor shows the onion address")
	}
}
