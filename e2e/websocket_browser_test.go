// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// WebSockets to a blocked host with HTTPS filtering on (issue 13, defect
// 5): ws:// goes through a CONNECT tunnel that carries no TLS, wss:// through
// an intercepted one; both are blocked, a WebSocket to another host works.

import "testing"

func TestWebSocketToBlockedHostIsBlocked(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	sites := map[string]*site{}
	trackers := map[string]*site{}
	var rules string
	for _, b := range browserNames {
		sites[b] = w.newSite(t, "chat", sitePlain)
		trackers[b] = w.newSite(t, "wstracker", sitePlain)
		rules += "||" + trackers[b].Host + "^\n"
		sites[b].Page("/", `<!doctype html><title>chat</title>`)
	}
	px := browserPolaris(t, "https.filter", "on", "blocking.custom-rules", rules)
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		s, tr := sites[p.browser], trackers[p.browser]
		for _, scheme := range []string{"http", "https"} {
			ws := map[string]string{"http": "ws", "https": "wss"}[scheme]
			p.Navigate(s.URL(scheme, "/"))
			open := func(u string) string {
				return p.String(`new Promise(ok => {
					const ws = new WebSocket(` + jsString(u) + `);
					ws.onopen = () => ws.send("ping");
					ws.onmessage = e => { ok("echo " + e.data); ws.close(); };
					ws.onerror = () => ok("error");
					setTimeout(() => ok("timeout"), 15000);
				})`)
			}
			if got := open(s.URL(ws, "/ws")); got != "echo ping" {
				p.Errorf("%s to the page's own host: %s, want echo ping", ws, got)
			}
			before := len(tr.RequestsTo("/ws"))
			if got := open(tr.URL(ws, "/ws")); got != "error" {
				p.Errorf("%s to the blocked host: %s, want error", ws, got)
			}
			if n := len(tr.RequestsTo("/ws")) - before; n != 0 {
				p.Errorf("%s: the blocked host got %d WebSocket requests", ws, n)
			}
		}
	})
}
