// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHostSet(t *testing.T) {
	s, err := newHostSet([]string{"example.com", "*.sub.example.org", "google.*", "10.1.2.3", "Bank.Example."})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"example.com", true}, {"www.example.com", true}, {"a.b.example.com", true}, {"notexample.com", false},
		{"example.com.evil.net", false}, {"sub.example.org", false}, {"x.sub.example.org", true},
		{"google.com", true}, {"www.google.co.uk", true}, {"maps.google.com.br", true}, {"google.blogspot.com", false},
		{"mygoogle.com", false}, {"google", false}, {"bank.example", true}, {"10.1.2.3", true}, {"110.1.2.3", false},
		{"2.3", false}, {"", false},
	} {
		if got := s.match(tc.host); got != tc.want {
			t.Errorf("match(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
	for _, bad := range []string{"", "*", "*.", "a..b", "exa mple.com", "http://x.com", "goo.gle.*", ".example.com"} {
		if _, err := newHostSet([]string{bad}); err == nil {
			t.Errorf("newHostSet(%q) accepted a bad pattern", bad)
		}
	}
}

// The embedded lists parse and say what they promise.
func TestBuiltinLists(t *testing.T) {
	for _, h := range []string{"www.google.com", "www.google.fr", "www.bing.com", "duckduckgo.com", "search.yahoo.com",
		"yandex.ru", "yandex.com.tr", "www.baidu.com", "www.ecosia.org", "www.startpage.com", "www.qwant.com", "search.brave.com"} {
		if !isSearchEngine(h) {
			t.Errorf("isSearchEngine(%q) = false", h)
		}
	}
	for _, h := range []string{"www.yahoo.com", "brave.com", "example.com"} {
		if isSearchEngine(h) {
			t.Errorf("isSearchEngine(%q) = true", h)
		}
	}
	for _, h := range []string{"www.irs.gov", "www.gov.uk", "online.hmrc.gov.uk", "www.paypal.com", "secure.chase.com",
		"www.nhs.uk", "x.nhs.uk", "home.bank", "mychart.example.mychart.com", "service-public.gouv.fr"} {
		if !defaultExclusions.match(h) {
			t.Errorf("default exclusions miss %q", h)
		}
	}
	for _, h := range []string{"www.google.com", "gov.example.com", "example.com", "news.bbc.co.uk"} {
		if defaultExclusions.match(h) {
			t.Errorf("default exclusions match %q", h)
		}
	}
	for _, p := range []string{"utm_source", "utm_anything", "fbclid", "gclid", "msclkid", "mc_eid", "_hsenc"} {
		if !builtinParams.has(p) {
			t.Errorf("built-in tracking parameters miss %q", p)
		}
	}
	for _, p := range []string{"q", "id", "page", "FBCLID", "utm", "ref"} {
		if builtinParams.has(p) {
			t.Errorf("built-in tracking parameters have %q", p)
		}
	}
}

func TestStripParams(t *testing.T) {
	s, err := newParamSet([]string{"utm_*", "fbclid", "bad."})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"q=1", "q=1"},
		{"utm_source=x", ""},
		{"a=1&utm_source=x&b=2", "a=1&b=2"},
		{"a=1&fbclid&b", "a=1&b"},
		{"utm_medium=a&utm_medium=b&x=%20y", "x=%20y"},
		{"badx=1&bad.=2", "badx=1"},
		{"utm%5Fsource=x&q=1", "q=1"},
		{"a=1&&b=2&fbclid=3", "a=1&&b=2"},
		{"x=fbclid&FBCLID=1", "x=fbclid&FBCLID=1"},
		{"a=1&", "a=1&"},
	} {
		got, changed := s.strip(tc.in)
		if got != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("strip(%q) = %q, %v, want %q", tc.in, got, changed, tc.want)
		}
	}
}

