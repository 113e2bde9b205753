// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The check page's report is taken only from Polaris's own page, once per
// page: another site can neither send it nor replay it.
func TestCheckReportOnlyFromOwnPage(t *testing.T) {
	tp := startProxy(t, Config{}, signalsOn)
	c := tp.client()
	const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"
	page := func() url.Values {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://polaris.invalid/check", nil)
		req.Header.Set("User-Agent", ua)
		req.Header.Set("Upgrade-Insecure-Requests", "1")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Firefox 153") {
			t.Fatalf("check page: %d %s", resp.StatusCode, body)
		}
		v := url.Values{"webrtc": {"hidden"}}
		for _, m := range regexp.MustCompile(`<input name="(\w+)" value="([^"]*)">`).FindAllStringSubmatch(string(body), -1) {
			v.Set(m[1], m[2])
		}
		return v
	}
	post := func(v url.Values, hdr map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://polaris.invalid/check/report", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", ua)
		for k, x := range hdr {
			req.Header.Set(k, x)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	own := map[string]string{"Origin": "http://polaris.invalid"}
	v := page()
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"another site's page", map[string]string{"Origin": "http://evil.example"}},
		{"cross-site fetch metadata", map[string]string{"Origin": "http://polaris.invalid", "Sec-Fetch-Site": "cross-site"}},
		{"no origin at all", nil},
	} {
		if code := post(v, tc.hdr); code != http.StatusForbidden {
			t.Errorf("%s: report answered %d, want 403", tc.name, code)
		}
	}
	bad := page()
	bad.Set("token", "forged")
	if code := post(bad, own); code != http.StatusForbidden {
		t.Errorf("forged token: %d, want 403", code)
	}
	if code := post(v, own); code != http.StatusNoContent {
		t.Fatalf("the page's own report: %d, want 204", code)
	}
	if code := post(v, own); code != http.StatusForbidden {
		t.Errorf("the report replayed: %d, want 403", code)
	}
	var found bool
	for _, cl := range tp.Status().Clients {
		if cl.Words() == "Firefox 153" && cl.Check != nil && cl.Check.WebRTC == "hidden" && !cl.Check.Secure {
			found = true
		}
	}
	if !found {
		t.Errorf("Status().Clients has no check result for Firefox 153: %+v", tp.Status().Clients)
	}
}

// FuzzClientKey: what the proxy reads from clients (a User-Agent, a stored
// or posted client key, a pass-through entry) never panics, and a key reads
// back as what wrote it.
func FuzzClientKey(f *testing.F) {
	for _, s := range []string{"Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0", "curl/8.5.0", "", "Firefox/153/", "other//TLS client 1a2b3c4d", "a.example\tEdge/156/", "\t", "//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, ok := clientOfUA(s); ok {
			back, ok := parseClientKey(id.key())
			if !ok || back != id {
				t.Errorf("clientOfUA(%q) = %+v; its key %q reads back as %+v, %v", s, id, id.key(), back, ok)
			}
			_ = id.words()
		}
		if id, ok := parseClientKey(s); ok {
			_ = id.words()
		}
		_ = PassThroughWords(s)
	})
}
