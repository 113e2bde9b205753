// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"testing"
	"time"

	"polaris/internal/status"
)

// The Overview's Browsers list comes from the clients seen in the traffic:
// each state in exact words, with its fix.
func TestBrowsersListStates(t *testing.T) {
	check := &status.ClientCheck{Time: testNow.Add(-2 * time.Minute), Secure: true, WebRTC: "hidden"}
	for _, tc := range []struct {
		name   string
		filter bool
		c      status.Client
		want   clientRow
	}{
		{"filtered", true,
			status.Client{Family: status.Firefox, Version: "153", LastSeen: testNow.Add(-5 * time.Minute), Trust: status.TrustYes, LastHTTPS: testNow, Filtered: true, Check: check},
			clientRow{name: "Firefox 153", seen: "last seen 5 minutes ago", https: "Filtered.",
				check: "Check page 2 minutes ago: it trusts Polaris's certificate; WebRTC does not reveal this computer's addresses."}},
		{"pinned", true,
			status.Client{Family: status.Chrome, Version: "156", LastSeen: testNow.Add(-3 * time.Hour), Trust: status.TrustYes, LastHTTPS: testNow, Filtered: true, Pinned: []string{"a.example", "b.example"}},
			clientRow{name: "Chromium / Chrome 156", seen: "last seen 3 hours ago", https: "Filtered. Pinned on 2 sites, which pass through untouched.",
				check: "Not checked yet: open http://polaris.invalid/check in this browser to check it."}},
		{"not trusted", true,
			status.Client{Family: status.Firefox, Version: "128", LastSeen: testNow, Trust: status.TrustNo, LastHTTPS: testNow,
				Check: &status.ClientCheck{Time: testNow, WebRTC: "exposed"}},
			clientRow{name: "Firefox 128", seen: "last seen just now", https: "Not filtered: does not trust Polaris's certificate.",
				check: "Check page just now: it does not show that it trusts Polaris's certificate; WebRTC reveals this computer's addresses to pages.",
				fix:   "Install the certificate for this browser"}},
		{"filtering off", false,
			status.Client{Family: status.Firefox, Version: "153", LastSeen: testNow, LastHTTPS: testNow},
			clientRow{name: "Firefox 153", seen: "last seen just now", https: "Not filtered: filtering of secure pages is off.",
				check: "Not checked yet: open http://polaris.invalid/check in this browser to check it.", fix: "Filter secure pages…"}},
		{"no https yet", true,
			status.Client{Family: status.Edge, Version: "140", LastSeen: testNow},
			clientRow{name: "Edge 140", seen: "last seen just now", https: "No secure page seen yet.",
				check: "Not checked yet: open http://polaris.invalid/check in this browser to check it."}},
		{"passed through", true,
			status.Client{Family: status.Firefox, Version: "153", LastSeen: testNow, LastHTTPS: testNow},
			clientRow{name: "Firefox 153", seen: "last seen just now", https: "Not filtered: its last secure page passed through untouched.",
				check: "Not checked yet: open http://polaris.invalid/check in this browser to check it."}},
		{"program refusing", true,
			status.Client{Family: status.OtherClient, Name: "curl", LastSeen: testNow, Trust: status.TrustNo, LastHTTPS: testNow},
			clientRow{name: "curl", seen: "last seen just now", https: "Not filtered: does not trust Polaris's certificate."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.set.HTTPS.Filter = tc.filter
			h := newHarness(t, f, "overview")
			s := running()
			s.Proxy.Clients = []status.Client{tc.c}
			h.snapshot(s)
			rows := h.u.overview.clients.rows
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			got := rows[0]
			if (got.fix != "") != (got.act != nil) {
				t.Errorf("fix %q with action %v", got.fix, got.act != nil)
			}
			type words struct{ name, seen, https, check, fix string }
			if (words{got.name, got.seen, got.https, got.check, got.fix}) != (words{tc.want.name, tc.want.seen, tc.want.https, tc.want.check, tc.want.fix}) {
				t.Errorf("row\n got %+v\nwant %+v", got, tc.want)
			}
			for _, text := range []string{tc.want.name, tc.want.seen, tc.want.https, tc.want.check} {
				if text != "" {
					h.see(text)
				}
			}
			if tc.want.fix != "" {
				h.button(tc.want.fix)
			} else {
				h.dontSee("Install the certificate for this browser")
				h.dontSee("Filter secure pages…")
			}
		})
	}
}

// "Install the certificate for this browser" installs the CA in the
// browsers' stores (the engine then retries every client) and says so.
func TestBrowsersListInstallFix(t *testing.T) {
	f := newFake(t)
	f.set.HTTPS.Filter = true
	installs := 0
	f.installBrowsers = func() (string, error) { installs++; return "added to Firefox profile 'default-esr'", nil }
	h := newHarness(t, f, "overview")
	s := running()
	s.Proxy.Clients = []status.Client{{Family: status.Firefox, Version: "128", LastSeen: testNow, Trust: status.TrustNo, LastHTTPS: testNow}}
	h.snapshot(s)
	h.tap("Install the certificate for this browser")
	if installs != 1 {
		t.Fatalf("%d installs, want 1", installs)
	}
	h.see("Certificate installed in the browsers. Polaris tries them again on their next secure page; restart a browser that is open if it still refuses.")
	// The engine retried the browser, which now trusts the certificate.
	s.Proxy.Clients[0].Trust, s.Proxy.Clients[0].Filtered = status.TrustYes, true
	s.Time = time.Time{}
	h.snapshot(s)
	h.see("Filtered.")
	h.dontSee("Install the certificate for this browser")
}

// "Filter secure pages…" opens the set-up.
func TestBrowsersListFilterFixOpensSetup(t *testing.T) {
	f := newFake(t)
	f.findBrowsers = func() []status.FoundBrowser { return nil }
	h := newHarness(t, f, "overview")
	s := running()
	s.Proxy.Clients = []status.Client{{Family: status.Firefox, Version: "153", LastSeen: testNow, LastHTTPS: testNow}}
	h.snapshot(s)
	h.tap("Filter secure pages…")
	if h.u.setup == nil {
		t.Fatal("the set-up did not open")
	}
	h.see("Filter secure pages (HTTPS)?")
}
