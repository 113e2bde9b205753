// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/tls"
	"io"
	"net/http"
	"testing"
	"time"
)

// benchMITM is a proxy intercepting HTTPS to a loopback origin (1 KiB
// answers), and the origin's URL.
func benchMITM(b *testing.B) (*testProxy, *testCA, string) {
	polaris, upstream := newTestCA(b, "Polaris test CA"), newTestCA(b, "upstream test CA")
	origin := newTLSOrigin(b, upstream, nil)
	origin.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 1024))
	})
	tp := mitmProxy(b, polaris, upstream, toOrigin(origin.Listener.Addr().String()), signalsOn, HTTPSPolicy{})
	tp.cfg.Logf = func(string, ...any) {}
	return tp, polaris, "https://bench.example.net/1k"
}

func benchGet(b *testing.B, c *http.Client, u string) {
	resp, err := c.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkMITMRequest: requests over kept-alive intercepted connections
// (warm leaf cache, pooled upstream connections).
func BenchmarkMITMRequest(b *testing.B) {
	tp, polaris, u := benchMITM(b)
	b.RunParallel(func(pb *testing.PB) {
		c := mitmClient(tp, polaris.pool)
		for pb.Next() {
			benchGet(b, c, u)
		}
	})
}

// BenchmarkMITMNewConnection: one CONNECT and client TLS handshake per
// request (new handshakes per second; leaf cached, upstream pooled).
func BenchmarkMITMNewConnection(b *testing.B) {
	tp, polaris, u := benchMITM(b)
	b.RunParallel(func(pb *testing.PB) {
		c := mitmClient(tp, polaris.pool)
		tr := c.Transport.(*http.Transport)
		tr.DisableKeepAlives = true
		tr.TLSClientConfig = &tls.Config{RootCAs: polaris.pool}
		tr.TLSHandshakeTimeout = 10 * time.Second
		for pb.Next() {
			benchGet(b, c, u)
		}
	})
}

// BenchmarkMITMRequestHTTP2: requests over a kept-alive intercepted HTTP/2
// connection (the client offers h2, as browsers do, and multiplexes every
// request over one connection, as browsers and hey -h2 do; the origin
// speaks h2, so the upstream is HTTP/2 too).
func BenchmarkMITMRequestHTTP2(b *testing.B) {
	polaris, upstream := newTestCA(b, "Polaris test CA"), newTestCA(b, "upstream test CA")
	leaf := upstream.leaf(b, []string{"127.0.0.1"}, time.Time{}, time.Time{})
	body := make([]byte, 1024)
	origin := newTLSOriginHandler(b, &leaf, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	tp := mitmProxy(b, polaris, upstream, nil, signalsOn, HTTPSPolicy{})
	tp.cfg.Logf = func(string, ...any) {}
	u := origin.URL + "/1k"
	c := h2Client(tp, polaris.pool, nil)
	if resp, err := c.Get(u); err != nil || resp.ProtoMajor != 2 {
		b.Fatalf("first request: %v, want HTTP/2", err)
	} else {
		resp.Body.Close()
	}
	b.SetParallelism(8) // 16 streams at a time on 2 CPUs, as bench/proxy.sh
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchGet(b, c, u)
		}
	})
}
