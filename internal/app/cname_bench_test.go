// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"polaris/internal/resolver/dnstest"
)

// BenchmarkUncloakingCost is what CNAME uncloaking costs a request through
// the running Polaris with encrypted DNS (a local DoH server that answers
// after 2 ms, standing in for a resolver's round trip):
//
//   - first-connection: a request to a name never seen (a CNAME to a CDN
//     name, new connection): the decision's lookup is the one the
//     connection uses, so uncloaking on and off should cost the same;
//   - kept-alive: requests on an open connection to a cloaked host: the
//     chain comes from the cache, the cost is the cache and the second
//     match.
func BenchmarkUncloakingCost(b *testing.B) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer origin.Close()
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	srv := dnstest.Start(b, "*.bench.test. 300 IN CNAME edge.cdn.test.", "edge.cdn.test. 300 IN A 127.0.0.1")
	srv.SetDelay(2 * time.Millisecond)
	caFile := filepath.Join(b.TempDir(), "ca.pem")
	os.WriteFile(caFile, srv.CAPEM, 0o600)
	a, err := Open(context.Background(), Options{DataDir: b.TempDir(), Listen: "127.0.0.1:0", StatsFlushInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for _, kv := range [][2]string{{"https.upstream-ca", caFile}, {"dns.custom", srv.DoHURL}, {"dns.resolver", "custom"}, {"dns.encrypted", "on"}} {
		if err := a.Set(context.Background(), kv[0], kv[1]); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- a.Run(ctx, func(addr string) { ready <- addr }) }()
	addr := <-ready
	defer func() { cancel(); <-done }()
	pu, _ := url.Parse("http://" + addr)
	get := func(c *http.Client, u string) {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Referer", "http://news.test/")
		req.Header.Set("Sec-Fetch-Dest", "script")
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s: %s", u, resp.Status)
		}
	}
	n := 0
	for _, on := range []string{"off", "on", "off", "on"} {
		if err := a.Set(context.Background(), "blocking.cname-uncloaking", on); err != nil {
			b.Fatal(err)
		}
		b.Run("first-connection/uncloaking="+on, func(b *testing.B) {
			c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true}}
			for b.Loop() {
				n++
				get(c, fmt.Sprintf("http://n%d.bench.test:%s/c.js", n, port))
			}
		})
		b.Run("kept-alive/uncloaking="+on, func(b *testing.B) {
			c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
			u := "http://metrics.bench.test:" + port + "/c.js"
			get(c, u)
			b.ReportAllocs()
			for b.Loop() {
				get(c, u)
			}
		})
	}
}
