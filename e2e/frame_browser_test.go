// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// A blocked embedded frame shows Polaris's box with a "Load once" button,
// and a real click on it loads that frame (issue 17 item 4; issue 13
// defect 9: a blocked frame showed the browser's broken-frame box).

import (
	"strings"
	"testing"
	"time"
)

func TestBlockedFrameLoadOnceInBrowsers(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	type pair struct{ news, video *site }
	pairs := map[string]pair{}
	var rules []string
	for _, b := range browserNames {
		for _, scheme := range []string{"http", "https"} {
			pr := pair{w.newSite(t, "news", sitePlain), w.newSite(t, "video", sitePlain)}
			pr.video.Page("/embed", `<!doctype html><title>the video</title><p>the video</p>
<script>parent.postMessage("loaded " + location.host, "*")</script>`)
			pr.news.Page("/article", `<!doctype html><title>article</title>
<script>window.msgs = []; addEventListener("message", e => msgs.push(e.data));</script>
<p>the article, with a video:</p>
<iframe id="video" src="`+pr.video.URL(scheme, "/embed")+`" width="480" height="270" style="border:0"></iframe>`)
			pairs[b+scheme] = pr
			rules = append(rules, "||"+pr.video.Host+"^")
		}
	}
	px := browserPolaris(t, "https.filter", "on", "blocking.custom-rules", strings.Join(rules, "\n"))
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		for _, scheme := range []string{"http", "https"} {
			pr := pairs[p.browser+scheme]
			p.Navigate(pr.news.URL(scheme, "/article"))
			time.Sleep(time.Second) // the frame's redirect and page
			if n := len(pr.video.RequestsTo("/embed")); n != 0 {
				p.Fatalf("%s: the blocked frame reached its origin %d times", scheme, n)
			}
			p.saveScreenshot(scheme + "-blocked-frame")
			// Polaris's box is in the frame, its button in the middle: a
			// real click there. Over plain HTTP the browser does not say a
			// page load is a frame, so the box is the block page's small
			// form, whose button opens the frame page: a second click.
			want := `window.msgs.includes("loaded ` + pr.video.Host + `")`
			clicks := 0
			for clicks < 2 {
				p.ClickInFrame("#video", "form button, .compact a.button")
				clicks++
				if p.waitFor(want, 5*time.Second) == nil {
					break
				}
			}
			p.WaitFor(want, 20*time.Second)
			if scheme == "https" && clicks != 1 {
				p.Errorf("https: %d clicks to load the frame, want 1", clicks)
			}
			if n := len(pr.video.RequestsTo("/embed")); n != 1 {
				p.Errorf("%s: the frame's origin got %d requests after Load once, want 1", scheme, n)
			}
			if got := p.String("document.title"); got != "article" {
				p.Errorf("%s: the page itself changed: %q", scheme, got)
			}
		}
	})
}
