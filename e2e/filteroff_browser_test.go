// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Turning HTTPS filtering off takes effect at the next request, also on
// connections Polaris intercepted before (issue 13, defect 8): the browser
// then talks to the site itself, and Polaris's signals (DNT here) no longer
// appear inside HTTPS.

import (
	"testing"
	"time"
)

func TestFilterOffReachesOpenConnections(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	for _, b := range browserNames {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			px := browserPolaris(t, "https.filter", "on", "dnt", "1")
			p := openPage(t, b, px.addr)
			s := w.newSite(t, "keepalive", sitePlain)
			s.Page("/", `<!doctype html><title>keep-alive</title>`)
			p.Navigate(s.HTTPS("/"))
			var n int
			p.Eval(`fetch("/echo?before").then(r => r.json()).then(j => 1)`, &n)
			before := s.WaitRequest(10*time.Second, func(r *seenRequest) bool { return r.Query == "before" })
			if before == nil || before.Header.Get("Dnt") != "1" {
				t.Fatalf("with filtering on, the request inside HTTPS was %v, want DNT: 1 added by Polaris", before)
			}
			mustPolaris(t, px.dataDir, "config", "set", "https.filter", "off")
			p.Eval(`fetch("/echo?after").then(r => r.json()).then(j => 1)`, &n)
			after := s.WaitRequest(10*time.Second, func(r *seenRequest) bool { return r.Query == "after" })
			if after == nil {
				p.Fatalf("the request after https.filter off never reached the site")
			}
			if got := after.Header.Get("Dnt"); got != "" {
				p.Errorf("the first request after https.filter off still went through Polaris's interception (DNT: %q)", got)
			}
		})
	}
}