func TestAMPTarget(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://www.google.com/amp/s/www.example.com/a?b=1", "https://www.example.com/a?b=1"},
		{"https://www.google.com.au/amp/example.com/a", "http://example.com/a"},
		{"https://example-com.cdn.ampproject.org/c/s/example.com/story", "https://example.com/story"},
		{"https://www.google.com/search?q=amp", ""},
		{"https://www.google.com/amp/s/", ""},
		{"https://www.google.com/amp/s/user:pw@example.com/", ""},
		{"https://www.google.com/amp/s/localhost/x", ""},
		{"https://evil.example/amp/s/example.com/", ""},
		{"https://maps.google.com/amp/s/example.com/", ""},
	} {
		u, _ := url.Parse(tc.in)
		if got := ampTarget(u); got != tc.want {
			t.Errorf("ampTarget(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTrimReferrer(t *testing.T) {
	st, err := compileHTTPS(HTTPSPolicy{
		TrimReferrer: true,
		SameOwner: func(a, b string) bool {
			return (a == "fb.com" && b == "fbcdn.net") || (a == "fbcdn.net" && b == "fb.com")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	off, _ := compileHTTPS(HTTPSPolicy{})
	for _, tc := range []struct {
		name, url, referer, want string
		st                       *httpsState
	}{
		{"same site", "https://cdn.news.com/a.js", "https://www.news.com/story?id=1", "https://www.news.com/story?id=1", st},
		{"cross site", "https://ads.net/p.gif", "https://www.news.com/story?id=1", "https://www.news.com/", st},
		{"cross site with port", "https://ads.net/p.gif", "http://www.news.com:8080/story", "http://www.news.com:8080/", st},
		{"same owner", "https://static.fbcdn.net/x.js", "https://www.fb.com/profile", "https://www.fb.com/profile", st},
		{"already trimmed", "https://ads.net/p.gif", "https://www.news.com/", "https://www.news.com/", st},
		{"trimming off", "https://ads.net/p.gif", "https://www.news.com/story?id=1", "https://www.news.com/story?id=1", off},
		{"search engine, trimming off", "https://www.news.com/", "https://www.google.com/search?q=secret", "https://www.google.com/", off},
		{"search engine, same owner", "https://www.youtube.com/", "https://www.google.com/search?q=secret", "https://www.google.com/", st},
		{"search engine to itself", "https://www.google.com/search?q=more", "https://www.google.com/search?q=secret", "https://www.google.com/search?q=secret", off},
		{"no referer", "https://ads.net/", "", "", st},
		{"not a URL", "https://ads.net/", "::garbage", "::garbage", st},
		{"android-app referer", "https://ads.net/", "android-app://com.example/", "android-app://com.example/", st},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRequest("GET", tc.url)
			if tc.referer != "" {
				r.Header.Set("Referer", tc.referer)
			}
			info := newRequestInfo(r)
			tc.st.trimReferrer(r, &info)
			if got := r.Header.Get("Referer"); got != tc.want {
				t.Errorf("Referer = %q, want %q", got, tc.want)
			}
		})
	}
}

// ---- fuzz targets for every parser of untrusted input ----

func FuzzParseTk(f *testing.F) {
	for _, s := range []string{"N", "T;id", " D ", "", "NN", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := parseTk(v)
		if ok != (len(got) == 1) || (ok && !strings.Contains(trackingStatusValues, got)) {
			t.Fatalf("parseTk(%q) = %q, %v", v, got, ok)
		}
	})
}

func FuzzParseTrackingStatus(f *testing.F) {
	for _, s := range []string{`{"tracking":"N"}`, `{"tracking":"T","compliance":[]}`, `{}`, `[`, "\ufeff{\"tracking\":\"!\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseTrackingStatus(b)
		if err == nil && (len(got) != 1 || !strings.Contains(trackingStatusValues, got)) {
			t.Fatalf("parseTrackingStatus(%q) = %q", b, got)
		}
	})
}

func FuzzParseGPCJSON(f *testing.F) {
	for _, s := range []string{`{"gpc":true}`, `{"gpc":false,"lastUpdate":"2021-01-01"}`, `{"gpc":1}`, `nul`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseGPCJSON(b)
		if err != nil && got {
			t.Fatalf("parseGPCJSON(%q) = true with error %v", b, err)
		}
	})
}

