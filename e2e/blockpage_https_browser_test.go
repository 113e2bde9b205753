// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Polaris's page for blocked HTTPS navigations with HTTPS filtering off
// (issue 16 item 5): a browser that trusts Polaris's CA gets the block page,
// not its own "the proxy server is refusing connections"; nothing else of
// its HTTPS is looked inside.

import (
	"strings"
	"testing"
	"time"
)

func TestBlockPageOverHTTPSWithFilteringOff(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	trackers := map[string]*site{}
	var rules []string
	for _, b := range browserNames {
		s := w.newSite(t, "tracker", sitePlain)
		trackerPage(s)
		trackers[b] = s
		rules = append(rules, "||"+s.Host+"^")
	}
	news := w.newSite(t, "news", sitePlain)
	news.Page("/", `<!doctype html><title>news</title><p>news</p>`)
	px := browserPolaris(t, "https.filter", "off", "dnt", "1", "blocking.custom-rules", strings.Join(rules, "\n"))
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		tr := trackers[p.browser]
		if err := p.TryNavigate(tr.HTTPS("/article")); err != nil {
			p.Fatalf("a blocked HTTPS page with filtering off: the browser's own error instead of Polaris's page: %v", err)
		}
		if txt := p.Text(); !strings.Contains(txt, "Polaris blocked this page") {
			p.Fatalf("%s is not Polaris's block page: %q", tr.HTTPS("/article"), txt)
		}
		if n := len(tr.Requests()); n != 0 {
			t.Errorf("the blocked site got %d requests, want none", n)
		}
		// "Allow once" works from that page and the article comes from
		// the site, untouched.
		pressBlockButton(p, "Allow once", "article of "+tr.Host)
		if n := len(tr.RequestsTo("/article")); n != 1 {
			t.Errorf("after Allow once, the site got %d requests for the article, want 1", n)
		} else if dnt := tr.RequestsTo("/article")[0].Header.Get("DNT"); dnt != "" {
			t.Errorf("after Allow once, the article's request carried DNT %q: Polaris looked inside its HTTPS with filtering off", dnt)
		}
		// Filtering stays off for everything else: the site sees the
		// browser's own headers, not Polaris's DNT.
		p.Navigate(news.HTTPS("/"))
		r := news.WaitRequest(10*time.Second, func(r *seenRequest) bool {
			return r.Path == "/" && strings.Contains(r.Header.Get("User-Agent"), map[string]string{"chromium": "Chrome/", "firefox": "Firefox/"}[p.browser])
		})
		if r == nil {
			t.Fatal("the unblocked site got no request")
		}
		if dnt := r.Header.Get("DNT"); dnt != "" {
			t.Errorf("with HTTPS filtering off, an unblocked site saw DNT %q: Polaris looked inside its HTTPS", dnt)
		}
	})
}
