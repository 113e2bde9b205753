// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"polaris/blocklist"
)

// FuzzBlockAction feeds arbitrary forms and headers to the block page's
// buttons: nothing is ever allowed without the token of its target, and a
// redirect never leaves the target.
func FuzzBlockAction(f *testing.F) {
	p, err := New(Config{Listen: "127.0.0.1:0", ReservedHost: "polaris.invalid"})
	if err != nil {
		f.Fatal(err)
	}
	good := p.actionToken("once", "tracker.test")
	f.Add("/blocked/allow-once", "tracker.test", good, "http://tracker.test/a", "http://tracker.test", "navigate")
	f.Add("/blocked/allow-once", "tracker.test", good, "http://evil.test/", "http://tracker.test", "")
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
		if !p.serveBlockAction(w, r) {
			return
		}
		action := map[string]string{"/blocked/allow-once": "once", "/blocked/allow-site": "site"}[path]
		if w.Code == http.StatusSeeOther || w.Code == http.StatusOK {
			if !p.validToken(action, strings.ToLower(target), token) {
				t.Fatalf("action %s on %q done with a bad token", path, target)
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
