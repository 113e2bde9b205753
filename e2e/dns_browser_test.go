// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Encrypted DNS (issue 20) with real browsers: every name Polaris looks up
// goes to the encrypted resolver, none to the namespace's plain DNS stub
// (which records every question); with the resolver gone, a page load gets
// Polaris's page and still nothing is asked in the clear.
//
// Firefox ESR itself asks the system's resolver for a site's HTTPS record
// (type 65) now and then, proxy or not: that question is the browser's,
// outside Polaris's reach (Polaris never asks for HTTPS records in the
// clear), so the checks count the address questions Polaris would make and
// log the browser's own.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polaris/internal/resolver/dnstest"
)

func TestEncryptedDNSInBrowsers(t *testing.T) {
	w := sharedWeb(t)
	srv := dnstest.Start(t, "*.test. 60 IN A 127.0.0.1")
	// The origins' CA and the DNS server's, both trusted upstream.
	origins, err := os.ReadFile(w.caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, append(origins, srv.CAPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	px := browserPolaris(t, "https.filter", "on", "https.upstream-ca", roots,
		"dns.custom", srv.DoHURL, "dns.resolver", "custom", "dns.encrypted", "on")
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		s := w.newSite(t, "privatenames", sitePlain)
		s.Page("/", `<!doctype html><title>private names</title><p>a page</p>`)
		for _, scheme := range []string{"https", "http"} {
			p.Navigate(s.URL(scheme, "/"))
			if got := p.String("document.title"); got != "private names" {
				p.Fatalf("%s: title %q, want the page", scheme, got)
			}
		}
		if q := polarisQueries(t, s.Host); len(q) != 0 {
			t.Errorf("%s was asked of the plain DNS stub with encrypted DNS on: %v", s.Host, q)
		}
		if srv.Count(s.Host, dnstest.DoH) == 0 {
			t.Errorf("%s never reached the encrypted resolver: %v", s.Host, srv.Queries())
		}
	})

	// The resolver goes away: Polaris's page, nothing asked in the clear.
	srv.Stop()
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		s := w.newSite(t, "resolverdown", sitePlain)
		s.Page("/", `<!doctype html><title>should not load</title>`)
		p.Navigate(s.URL("http", "/"))
		p.WaitFor(`document.readyState == 'complete'`, 20*time.Second)
		if text := p.Text(); !strings.Contains(text, "Encrypted DNS cannot be reached") || !strings.Contains(text, "Nothing was sent") {
			t.Errorf("with the resolver down the browser shows %q, want Polaris's page", text)
		}
		if q := polarisQueries(t, s.Host); len(q) != 0 {
			t.Errorf("%s was asked of the plain DNS stub with the encrypted resolver down: %v", s.Host, q)
		}
		if r := s.RequestsTo("/"); len(r) != 0 {
			t.Errorf("the origin was reached: %v", r)
		}
	})
}

// polarisQueries returns the plain DNS stub's questions about host that
// Polaris could have asked (every type but HTTPS), and logs the browser's
// own HTTPS-record questions.
func polarisQueries(t *testing.T, host string) []dnsQuery {
	var out []dnsQuery
	for _, q := range dnsQueries() {
		switch {
		case q.Name != host:
		case q.Type == "HTTPS":
			t.Logf("the browser itself asked the system's resolver for the HTTPS record of %s", host)
		default:
			out = append(out, q)
		}
	}
	return out
}