func FuzzStripParams(f *testing.F) {
	for _, s := range []string{"a=1&utm_source=2", "fbclid", "&&&", "utm%5Fx=1", "%zz=1&gclid=2", "a=%E2%80%94"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, changed := builtinParams.strip(q)
		if !changed {
			if got != q {
				t.Fatalf("strip(%q) = %q without a change", q, got)
			}
			return
		}
		if len(got) >= len(q) {
			t.Fatalf("strip(%q) = %q: removed nothing but said it did", q, got)
		}
		// Every kept part is a part of the input, in order.
		rest := q
		for _, part := range strings.Split(got, "&") {
			i := strings.Index(rest, part)
			if i < 0 {
				t.Fatalf("strip(%q) = %q: %q is not from the input", q, got, part)
			}
			rest = rest[i+len(part):]
		}
		if again, ch := builtinParams.strip(got); ch {
			t.Fatalf("strip is not idempotent: %q -> %q -> %q", q, got, again)
		}
	})
}

func FuzzAMPTarget(f *testing.F) {
	for _, s := range []string{"https://www.google.com/amp/s/example.com/a?b", "https://x.cdn.ampproject.org/v/s/a.b/c", "https://www.google.de/amp/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		to := ampTarget(u)
		if to == "" {
			return
		}
		v, err := url.Parse(to)
		if err != nil || (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" || v.User != nil {
			t.Fatalf("ampTarget(%q) = %q: not a clean http(s) URL", raw, to)
		}
	})
}

func FuzzTrimReferrer(f *testing.F) {
	for _, s := range []string{"https://www.news.com/a?b", "https://www.google.com/search?q=x", "http://[::1]:8080/x", "%%", "https://a.b@c.d/"} {
		f.Add(s, "https://ads.example.net/p")
	}
	st, _ := compileHTTPS(HTTPSPolicy{TrimReferrer: true})
	f.Fuzz(func(t *testing.T, ref, target string) {
		r, err := http.NewRequest("GET", target, nil)
		if err != nil || r.URL.Host == "" || !utf8.ValidString(ref) {
			return
		}
		r.Header.Set("Referer", ref)
		info := newRequestInfo(r)
		st.trimReferrer(r, &info)
		got := r.Header.Get("Referer")
		if len(got) > len(ref) {
			t.Fatalf("Referer %q grew to %q", ref, got)
		}
	})
}

func FuzzHostSet(f *testing.F) {
	for _, s := range []string{"example.com", "*.gov.uk", "google.*", "a..b", "10.0.0.1"} {
		f.Add(s, "www.example.com")
	}
	f.Fuzz(func(t *testing.T, pattern, host string) {
		s, err := newHostSet([]string{pattern})
		if err != nil {
			return
		}
		s.match(normHost(host)) // must not panic
		// A name pattern (not *.name nor name.*, once spaces, case and a
		// final dot are taken off as newHostSet does) matches that name.
		p := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(pattern)), ".")
		if !strings.HasPrefix(p, "*.") && !strings.HasSuffix(p, ".*") && !s.match(normHost(p)) {
			t.Fatalf("pattern %q does not match itself", pattern)
		}
	})
}

// ---- benchmarks of the request-path parts ----

func BenchmarkHostSetMatch(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		defaultExclusions.match("static.cdn.news.example.co.uk")
	}
}

func BenchmarkIsSearchEngine(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		isSearchEngine("www.news.example.co.uk")
	}
}

func BenchmarkStripParams(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		builtinParams.strip("id=42&page=3&utm_source=news&utm_medium=email&q=privacy")
	}
}

