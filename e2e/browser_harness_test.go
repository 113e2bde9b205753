// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Tests of the browser harness itself: each browser loads pages through
// Polaris over HTTP and filtered HTTPS, clicks with the mouse, and uses
// WebSockets and server-sent events; the browsers resolve no name
// themselves.

import (
	"strings"
	"testing"
	"time"
)

func TestBrowserHarness(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	px := browserPolaris(t, "https.filter", "on")
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		s := w.newSite(t, "harness", sitePlain)
		s.Page("/", `<!doctype html><title>harness</title>
<p id="clicked">no</p>
<button id="b" style="margin:40px;padding:20px" onclick="document.getElementById('clicked').textContent = event.isTrusted ? 'trusted' : 'synthetic'">press</button>
<a id="next" href="/next">next</a>`)
		s.Page("/next", `<!doctype html><title>next</title><p>next page</p>`)
		for _, scheme := range []string{"http", "https"} {
			p.Navigate(s.URL(scheme, "/"))
			if got := p.String("document.title"); got != "harness" {
				p.Fatalf("%s: title %q, want harness", scheme, got)
			}
			p.Click("#b")
			p.WaitFor(`document.getElementById('clicked').textContent == 'trusted'`, 10*time.Second)
			p.Click("#next")
			p.WaitURL(s.URL(scheme, "/next"), 20*time.Second)
			p.WaitFor(`document.readyState == 'complete'`, 20*time.Second)
			if got := p.String("document.referrer"); got != s.URL(scheme, "/") {
				p.Errorf("%s: document.referrer %q, want %q", scheme, got, s.URL(scheme, "/"))
			}
			ws := strings.Replace(scheme, "http", "ws", 1)
			echoed := p.String(`new Promise((ok, fail) => {
				const ws = new WebSocket(` + jsString(s.URL(ws, "/ws")) + `);
				ws.onopen = () => ws.send("ping");
				ws.onmessage = e => { ok(e.data); ws.close(); };
				ws.onerror = () => fail("websocket error");
			})`)
			if echoed != "ping" {
				p.Errorf("%s: WebSocket echoed %q", scheme, echoed)
			}
			events := p.String(`new Promise((ok, fail) => {
				const got = [];
				const es = new EventSource("/sse?n=3");
				es.onmessage = e => got.push(e.data);
				es.addEventListener("end", () => { es.close(); ok(got.join(",")); });
				es.onerror = () => { es.close(); fail("sse error after " + got.join(",")); };
			})`)
			if events != "event 1,event 2,event 3" {
				p.Errorf("%s: server-sent events %q", scheme, events)
			}
			var n int
			p.Eval(`fetch("/big?size=5000000").then(r => r.text()).then(t => t.length)`, &n)
			if n != 5000000 {
				p.Errorf("%s: large body of %d bytes, want 5000000", scheme, n)
			}
		}
		if r := s.RequestsTo("/"); len(r) != 2 || r[0].Scheme != "http" || r[1].Scheme != "https" {
			t.Errorf("the origin saw %v, want one http and one https request for /", r)
		}
		if n := dnsLookupsOf(s.Host); n == 0 {
			t.Errorf("no DNS lookup of %s: did the requests go through Polaris?", s.Host)
		}
	})
}
