// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"testing"

	"polaris/internal/resolver/dnstest"
	"polaris/internal/testenv"
)

// BenchmarkLookup measures one uncached lookup (a name never asked
// before: A and AAAA) against the local servers: the system's way (Go's
// resolver over UDP), DNS over HTTPS and DNS over TLS, on connections kept
// open as in use. Loopback only: the figures are the protocols' own cost,
// not a network's.
func BenchmarkLookup(b *testing.B) {
	srv := dnstest.Start(b, "*.bench.test. 300 IN A 127.0.0.1", "*.bench.test. 300 IN AAAA ::1")
	for _, mode := range []string{dnstest.Plain, dnstest.DoH, dnstest.DoT} {
		b.Run(mode, func(b *testing.B) {
			cfg := Config{System: srv.Resolver(), RootCAs: srv.CA, CacheSize: 16}
			switch mode {
			case dnstest.DoH:
				cfg.Server.URL = srv.DoHURL
			case dnstest.DoT:
				cfg.Server.URL = srv.DoTURL
			}
			r, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Shutdown(context.Background())
			ctx := context.Background()
			if _, err := r.Lookup(ctx, "warm.bench.test"); err != nil { // the connection is open
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := r.Lookup(ctx, fmt.Sprintf("n%d.%s.bench.test", i, mode)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookupCached is a lookup the cache answers: the cost a
// connection pays after the first one to its host.
func BenchmarkLookupCached(b *testing.B) {
	srv := dnstest.Start(b, "site.test. 300 IN A 127.0.0.1")
	r, err := New(Config{Server: Server{URL: srv.DoHURL}, RootCAs: srv.CA})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	ctx := context.Background()
	if _, err := r.Lookup(ctx, "site.test"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Lookup(ctx, "site.test"); err != nil {
			b.Fatal(err)
		}
	}
}

// traceHosts returns the host of every request of the realworld vectors,
// in order: a browsing trace of 10,000 requests.
func traceHosts(tb testing.TB) []string {
	f, err := os.Open(testenv.Shared(tb, "adblock-vectors/realworld/verdicts-2026-first10k.jsonl.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var hosts []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v struct{ URL string }
		if json.Unmarshal(sc.Bytes(), &v) != nil {
			continue
		}
		if u, err := url.Parse(v.URL); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	return hosts
}

// BenchmarkTraceHitRate replays the hosts of the realworld browsing trace
// (10,000 requests) through an encrypted resolver, one lookup per request,
// and reports the share the cache answered (hit%) and the questions sent
// per request. The trace has no times, so no answer expires: the figure
// is what the default bound (4,096 names) and the trace's repetition give.
func BenchmarkTraceHitRate(b *testing.B) {
	hosts := traceHosts(b)
	srv := dnstest.Start(b, "*. 300 IN A 127.0.0.1")
	ctx := context.Background()
	for b.Loop() {
		r, err := New(Config{Server: Server{URL: srv.DoHURL}, RootCAs: srv.CA})
		if err != nil {
			b.Fatal(err)
		}
		srv.Reset()
		for _, h := range hosts {
			if _, err := r.Lookup(ctx, h); err != nil {
				b.Fatal(err)
			}
		}
		st := r.Status()
		b.ReportMetric(100*float64(st.Hits)/float64(st.Hits+st.Misses), "hit%")
		b.ReportMetric(float64(len(srv.Queries()))/float64(len(hosts)), "questions/request")
		r.Shutdown(ctx)
	}
}
