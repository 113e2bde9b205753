// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/stats"
	"polaris/proxy"
)

// BenchmarkBlockedThroughProxy sends blocked requests through a real
// proxy, with the decisions recorded (stats=on) and dropped (stats=off):
// what counting costs a proxy that blocks thousands of requests a second.
func BenchmarkBlockedThroughProxy(b *testing.B) {
	l, err := blocklist.ParseString("||tracker.example^\n", blocklist.ListMeta{Name: "t", Category: "analytics"})
	if err != nil {
		b.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{l}, blocklist.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("stats=%v", map[bool]string{false: "off", true: "on"}[on]), func(b *testing.B) {
			s := stats.New(stats.Config{LogSize: 10_000})
			s.Start()
			cfg := proxy.Config{Listen: "127.0.0.1:0", ReservedHost: settings.ReservedHost}
			if on {
				cfg.Block.Decisions = s.Record
			}
			p, err := proxy.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			p.SetPolicy(proxy.Policy{Protection: true})
			p.SetMatcher(m)
			if err := p.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer p.Shutdown(context.Background())
			pu, _ := url.Parse("http://" + p.Addr())
			tr := &http.Transport{Proxy: http.ProxyURL(pu), MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{}).DialContext}
			c := &http.Client{Transport: tr}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest("GET", "http://tracker.example/pixel?id=1", nil)
				req.Header.Set("Referer", "http://news.example/")
				req.Header.Set("Accept", "*/*")
				for pb.Next() {
					resp, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 204 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.StopTimer()
			tr.CloseIdleConnections()
		})
	}
}
