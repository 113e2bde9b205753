// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
)

// blocking.honor-dnt-policy exempts a tracker only on a request Polaris
// sent DNT: 1 on, the user's choice: never with dnt unset (even when the
// browser sends its own DNT: 1) or 0, never for a site with a
// signal exception, never for an HTTPS tunnel Polaris does not open.
func TestEFFExemptionNeedsDNT(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||tracker.test^")
	var asked atomic.Int64
	bc := BlockConfig{Exempt: func(string) string { asked.Add(1); return "posts the EFF Do Not Track policy" }}
	tp, o := startBlockProxy(t, m, bc)
	c := tp.client()
	img := subresource("image", "http://news.test/")
	for _, tc := range []struct {
		name    string
		pol     Policy
		browser string // the browser's own DNT header, "" for none
		exempt  bool
	}{
		{"dnt unset", Policy{Protection: true}, "", false},
		{"dnt 0", Policy{Protection: true, DNT: settings.DNTAllowTracking}, "", false},
		{"dnt 0 over the browser's 1", Policy{Protection: true, DNT: settings.DNTAllowTracking}, "1", false},
		{"dnt 1", Policy{Protection: true, DNT: settings.DNTDoNotTrack}, "", true},
		// The browser's own DNT: 1 is not the user's choice in Polaris.
		{"dnt unset, the browser sends 1", Policy{Protection: true}, "1", false},
		{"dnt 1, the browser sends 0", Policy{Protection: true, DNT: settings.DNTDoNotTrack}, "0", true},
		{"dnt 1, signal exception, the browser sends 1", Policy{Protection: true, DNT: settings.DNTDoNotTrack,
			Exceptions: []settings.SiteException{{Site: "news.test", NoSignals: true}}}, "1", false},
		{"dnt 1, signal exception for the site", Policy{Protection: true, DNT: settings.DNTDoNotTrack,
			Exceptions: []settings.SiteException{{Site: "news.test", NoSignals: true}}}, "", false},
		{"dnt 1, exception sending 0", Policy{Protection: true, DNT: settings.DNTDoNotTrack,
			Exceptions: []settings.SiteException{{Site: "news.test", DNT: settings.DNTAllowTracking}}}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp.SetPolicy(tc.pol)
			h := map[string]string{}
			for k, v := range img {
				h[k] = v
			}
			if tc.browser != "" {
				h["DNT"] = tc.browser
			}
			before := o.hits.Load()
			do(t, c, browserGet(t, "http://tracker.test/p.gif", h))
			if got := o.hits.Load() != before; got != tc.exempt {
				t.Errorf("the tracker was reached: %v, want %v", got, tc.exempt)
			}
		})
	}
	// An unfiltered tunnel is decided on its host, DNT or not.
	tp.SetPolicy(Policy{Protection: true, DNT: settings.DNTDoNotTrack})
	asked.Store(0)
	conn, err := net.Dial("tcp", tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT tracker.test:443 HTTP/1.1\r\nHost: tracker.test:443\r\nDNT: 1\r\n\r\n")
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusForbidden || asked.Load() != 0 {
		t.Errorf("CONNECT to a tracker posting the EFF policy: %d (exemption asked %d times), want 403 without asking", resp.StatusCode, asked.Load())
	}
}
