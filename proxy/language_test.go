// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Policy.AcceptLanguage replaces the browser's Accept-Language on every
// request (Tor Browser's, in Tor mode); without it the browser's is kept.
func TestAcceptLanguage(t *testing.T) {
	var mu sync.Mutex
	var got []string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Accept-Language"))
		mu.Unlock()
	}))
	defer origin.Close()
	tp := startProxy(t, Config{Route: Route{Dial: toAddr(origin.Listener.Addr().String())}}, Policy{Protection: true})
	c := tp.client()
	send := func() string {
		t.Helper()
		do(t, c, browserGet(t, "http://www.site.test/", map[string]string{"Accept": "text/html", "Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}))
		do(t, c, browserGet(t, "http://cdn.other.test/x.js", map[string]string{"Accept": "*/*", "Referer": "http://www.site.test/"}))
		mu.Lock()
		defer mu.Unlock()
		return got[len(got)-2] + " | " + got[len(got)-1]
	}
	if v := send(); v != "de-DE,de;q=0.9,en;q=0.8 | " {
		t.Errorf("without the option: %q, want the browser's own", v)
	}
	tp.SetPolicy(Policy{Protection: true, AcceptLanguage: "en-US,en;q=0.5"})
	if v := send(); v != "en-US,en;q=0.5 | en-US,en;q=0.5" {
		t.Errorf("with Tor Browser's language: %q, want en-US,en;q=0.5 on both", v)
	}
}
