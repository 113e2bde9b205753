// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The self-test page (issue 16 item 3) in both browsers.

import (
	"strings"
	"testing"
	"time"
)

func TestCheckPageReportsBothBrowsers(t *testing.T) {
	t.Parallel()
	px := browserPolaris(t, "https.filter", "on", "dnt", "1", "gpc", "on")
	want := map[string]string{"chromium": "Chromium / Chrome", "firefox": "Firefox"}
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		for _, scheme := range []string{"http", "https"} {
			p.Navigate(scheme + "://polaris.invalid/check")
			p.WaitFor(`document.documentElement.dataset.done == "1"`, 30*time.Second)
			get := func(id string) string { return p.String(`document.getElementById("` + id + `").textContent`) }
			if b := get("browser"); !strings.HasPrefix(b, want[p.browser]) {
				p.Errorf("%s: the page says the browser is %q, want %s…", scheme, b, want[p.browser])
			}
			if r := get("report"); !strings.HasPrefix(r, "Yes") {
				p.Errorf("%s: the report to Polaris: %q", scheme, r)
			}
			if w := get("webrtc"); w == "" || strings.HasPrefix(w, "Checking") {
				p.Errorf("%s: no WebRTC result: %q", scheme, w)
			}
			if s := get("signals"); !strings.Contains(s, "Polaris adds DNT: 1 and Sec-GPC: 1") {
				p.Errorf("%s: signals: %q", scheme, s)
			}
			if scheme == "https" {
				if ca := get("ca"); !strings.HasPrefix(ca, "Yes") {
					p.Errorf("https: the page does not say the browser trusts Polaris's CA: %q", ca)
				}
			}
		}
	})
	// Polaris knows both browsers and what their checks found.
	p := openPage(t, "chromium", px.addr)
	p.Navigate("http://polaris.invalid/")
	txt := p.Text()
	for _, b := range []string{"Firefox", "Chromium / Chrome"} {
		i := strings.Index(txt, "Seen: "+b)
		if i < 0 {
			t.Errorf("the status page does not list %s:\n%s", b, txt)
			continue
		}
		line := txt[i:]
		if j := strings.Index(line, "\n"); j >= 0 {
			line = line[:j]
		}
		if !strings.Contains(line, "check page") || !strings.Contains(line, "trusts Polaris's certificate") {
			t.Errorf("the status page's line for %s has no check result: %q", b, line)
		}
	}
}
