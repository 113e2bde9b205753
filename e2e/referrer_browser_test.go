// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Search terms do not reach the next site through document.referrer
// (issue 13, defect 6): a search results page that asks browsers for full
// referrers (Referrer-Policy: unsafe-url) gets a strict policy from Polaris,
// so the site a result leads to sees the engine's origin at most, in the
// Referer header and in document.referrer.

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSearchTermsStayOnTheEngine(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	engine := w.namedSite(t, "duckduckgo.com", sitePlain)
	results := map[string]*site{}
	for _, b := range browserNames {
		results[b] = w.newSite(t, "result", sitePlain)
		results[b].Page("/article", `<!doctype html><title>result</title>`)
	}
	engine.Handle("/", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Referrer-Policy", "unsafe-url")
		link := results[r.URL.Query().Get("b")].HTTPS("/article")
		io.WriteString(rw, `<!doctype html><title>results</title><a id="r" href="`+link+`" style="display:block;padding:20px">result</a>`)
	})
	px := browserPolaris(t, "https.filter", "on")
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		res := results[p.browser]
		p.Navigate(engine.HTTPS("/?q=very+secret+terms&b=" + p.browser))
		p.Click("#r")
		p.WaitURL(res.HTTPS("/article"), 20*time.Second)
		p.WaitFor(`document.readyState == "complete"`, 20*time.Second)
		if ref := p.String("document.referrer"); strings.Contains(ref, "secret") {
			p.Errorf("document.referrer on the result is %q: the search terms left the engine", ref)
		}
		if r := res.RequestsTo("/article"); len(r) != 1 || strings.Contains(r[0].Header.Get("Referer"), "secret") {
			p.Errorf("the result got %v with Referer %q", r, r[0].Header.Get("Referer"))
		}
	})
}
