// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"polaris/blocklist"
)

// FuzzBlockAction feeds arbitrary forms and headers to the buttons of the
// block page's confirmation page: nothing is ever allowed without a token
// issued for that action, target and return address, and a redirect never
// leaves the target.
func FuzzBlockAction(f *testing.F) {
	allowed := 0
	p, err := New(Config{Listen: "127.0.0.1:0", ReservedHost: "polaris.invalid", Block: BlockConfig{
		AllowSite:  func(context.Context, string) error { allowed++; return nil },
		NewCircuit: func(context.Context, string) error { allowed++; return nil },
	}})
	if err != nil {
		f.Fatal(err)
	}
	p.SetRoute(Route{Tor: true, Proxied: true, Isolate: true})
	good := p.confirmToken("once", "tracker.test", "http://tracker.test/a", time.Now())
	goodCircuit := p.confirmToken("newcircuit", "tracker.test", "http://tracker.test/a", time.Now())
	f.Add("/blocked/allow-once", "tracker.test", good, "http://tracker.test/a", "http://polaris.invalid", "navigate")
	f.Add("/tor/new-circuit", "tracker.test", goodCircuit, "http://tracker.test/a", "http://polaris.invalid", "navigate")
	f.Add("/tor/new-circuit", "tracker.test", good, "http://tracker.test/a", "http://polaris.invalid", "navigate")
	f.Add("/blocked/allow-once", "tracker.test", good, "http://evil.test/", "http://polaris.invalid", "")
	f.Add("/blocked/allow-site", "tracker.test", "x", "javascript:alert(1)", "null", "cors")
	f.Add("/blocked/allow-once", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, path, target, token, back, origin, mode string) {
		form := url.Values{"target": {target}, "token": {token}, "return": {back}}
		r := httptest.NewRequest("POST", "http://polaris.invalid/", strings.NewReader(form.Encode()))
		r.URL.Path = path
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", origin)
		r.Header.Set("Sec-Fetch-Mode", mode)
		w := httptest.NewRecorder()
		before := allowed
		if !p.serveBlockAction(w, r) {
			return
		}
		if w.Code == http.StatusSeeOther || w.Code == http.StatusOK || allowed != before {
			okOnce := token == good && path == "/blocked/allow-once"
			okCircuit := token == goodCircuit && path == "/tor/new-circuit"
			if !okOnce && !okCircuit || strings.ToLower(target) != "tracker.test" || back != "http://tracker.test/a" {
				t.Fatalf("action %s on %q (return %q) done with token %q", path, target, back, token)
			}
			if loc := w.Header().Get("Location"); loc != "" {
				u, err := url.Parse(loc)
				if err != nil || !strings.HasSuffix(strings.ToLower(u.Hostname()), strings.ToLower(target)) {
					t.Fatalf("redirect to %q after acting on %q", loc, target)
				}
			}
		}
	})
}

// FuzzBlockConfirm feeds arbitrary addresses to the confirmation page: it
// never panics, and it offers a button only for a plausible host (a
// registrable domain for "always allow") returning to an address on it.
func FuzzBlockConfirm(f *testing.F) {
	p, err := New(Config{Listen: "127.0.0.1:0", ReservedHost: "polaris.invalid", Block: BlockConfig{AllowSite: func(context.Context, string) error { return nil }}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("action=once&target=www.tracker.test&return=http%3A%2F%2Fwww.tracker.test%2Fa")
	f.Add("action=site&target=tracker.test")
	f.Add("action=newcircuit&target=tracker.test&return=https://www.tracker.test/")
	f.Add("action=site&target=co.uk&return=https://co.uk/")
	f.Add("action=once&target=%3Cscript%3E")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "http://polaris.invalid/blocked/confirm", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		p.serveBlockAction(w, r)
		if w.Code != http.StatusOK {
			return
		}
		q, _ := url.ParseQuery(query)
		target := strings.ToLower(q.Get("target"))
		if !validHostName(target) || (q.Get("action") == "site" && blocklist.Site(target) != target) {
			t.Fatalf("confirmation offered for %q", query)
		}
		if back := q.Get("return"); back != "" && safeReturn(back, target) == "" {
			t.Fatalf("confirmation returning to %q offered for %q", back, target)
		}
		if strings.Contains(w.Body.String(), "<script") {
			t.Fatalf("a script in the confirmation page for %q", query)
		}
	})
}

// FuzzBlockDecision feeds arbitrary URLs and browser headers to the
// decision: it never panics, and a request to the blocked host is never
// forwarded whatever its headers say.
func FuzzBlockDecision(f *testing.F) {
	l, err := blocklist.ParseString("||tracker.test^\n||cdn.test/ads/$image\n@@||tracker.test/ok^$domain=good.test", blocklist.ListMeta{Name: "t"})
	if err != nil {
		f.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{l}, blocklist.Options{})
	if err != nil {
		f.Fatal(err)
	}
	p, err := New(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	p.SetMatcher(m)
	pol := &Policy{Protection: true}
	f.Add("http://tracker.test/x", "https://news.test/", "", "script", "same-origin", "*/*")
	f.Add("http://cdn.test/ads/a.png", "", "null", "", "", "image/png")
	f.Add("https://tracker.test/ok", "https://good.test/", "https://good.test", "empty", "cross-site", "")
	f.Fuzz(func(t *testing.T, u, referer, origin, dest, site, accept string) {
		r, err := http.NewRequest("GET", u, nil)
		if err != nil || r.URL.Host == "" {
			t.Skip()
		}
		r.Header.Set("Referer", referer)
		r.Header.Set("Origin", origin)
		r.Header.Set("Sec-Fetch-Dest", dest)
		r.Header.Set("Sec-Fetch-Site", site)
		r.Header.Set("Accept", accept)
		info := newRequestInfo(r)
		resp := p.block(r, pol, &info)
		if info.host == "tracker.test" && resp == nil && !strings.HasPrefix(r.URL.Path, "/ok") {
			t.Fatalf("GET %s (Referer %q, Origin %q, dest %q) was forwarded", u, referer, origin, dest)
		}
	})
}
