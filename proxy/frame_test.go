// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/url"
	"strings"
	"testing"

	"polaris/blocklist"
)

// A blocked frame is sent to Polaris's frame page, on the reserved host,
// which may be framed; its "Load once" button lets that host's frames (and
// page loads) through for a while and nothing else of it (issue 17 item 4).
func TestBlockedFrameLoadsOnce(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||video.test^")
	tp, o := startBlockProxy(t, m, BlockConfig{})
	c := noRedirects(tp.client())
	const embed = "http://video.test/embed/42"
	frame := map[string]string{"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site", "Referer": "http://news.test/"}

	resp, _ := do(t, c, browserGet(t, embed, frame))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc == nil || loc.Host != "polaris.invalid" || loc.Path != "/blocked/confirm" {
		t.Fatalf("blocked frame: %d to %q, want 302 to the frame page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if q := loc.Query(); q.Get("action") != "frame" || q.Get("target") != "video.test" || q.Get("return") != embed {
		t.Fatalf("frame page address %s", loc)
	}
	// The frame page shows in the frame (another site's), with a token.
	resp, body := do(t, c, browserGet(t, loc.String(), frame))
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "" || strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors") {
		t.Fatalf("frame page: %d, X-Frame-Options %q, CSP %q: want 200 and framable", resp.StatusCode, resp.Header.Get("X-Frame-Options"), resp.Header.Get("Content-Security-Policy"))
	}
	if !strings.Contains(string(body), "Polaris blocked this frame") || !strings.Contains(string(body), "Load once") {
		t.Fatalf("frame page text: %s", body)
	}
	var form url.Values
	for action, f := range pageForms(string(body)) {
		if action == "/blocked/load-frame" {
			form = f
		}
	}
	if form == nil || form.Get("token") == "" {
		t.Fatalf("frame page forms %v", pageForms(string(body)))
	}
	// Other actions still refuse to be framed; the frame's token is no
	// other action's.
	once := strings.Replace(loc.String(), "action=frame", "action=once", 1)
	if resp, _ := do(t, c, browserGet(t, once, frame)); resp.StatusCode != 403 {
		t.Errorf("allow-once confirmation in a frame: %d, want 403", resp.StatusCode)
	}
	fromFrame := map[string]string{"Origin": "http://polaris.invalid", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}
	if resp := post(t, c, "http://polaris.invalid/blocked/allow-once", form, fromFrame); resp.StatusCode != 403 {
		t.Errorf("the frame's token used for allow-once: %d, want 403", resp.StatusCode)
	}
	if resp := post(t, c, "http://polaris.invalid/blocked/load-frame", form, map[string]string{"Origin": "http://video.test", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}); resp.StatusCode != 403 {
		t.Errorf("load-frame posted by the blocked site: %d, want 403", resp.StatusCode)
	}
	if o.hits.Load() != 0 {
		t.Fatal("the blocked host was reached before Load once")
	}
	resp = post(t, c, "http://polaris.invalid/blocked/load-frame", form, fromFrame)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != embed {
		t.Fatalf("load once: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), embed)
	}
	if resp := post(t, c, "http://polaris.invalid/blocked/load-frame", form, fromFrame); resp.StatusCode != 403 {
		t.Errorf("the same token twice: %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, c, browserGet(t, embed, frame)); resp.StatusCode != 200 || o.hits.Load() != 1 {
		t.Fatalf("the frame after Load once: %d, origin hits %d, want 200 and 1", resp.StatusCode, o.hits.Load())
	}
	// Its scripts and pixels stay blocked.
	if resp, _ := do(t, c, browserGet(t, "http://video.test/t.js", subresource("script", "http://news.test/"))); resp.StatusCode != 200 || o.hits.Load() != 1 {
		t.Errorf("a script of the frame's host after Load once reached it (hits %d)", o.hits.Load())
	}
}

// Over plain HTTP browsers send no fetch metadata: a blocked page load may
// be a frame, so its block page may be framed and links to the frame page.
func TestBlockPageFramableWithoutFetchMetadata(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||video.test^")
	tp, _ := startBlockProxy(t, m, BlockConfig{})
	c := noRedirects(tp.client())
	resp, _ := do(t, c, browserGet(t, "http://video.test/embed", navigation))
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("a top-level block page: CSP %q, X-Frame-Options %q: want it unframable", resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options"))
	}
	resp, body := do(t, c, browserGet(t, "http://video.test/embed", plainNav))
	if strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors") || resp.Header.Get("X-Frame-Options") != "" {
		t.Errorf("a block page without fetch metadata: CSP %q, X-Frame-Options %q: want it framable", resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options"))
	}
	if links := confirmLinks(t, string(body)); links["frame"] == "" {
		t.Errorf("the block page has no link to the frame page: %v", links)
	}
	// The frame page opens in a frame without fetch metadata too.
	link := confirmLinks(t, string(body))["frame"]
	if resp, _ := do(t, c, browserGet(t, link, plainNav)); resp.StatusCode != 200 {
		t.Errorf("frame page without metadata: %d", resp.StatusCode)
	}
}
