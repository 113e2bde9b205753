// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Page-load time in Chromium of a page with 50 subresources (images,
// scripts, stylesheets, fetches; its own host and a CDN), directly and
// through Polaris: plain HTTP, filtered HTTPS, and HTTPS tunnelled untouched
// (https.filter off). Each run opens a fresh browser context (cold
// connections, empty cache) and reads the load event's time from the
// Navigation Timing entry; the configurations take turns, 20 rounds.
//
//	go test -run '^$' -bench BenchmarkPageLoad -benchtime 1x ./e2e/

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

func BenchmarkPageLoad(b *testing.B) {
	w := sharedWeb(b)
	first := w.newSite(b, "bench.example.com", sitePlain)
	cdn := w.newSite(b, "benchcdn.example.net", sitePlain)
	asset := func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Access-Control-Allow-Origin", "*")
		switch {
		case strings.HasSuffix(r.URL.Path, ".js"):
			rw.Header().Set("Content-Type", "application/javascript")
			io.WriteString(rw, "var x"+strings.Repeat(" ", 4000)+";")
		case strings.HasSuffix(r.URL.Path, ".css"):
			rw.Header().Set("Content-Type", "text/css")
			io.WriteString(rw, "p{}"+strings.Repeat(" ", 4000))
		default:
			rw.Header().Set("Content-Type", "image/gif")
			rw.Write(make([]byte, 8000))
		}
	}
	first.Handle("/a/", asset)
	cdn.Handle("/a/", asset)
	first.Handle("/page", func(rw http.ResponseWriter, r *http.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		var h strings.Builder
		h.WriteString("<!doctype html><title>bench</title>")
		for i := 0; i < 50; i++ {
			s := first
			if i%2 == 1 {
				s = cdn
			}
			u := s.URL(scheme, fmt.Sprintf("/a/%d", i))
			switch {
			case i < 25:
				fmt.Fprintf(&h, `<img src="%s.gif">`, u)
			case i < 35:
				fmt.Fprintf(&h, `<script src="%s.js"></script>`, u)
			case i < 45:
				fmt.Fprintf(&h, `<link rel="stylesheet" href="%s.css">`, u)
			default:
				fmt.Fprintf(&h, `<script>fetch(%q)</script>`, u+".txt")
			}
		}
		rw.Header().Set("Content-Type", "text/html")
		rw.Header().Set("Cache-Control", "no-store")
		io.WriteString(rw, h.String())
	})
	filtered := browserPolaris(b, "https.filter", "on")
	tunnel := browserPolaris(b, "https.filter", "off")
	configs := []struct{ name, proxy, scheme string }{
		{"direct-http", "", "http"},
		{"polaris-http", filtered.addr, "http"},
		{"direct-https", "", "https"},
		{"polaris-filtered-https", filtered.addr, "https"},
		{"polaris-tunnel-https", tunnel.addr, "https"},
	}
	const rounds = 20
	times := map[string][]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for round := 0; round < rounds; round++ {
			for _, c := range configs {
				p := openPage(b, "chromium", c.proxy)
				p.Navigate(first.URL(c.scheme, "/page"))
				var ms float64
				p.Eval(`new Promise(ok => { const f = () => { const e = performance.getEntriesByType("navigation")[0]; if (e && e.loadEventEnd > 0) ok(e.loadEventEnd); else setTimeout(f, 10); }; f(); })`, &ms)
				times[c.name] = append(times[c.name], ms)
				p.tab.close()
			}
		}
	}
	b.StopTimer()
	for _, c := range configs {
		ts := times[c.name]
		sort.Float64s(ts)
		med, p90 := ts[len(ts)/2], ts[(len(ts)*9+9)/10-1]
		b.ReportMetric(med, c.name+"-median-ms")
		b.ReportMetric(p90, c.name+"-p90-ms")
		b.Logf("%-24s median %6.1f ms  p90 %6.1f ms  (%d runs)", c.name, med, p90, len(ts))
	}
	_ = time.Second
}
