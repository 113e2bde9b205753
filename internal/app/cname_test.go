// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"polaris/internal/resolver/dnstest"
	"polaris/internal/status"
)

// cloakZone has a tracker behind the site's own name, the same company's
// CDN behind another, and a name that is no alias.
var cloakZone = []string{
	"news.test. 300 IN A 127.0.0.1",
	"metrics.news.test. 300 IN CNAME news.test.tracker.test.",
	"news.test.tracker.test. 300 IN A 127.0.0.1",
	"img.news.test. 300 IN CNAME img.newscdn.test.",
	"img.newscdn.test. 300 IN A 127.0.0.1",
	"plain.news.test. 300 IN A 127.0.0.1",
}

// cloakLists subscribes a to rules that block tracker.test and newscdn.test
// as third parties, and an entity map saying newscdn.test is news.test's.
func cloakLists(t *testing.T, a *App) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"rules.txt":     "! Title: test trackers\n||tracker.test^$third-party\n||newscdn.test^\n",
		"entities.json": `{"entities": {"News Co": {"properties": ["news.test"], "resources": ["newscdn.test"]}}}`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := a.AddList(context.Background(), p, name); err != nil {
			t.Fatalf("AddList(%s): %v", name, err)
		}
	}
}

// countingOrigin counts the requests it got per host.
type countingOrigin struct {
	mu   sync.Mutex
	seen map[string]int
}

func (o *countingOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.seen[strings.Split(r.Host, ":")[0]]++
	o.mu.Unlock()
	w.Write([]byte("ok"))
}

func (o *countingOrigin) count(host string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[host]
}

// decisionFor returns the newest decision about host.
func decisionFor(a *App, host string) (status.Decision, bool) {
	for _, d := range a.RecentDecisions(100) {
		if d.Host == host {
			return d, true
		}
	}
	return status.Decision{}, false
}

// TestCNAMEUncloaking: a request to a site's own name that is a CNAME of a
// listed tracker is blocked, and the log shows the chain; a chain to the
// same company's CDN is not blocked; the chain costs no lookup of its own
// (the decision and the connection share one, then the cache answers) —
// with the encrypted resolver and with the system's.
func TestCNAMEUncloaking(t *testing.T) {
	o := &countingOrigin{seen: map[string]int{}}
	origin := httptest.NewServer(o)
	defer origin.Close()
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	echoPort := tunnelEcho(t)
	for _, mode := range []string{"encrypted", "system"} {
		t.Run(mode, func(t *testing.T) {
			srv := dnstest.Start(t, cloakZone...)
			var a *App
			if mode == "encrypted" {
				a = encryptedDNSApp(t, srv, dnstest.DoH)
			} else {
				a = openTestApp(t, Options{Resolver: srv.Resolver()})
				startApp(t, a)
				t.Cleanup(func() { a.Close() })
			}
			cloakLists(t, a)
			addr := a.Snapshot().Proxy.Listen
			c := proxyClient(addr, nil)
			page := "http://news.test:" + port + "/"
			script := map[string]string{"Accept": "*/*", "Referer": page, "Sec-Fetch-Dest": "script"}

			fetch(t, c, "http://metrics.news.test:"+port+"/c.js", script)
			if n := o.count("metrics.news.test"); n != 0 {
				t.Errorf("the hidden tracker was reached %d times", n)
			}
			d, ok := decisionFor(a, "metrics.news.test")
			wantChain := []string{"news.test.tracker.test"}
			if !ok || d.Verdict != status.Blocked || d.CNAME != "news.test.tracker.test" || !slices.Equal(d.CNAMEs, wantChain) ||
				d.Rule != "||tracker.test^$third-party" {
				t.Errorf("decision about metrics.news.test = %+v, want blocked by ||tracker.test^$third-party through the chain %v", d, wantChain)
			}

			// The same company's CDN behind the site's name: let through,
			// with its chain in the log. Three connections, one lookup: the
			// decision and the first connection share it, the cache answers
			// the rest.
			img := func() {
				fetch(t, c, "http://img.news.test:"+port+"/a.png", map[string]string{"Accept": "image/png", "Referer": page, "Sec-Fetch-Dest": "image"})
			}
			img()
			first := srv.Count("img.news.test", "")
			img()
			img()
			if n := o.count("img.news.test"); n != 3 {
				t.Errorf("the site's CDN got %d of 3 requests", n)
			}
			if d, ok := decisionFor(a, "img.news.test"); !ok || d.Verdict == status.Blocked || !slices.Equal(d.CNAMEs, []string{"img.newscdn.test"}) {
				t.Errorf("decision about img.news.test = %+v, want let through with its chain", d)
			}
			// Encrypted: A and AAAA. The system's way: A and AAAA for the
			// addresses and, at the same moment, CNAME, A and AAAA for the
			// canonical name (Go's resolver asks that way).
			wantFirst := map[string]int{"encrypted": 2, "system": 5}[mode]
			if n := srv.Count("img.news.test", ""); first != wantFirst || n != first {
				t.Errorf("img.news.test was asked %d times for the first connection (want %d) and %d after three: %v", first, wantFirst, n, srv.Queries())
			}

			// An HTTPS tunnel to the hidden tracker is refused too.
			if st, body := connect(t, addr, "metrics.news.test:"+echoPort); !strings.Contains(st, "403") || !strings.Contains(body, "alias of: news.test.tracker.test") {
				t.Errorf("CONNECT metrics.news.test = %s %q, want 403 naming the tracker it is an alias of", st, body)
			}
			if fetch(t, c, "http://plain.news.test:"+port+"/x.js", script); o.count("plain.news.test") != 1 {
				t.Error("a name that is no alias was not let through")
			}

			// Switched off: the hidden tracker goes through.
			if err := a.Set(context.Background(), "blocking.cname-uncloaking", "off"); err != nil {
				t.Fatal(err)
			}
			fetch(t, c, "http://metrics.news.test:"+port+"/c.js", script)
			if n := o.count("metrics.news.test"); n != 1 {
				t.Errorf("with uncloaking off the request was not let through (%d)", n)
			}
			o.mu.Lock()
			o.seen = map[string]int{}
			o.mu.Unlock()
		})
	}
}
