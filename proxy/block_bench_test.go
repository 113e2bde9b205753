// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"testing"

	"polaris/blocklist"
	"polaris/internal/status"
	"polaris/internal/testenv"
)

// BenchmarkDecide is what blocking adds to one proxied request, without the
// network: the request's type and site from its headers, the URL, the
// match against EasyList + EasyPrivacy and the decision event, over the
// 10,000 real requests of adblock-vectors/realworld sent as a browser
// sends them. "off" is the same path with no matcher (blocking off).
func BenchmarkDecide(b *testing.B) {
	f, err := os.Open(testenv.Shared(b, "adblock-vectors/realworld/verdicts-2026-first10k.jsonl.gz"))
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	type req struct {
		r    *http.Request
		info requestInfo
	}
	var reqs []req
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	dests := map[string]string{"script": "script", "image": "image", "stylesheet": "style", "sub_frame": "iframe", "main_frame": "document", "xmlhttprequest": "empty", "font": "font", "media": "video"}
	for sc.Scan() {
		var c struct {
			URL       string `json:"url"`
			SourceURL string `json:"sourceUrl"`
			Type      string `json:"type"`
		}
		if json.Unmarshal(sc.Bytes(), &c) != nil {
			continue
		}
		r, err := http.NewRequest("GET", c.URL, nil)
		if err != nil {
			continue
		}
		r.Header.Set("Referer", c.SourceURL)
		r.Header.Set("Sec-Fetch-Dest", dests[c.Type])
		r.Header.Set("Accept", "*/*")
		reqs = append(reqs, req{r: r, info: newRequestInfo(r)})
	}
	f.Close()
	var lists []*blocklist.List
	for _, rel := range []string{"blocklists/easylist.txt", "blocklists/easyprivacy.txt"} {
		l, err := blocklist.Parse(must(os.Open(testenv.Shared(b, rel))), blocklist.ListMeta{Name: rel})
		if err != nil {
			b.Fatal(err)
		}
		lists = append(lists, l)
	}
	m, err := blocklist.Compile(lists, blocklist.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		m    *blocklist.Matcher
	}{{"off", nil}, {"easylist+easyprivacy", m}} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := New(Config{Listen: "127.0.0.1:0", Block: BlockConfig{Decisions: func(status.Decision) {}}})
			if err != nil {
				b.Fatal(err)
			}
			p.SetMatcher(tc.m)
			pol := &Policy{Protection: true}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				rq := &reqs[i%len(reqs)]
				info := rq.info
				p.block(rq.r, pol, &info)
				i++
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkProxyAllowed1k is bench/proxy.sh's http1k scenario in process:
// absolute-form GETs of a 1 KiB answer through the real proxy, with
// blocking off and with EasyList + EasyPrivacy loaded (allowed requests).
func BenchmarkProxyAllowed1k(b *testing.B) {
	easy := func() *blocklist.Matcher {
		var lists []*blocklist.List
		for _, rel := range []string{"blocklists/easylist.txt", "blocklists/easyprivacy.txt"} {
			l, err := blocklist.Parse(must(os.Open(testenv.Shared(b, rel))), blocklist.ListMeta{Name: rel})
			if err != nil {
				b.Fatal(err)
			}
			lists = append(lists, l)
		}
		m, err := blocklist.Compile(lists, blocklist.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	body := bytes.Repeat([]byte("x"), 1024)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer origin.Close()
	for _, tc := range []struct {
		name string
		m    func() *blocklist.Matcher
	}{{"off", func() *blocklist.Matcher { return nil }}, {"easylist+easyprivacy", easy}} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := New(Config{Listen: "127.0.0.1:0", Block: BlockConfig{Decisions: func(status.Decision) {}}})
			if err != nil {
				b.Fatal(err)
			}
			p.SetPolicy(Policy{Protection: true, DNT: 1, GPC: true})
			p.SetMatcher(tc.m()) // its heap counts too: garbage collection scans it
			runtime.GC()
			if err := p.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer p.Shutdown(context.Background())
			pu, _ := url.Parse("http://" + p.Addr())
			tr := &http.Transport{Proxy: http.ProxyURL(pu), MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest("GET", origin.URL+"/1k", nil)
				req.Header.Set("Accept", "*/*")
				req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) bench-wrk/1")
				for pb.Next() {
					resp, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}
