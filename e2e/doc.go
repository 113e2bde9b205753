// SPDX-License-Identifier: GPL-3.0-or-later

// Package e2e holds Polaris's end-to-end tests: the built binary, its real
// SQLite file, real origin servers on loopback, the window under Xvfb, the
// private Tor network and real browsers. It has no code of its own outside
// its tests.
//
// # The private network
//
// TestMain re-executes the test binary in new network, mount and PID
// namespaces (netns_test.go; `unshare`, as root or in a user namespace).
// Inside there is only loopback; /etc/hosts, /etc/resolv.conf and
// /etc/nsswitch.conf are replaced so that every host name is asked of a DNS
// stub on 127.0.0.1:53 (dns_test.go) that answers test names (*.test,
// *.example, names under example.com/.net/.org) and records each question
// (dnsQueries, dnsLookupsOf). When the test binary ends, every process left
// in the namespace is killed. With CI=true, a namespace that cannot be made
// fails the run; elsewhere the browser tests skip and say why
// (POLARIS_E2E_NETNS=off runs the package outside on purpose).
//
// # Origins (web_test.go)
//
//	w := sharedWeb(t)                       // started once per package
//	s := w.newSite(t, "news", sitePlain)    // host "news-N.test", unique in the run
//	s := w.newSite(t, "shop.example.com", sitePlain) // "shop-N.example.com": a public name to a browser
//	s.Page("/", html)                       // serve a page
//	s.Handle("POST /form", handlerFunc)     // any handler (http.ServeMux patterns)
//	s.HTTP("/"), s.HTTPS("/"), s.URL("ws", "/ws")
//	s.Requests(), s.RequestsTo("/x")        // what the site received: method, scheme, proto, headers, body
//	s.WaitRequest(timeout, func(*seenRequest) bool)
//
// Kinds: sitePlain (HTTP on 80, HTTPS with HTTP/2 on 443), siteNoHTTPS (port
// 443 closed), siteBadTLS (443 answers with an untrusted certificate),
// siteH1 (HTTPS without HTTP/2). Every site answers /echo, /ws (WebSocket
// echo), /sse?n=N, /big?size=N, /wait?ms=N and /empty unless a test
// registers those paths itself (it must not: ServeMux refuses duplicates).
// Origin certificates come from a test CA (w.caFile) that Polaris gets as
// https.upstream-ca; the browsers trust it too, as they trust real sites'
// certificates, so a tunnel Polaris does not intercept works.
//
// # Polaris and browsers (browser_test.go, browser_polaris_test.go)
//
//	px := browserPolaris(t, "https.filter", "on", "dnt", "1") // `polaris run` on a fresh data dir
//	forEachBrowser(t, px.addr, func(t *testing.T, p *page) { ... }) // a subtest per browser, in turn
//	t.Parallel()                           // at a test's top: overlaps with the other parallel browser tests
//	p := openPage(t, "chromium", px.addr)  // one browser; "" as the address: no proxy
//
// browserPolaris copies the package's Polaris CA (trusted, with the origins'
// CA, by both browsers' NSS databases: Chromium's ~/.pki/nssdb, the Firefox
// profile's cert9.db)
// into the data dir, sets https.upstream-ca to the origins' CA, then applies
// the key/value settings with `polaris config set`. px is a *running: stop
// it with px.stop(t), read its data dir at px.dataDir, run CLI commands
// with mustPolaris(t, px.dataDir, ...).
//
// Chromium (/usr/bin/chromium, chromedp) and Firefox ESR (firefox-esr,
// Marionette, our client) start once per package, headless, with fresh
// profiles in temporary HOMEs. Each Chromium page is a new BrowserContext
// with its own proxy (tests may run in parallel); Firefox pages are tabs of
// one window whose proxy preferences are set per page, so Firefox tests take
// turns (openPage holds a lock until the test ends).
//
// A page's actions fail the test with a screenshot named in the message:
//
//	p.Navigate(url)              // waits for the load event; a browser error page fails
//	err := p.TryNavigate(url)    // the same, returning the browser's error
//	p.Click("#allow")            // a real mouse click at the element's centre
//	p.Eval(expr, &out)           // JavaScript (a promise is awaited), JSON into out
//	s := p.String("document.referrer")
//	p.WaitFor("expr", timeout)   // until expr is true (survives navigations)
//	p.WaitURL(prefix, timeout)
//	p.Text()                     // the visible text
//	p.Fatalf / p.Errorf          // fail with a screenshot
//
// Screenshots go to $POLARIS_ARTEFACTS/<test>/ (default
// $TMPDIR/polaris-e2e-artefacts/<test>/), kept after the run; a failed test
// also gets one at its end. Browser logs are in their HOME while they run.
package e2e