func BenchmarkTrimReferrer(b *testing.B) {
	st, _ := compileHTTPS(HTTPSPolicy{TrimReferrer: true})
	r := mustRequest("GET", "https://ads.example.net/pixel.gif")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Header["Referer"] = []string{"https://www.news.com/story?id=1"}
		info := newRequestInfo(r)
		st.trimReferrer(r, &info)
	}
}

// An AMP page reached directly sends the user to its canonical page, read
// from the document's head (plain or gzip), once: no loop.
func TestAMPDeepExtraction(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	ampDoc := `<!doctype html><html ⚡ lang="en"><head><meta charset="utf-8">` +
		`<link rel="canonical" href="https://www.news-site.net/2024/story.html"><title>x</title></head><body>amp</body></html>`
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.Host + r.URL.Path {
		case "amp.news-site.net/2024/story.html":
			io.WriteString(w, ampDoc)
		case "www.news-site.net/2024/story.amp":
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, strings.NewReplacer("⚡", "amp", "story.html", "other.html").Replace(ampDoc))
			zw.Close()
		case "amp.news-site.net/not-amp":
			io.WriteString(w, `<html><head><link rel="canonical" href="https://www.news-site.net/x"></head></html>`)
		case "amp.news-site.net/elsewhere":
			io.WriteString(w, `<html amp><head><link rel="canonical" href="https://evil.example.org/x"></head></html>`)
		default:
			io.WriteString(w, "<html><body>page</body></html>")
		}
	}))
	origin.TLS = polarisLessTLS(upstream)
	origin.Config.ErrorLog = discardLog
	origin.StartTLS()
	defer origin.Close()
	tp := mitmProxy(t, polaris, upstream, toOrigin(origin.Listener.Addr().String()), signalsOn, HTTPSPolicy{StripParams: true})
	c := mitmClient(tp, polaris.pool)
	c.Transport.(*http.Transport).DisableCompression = false
	nav := func(u string) (int, string, string) {
		req := mustRequest("GET", u)
		req.Header.Set("Sec-Fetch-Dest", "document")
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	for _, tc := range []struct {
		url, want string
	}{
		{"https://amp.news-site.net/2024/story.html", "https://www.news-site.net/2024/story.html"},
		{"https://www.news-site.net/2024/story.amp", "https://www.news-site.net/2024/other.html"},
		{"https://amp.news-site.net/not-amp", ""},
		{"https://amp.news-site.net/elsewhere", ""},
	} {
		code, loc, body := nav(tc.url)
		switch {
		case tc.want != "" && (code != 307 || loc != tc.want):
			t.Errorf("%s = %d %q, want 307 to %q", tc.url, code, loc, tc.want)
		case tc.want == "" && (code != 200 || !strings.Contains(body, "canonical")):
			t.Errorf("%s = %d %q, want the page itself, whole", tc.url, code, body)
		}
		if tc.want == "" {
			continue
		}
		// Back to the AMP page right away (the canonical page sent the
		// browser there): no second redirect.
		if code, _, body := nav(tc.url); code != 200 || !strings.Contains(body, "amp") {
			t.Errorf("%s again = %d, want the AMP page (no loop)", tc.url, code)
		}
	}
}

func FuzzAMPDocumentCanonical(f *testing.F) {
	for _, s := range []string{
		`<html amp><head><link rel="canonical" href="/a"></head>`,
		`<html ⚡><link rel="alternate canonical" href="https://x.example/">`,
		`<html><head><link rel=canonical href=javascript:alert(1)></head>`,
		`<html amp><link rel="canonical" href="//user:pw@x.example/">`,
	} {
		f.Add([]byte(s))
	}
	base, _ := url.Parse("https://amp.news.example/story")
	f.Fuzz(func(t *testing.T, doc []byte) {
		got := ampDocumentCanonical(doc, base)
		if got == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("ampDocumentCanonical = %q: not a clean absolute http(s) URL", got)
		}
	})
}
