// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Filtered HTTPS at the browser's speed (issue 18): HTTP/2 between the
// browser and Polaris for intercepted pages.

import (
	"testing"
	"time"
)

// An intercepted page and its subresources come to the browser over
// HTTP/2 (performance entries' nextHopProtocol), with Polaris's filtering
// applied inside (the origin sees the DNT header Polaris adds).
func TestBrowserHTTP2Intercepted(t *testing.T) {
	w := sharedWeb(t)
	px := browserPolaris(t, "https.filter", "on", "dnt", "1")
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		s := w.newSite(t, "h2page", sitePlain)
		s.Page("/", `<!doctype html><title>h2</title><script src="/app.js"></script>`)
		s.Page("/app.js", `document.title = "h2 loaded";`)
		p.Navigate(s.HTTPS("/"))
		p.WaitFor(`document.title == "h2 loaded"`, 20*time.Second)
		var protos []string
		p.Eval(`performance.getEntries().filter(e => e.nextHopProtocol !== undefined).map(e => e.name + " " + e.nextHopProtocol)`, &protos)
		if len(protos) < 2 {
			p.Fatalf("performance entries %q: want the page and its script", protos)
		}
		for _, e := range protos {
			if got := e[len(e)-2:]; got != "h2" {
				p.Errorf("%s: want h2", e)
			}
		}
		reqs := s.RequestsTo("/")
		if len(reqs) != 1 || reqs[0].Header.Get("Dnt") != "1" {
			t.Errorf("the origin saw %v (DNT %q): want one request with Polaris's DNT: 1 (intercepted)", reqs, headerOf(reqs, "Dnt"))
		}
	})
}

// headerOf is header name of the first request, "" when there is none.
func headerOf(reqs []*seenRequest, name string) string {
	if len(reqs) == 0 {
		return ""
	}
	return reqs[0].Header.Get(name)
}
