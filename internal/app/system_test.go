// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPACNeverDirectInTorMode: the PAC file falls back to direct only when
// the user asked for it (pac.fail-open), and never in Tor mode, where
// turning Tor off is the only way back to direct connections.
func TestPACNeverDirectInTorMode(t *testing.T) {
	a := openTestApp(t, Options{})
	defer a.Close()
	h := a.localHandler(func() string { return "127.0.0.1:8228" }, http.NotFound)
	directs := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8228/proxy.pac", nil))
		if !strings.Contains(rec.Body.String(), `"PROXY 127.0.0.1:8228`) {
			t.Fatalf("PAC does not name Polaris:\n%s", rec.Body)
		}
		return strings.Count(rec.Body.String(), "DIRECT")
	}
	closed := directs() // the loopback exception only
	ctx := context.Background()
	if err := a.Set(ctx, "pac.fail-open", "on"); err != nil {
		t.Fatal(err)
	}
	if got := directs(); got <= closed {
		t.Errorf("pac.fail-open on: %d DIRECT, want more than the fail-closed %d", got, closed)
	}
	s := a.Settings()
	s.Tor.Enabled = true // not running: no tor is started
	if err := a.Apply(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got := directs(); got != closed {
		t.Errorf("Tor mode with pac.fail-open on: %d DIRECT, want the fail-closed %d", got, closed)
	}
}

// TestPACOnlyToPACFetchers: a page's <script src=".../proxy.pac"> would run
// the PAC file and learn Polaris's port and whether Tor is on; the file goes
// only to PAC fetchers (no fetch metadata) and to the user opening it.
func TestPACOnlyToPACFetchers(t *testing.T) {
	a := openTestApp(t, Options{})
	defer a.Close()
	h := a.localHandler(func() string { return "127.0.0.1:8228" }, http.NotFound)
	for _, tc := range []struct {
		name string
		h    map[string]string
		pac  bool
	}{
		{"PAC fetcher", nil, true},
		{"typed by the user", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true},
		{"another site's script", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}, false},
		{"another site's fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}, false},
		{"another site's link", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, false},
		// Through the proxy, on plain HTTP (http://polaris.invalid/proxy.pac):
		// a browser, which sends no fetch metadata there, and a frame of
		// another site looks like the user. PAC fetchers never come this way.
		{"a browser through the proxy, plain HTTP", map[string]string{"via proxy": "1", "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/153.0", "Upgrade-Insecure-Requests": "1"}, false},
		{"a program through the proxy", map[string]string{"via proxy": "1", "User-Agent": "curl/8.5.0"}, true},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/proxy.pac", nil)
		req.Host = "127.0.0.1:8228"
		if tc.h["via proxy"] != "" {
			req = httptest.NewRequest("GET", "http://polaris.invalid/proxy.pac", nil)
			delete(tc.h, "via proxy")
		}
		for k, v := range tc.h {
			req.Header.Set(k, v)
		}
		h.ServeHTTP(rec, req)
		if got := strings.Contains(rec.Body.String(), "FindProxyForURL"); got != tc.pac {
			t.Errorf("%s: PAC served = %v (%d), want %v", tc.name, got, rec.Code, tc.pac)
		}
	}
}
