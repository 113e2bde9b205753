// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/elazarl/goproxy"

	"polaris/internal/settings"
)

// medianOf is the median of 1,001 runs of f's own measurement.
func medianOf(f func() time.Duration) time.Duration {
	d := make([]time.Duration, 1001)
	for i := range d {
		d[i] = f()
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// BenchmarkStealth is the CPU the cookie and header protections add to one
// request and its answer (target: at most 1 µs). Each request's protections are timed
// alone and the median and 90th percentile reported, so that a loaded
// machine's preemptions do not count as work.: a browser's third-party
// image request to a tracker with a cookie, cache validators, client hints
// and a credential, and its answer with a Set-Cookie, ETag, Last-Modified
// and Accept-CH; and a first-party one with a lifetime cap on its cookie.
func BenchmarkStealth(b *testing.B) {
	s := settings.Default().Stealth
	s.FirstPartyCookieMaxAge = 7 * 24 * time.Hour
	s.Exceptions = []settings.StealthException{{Site: "bank.example", Off: settings.FeatureAll}}
	pol := Policy{Protection: true, Stealth: s}
	pol.prepare()
	p := &Proxy{}
	st, _ := compileHTTPS(HTTPSPolicy{})
	p.state.Store(&state{https: st, matcher: &loadedMatcher{}})
	for _, bc := range []struct {
		name, url, site string
	}{
		{"third-party", "https://tracker.example/p.gif?id=1", "https://news.example/"},
		{"first-party", "https://news.example/page", "https://news.example/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			reqHeader := http.Header{
				"User-Agent": {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"},
				"Accept":     {"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"},
				"Referer":    {bc.site}, "Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Dest": {"image"},
				"Cookie": {"uid=42; _ga=GA1.2.3"}, "If-None-Match": {`"abc"`}, "If-Modified-Since": {"Wed, 21 Oct 2015 07:28:00 GMT"},
				"Sec-Ch-Ua": {`"Chromium";v="156"`}, "Sec-Ch-Ua-Full-Version-List": {`"Chromium";v="156.0.1.2"`},
				"Sec-Ch-Ua-Platform-Version": {`"6.1.0"`}, "Sec-Ch-Ua-Arch": {`"x86"`}, "X-Client-Data": {"CIa2yQEI"},
				"Authorization": {"Basic dTpw"},
			}
			respHeader := http.Header{
				"Content-Type": {"image/gif"}, "Set-Cookie": {"uid=42; Path=/; Max-Age=63072000; SameSite=None; Secure"},
				"Etag": {`"abc"`}, "Last-Modified": {"Wed, 21 Oct 2015 07:28:00 GMT"}, "Accept-Ch": {"Sec-CH-UA-Model"},
			}
			u, _ := http.NewRequest("GET", bc.url, nil)
			r := &http.Request{Method: "GET", URL: u.URL}
			resp := &http.Response{}
			ctx := &goproxy.ProxyCtx{}
			now := time.Now()
			clock := medianOf(func() time.Duration { t0 := time.Now(); return time.Since(t0) })
			b.ReportAllocs()
			var took []time.Duration
			for b.Loop() {
				// Fresh copies, not timed: only the protections' work is.
				r.Header, resp.Header = reqHeader.Clone(), respHeader.Clone()
				ctx.UserData = nil
				info := newRequestInfo(r)
				info.tracker = true
				info.siteDomain() // onRequest has it before the protections run
				t0 := time.Now()
				p.applyStealth(r, &pol, &info, ctx)
				applyStealthResponse(resp, ctx, now)
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64((took[len(took)/2] - clock).Nanoseconds()), "median-ns/req")
			b.ReportMetric(float64((took[len(took)*9/10] - clock).Nanoseconds()), "p90-ns/req")
		})
	}
}
