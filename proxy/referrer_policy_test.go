// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"testing"
)

func TestTightenSearchReferrer(t *testing.T) {
	tp := startProxy(t, Config{}, Policy{Protection: true})
	for _, tt := range []struct {
		url, policy, want string
	}{
		{"https://duckduckgo.com/?q=x", "unsafe-url", "strict-origin-when-cross-origin"},
		{"https://www.bing.com/search?q=x", "no-referrer-when-downgrade", "strict-origin-when-cross-origin"},
		{"https://duckduckgo.com/?q=x", "", "strict-origin-when-cross-origin"},
		{"https://duckduckgo.com/?q=x", "no-referrer, unsafe-url", "strict-origin-when-cross-origin"},
		{"https://duckduckgo.com/?q=x", "unsafe-url, origin", "unsafe-url, origin"},
		{"https://duckduckgo.com/?q=x", "no-referrer", "no-referrer"},
		{"https://duckduckgo.com/?q=x", "same-origin, bogus", "same-origin, bogus"},
		{"https://news.example/?q=x", "unsafe-url", "unsafe-url"},
	} {
		req, _ := http.NewRequest("GET", tt.url, nil)
		resp := &http.Response{Header: http.Header{}}
		if tt.policy != "" {
			resp.Header.Set("Referrer-Policy", tt.policy)
		}
		tp.tightenSearchReferrer(resp, req)
		if got := resp.Header.Get("Referrer-Policy"); got != tt.want {
			t.Errorf("tightenSearchReferrer(%s, %q) = %q, want %q", tt.url, tt.policy, got, tt.want)
		}
	}
	// Protection off: untouched.
	tp.SetPolicy(Policy{})
	req, _ := http.NewRequest("GET", "https://duckduckgo.com/?q=x", nil)
	resp := &http.Response{Header: http.Header{"Referrer-Policy": {"unsafe-url"}}}
	tp.tightenSearchReferrer(resp, req)
	if got := resp.Header.Get("Referrer-Policy"); got != "unsafe-url" {
		t.Errorf("protection off: %q, want unsafe-url", got)
	}
}
