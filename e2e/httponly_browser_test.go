// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Sites without HTTPS through Polaris with HTTPS filtering on (issue 13,
// defect 2): Chromium upgrades http:// navigations to https:// by itself
// and falls back to http:// when the HTTPS attempt fails; Polaris must let
// that attempt fail as the site itself would, not answer it with a page.

import (
	"strings"
	"testing"
)

func TestHTTPOnlySitesLoadOverHTTP(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	px := browserPolaris(t, "https.filter", "on")
	for _, kind := range []struct {
		name string
		kind siteKind
	}{{"no port 443", siteNoHTTPS}, {"untrusted certificate on 443", siteBadTLS}} {
		t.Run(strings.ReplaceAll(kind.name, " ", "_"), func(t *testing.T) {
			for _, via := range []struct{ name, proxy string }{{"direct", ""}, {"polaris", px.addr}} {
				forEachBrowserVia(t, via.name, via.proxy, func(t *testing.T, p *page) {
					s := w.newSite(t, "plain.example.com", kind.kind)
					s.Page("/", `<!doctype html><title>plain http</title><p>served over http</p>`)
					p.Navigate(s.HTTP("/"))
					if got := p.String("document.title"); got != "plain http" || !strings.HasPrefix(p.URL(), "http://") {
						p.Fatalf("http://%s/ shows %q at %s, want the site's page over http (text %q)", s.Host, got, p.URL(), p.Text())
					}
				})
			}
		})
	}
}
