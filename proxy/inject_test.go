// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"polaris/internal/settings"
)

func TestParseCSP(t *testing.T) {
	for _, tt := range []struct {
		csp     string
		verdict []cspVerdict
		nonce   string
	}{
		{"default-src 'self'; img-src *", []cspVerdict{cspRefuses}, ""},
		{"img-src *", []cspVerdict{cspAllows}, ""},
		{"script-src 'self' 'unsafe-inline'", []cspVerdict{cspAllows}, ""},
		{"script-src 'nonce-abc=' 'unsafe-inline'", []cspVerdict{cspNonce}, "abc="},
		{"script-src 'sha256-AAAA' 'unsafe-inline'", []cspVerdict{cspHash}, ""},
		{"script-src 'nonce-x' 'strict-dynamic'; object-src 'none'", []cspVerdict{cspNonce}, "x"},
		{"default-src 'unsafe-inline'; script-src 'none'", []cspVerdict{cspRefuses}, ""},
		{"script-src 'unsafe-inline'; script-src-elem 'self'", []cspVerdict{cspRefuses}, ""},
		{"script-src 'self', script-src 'unsafe-inline'", []cspVerdict{cspRefuses, cspAllows}, ""},
		{`script-src 'nonce-"><x>'`, []cspVerdict{cspRefuses}, ""},
		{"SCRIPT-SRC 'NONCE-Ab9'", []cspVerdict{cspNonce}, "Ab9"},
	} {
		pols := parseCSP(tt.csp)
		var got []cspVerdict
		nonce := ""
		for _, p := range pols {
			got = append(got, p.verdict)
			if p.verdict == cspNonce && nonce == "" {
				nonce = p.nonce
			}
		}
		if len(got) != len(tt.verdict) || nonce != tt.nonce {
			t.Errorf("parseCSP(%q) = %v nonce %q, want %v %q", tt.csp, got, nonce, tt.verdict, tt.nonce)
			continue
		}
		for i := range got {
			if got[i] != tt.verdict[i] {
				t.Errorf("parseCSP(%q) = %v, want %v", tt.csp, got, tt.verdict)
			}
		}
	}
	for _, tt := range []struct{ in, nonce, want string }{
		{"script-src 'sha256-AA'; img-src *", "", "script-src 'sha256-AA' 'sha256-H'; img-src *"},
		{"default-src 'self' 'sha384-B'", "", "default-src 'self' 'sha384-B' 'sha256-H'"},
		{"script-src 'unsafe-inline'", "", "script-src 'unsafe-inline'"},
		{"script-src 'nonce-a', script-src 'nonce-b'", "a", "script-src 'nonce-a', script-src 'nonce-b' 'sha256-H'"},
	} {
		if got := addCSPHash(tt.in, "sha256-H", tt.nonce); got != tt.want {
			t.Errorf("addCSPHash(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCSP(f *testing.F) {
	f.Add("script-src 'nonce-abc' 'strict-dynamic'; default-src 'self', img-src *")
	f.Add("script-src 'sha256-x'")
	f.Fuzz(func(t *testing.T, v string) {
		for _, p := range parseCSP(v) {
			if p.verdict == cspNonce && !validNonce(p.nonce) {
				t.Fatalf("parseCSP(%q): unusable nonce %q", v, p.nonce)
			}
		}
		out := addCSPHash(v, "sha256-H", "")
		// Adding a hash never turns a policy that refused inline scripts
		// into one that allows them without the hash.
		before, after := parseCSP(v), parseCSP(out)
		if len(before) != len(after) {
			t.Fatalf("addCSPHash(%q) = %q: %d policies became %d", v, out, len(before), len(after))
		}
		for i := range before {
			if before[i].verdict == cspRefuses && after[i].verdict != cspRefuses {
				t.Fatalf("addCSPHash(%q) = %q loosened policy %d", v, out, i)
			}
		}
	})
}

func BenchmarkParseCSP(b *testing.B) {
	v := "default-src 'self'; script-src 'self' 'nonce-cGFnZS1ub25jZQ' 'strict-dynamic' https://cdn.example; style-src 'self' 'unsafe-inline'; img-src * data:; object-src 'none'; base-uri 'none'; report-uri /csp"
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		parseCSP(v)
	}
}

// injected runs the injector on doc.
func injected(t testing.TB, doc string) string {
	j := &injector{src: bufio.NewReader(strings.NewReader(doc)), orig: io.NopCloser(nil), dec: io.NopCloser(nil), tag: []byte("<script>S</script>")}
	out, err := io.ReadAll(j)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestInjectorPlacesScript(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"<!doctype html><html><head><title>x</title>", "<!doctype html><html><head><script>S</script><title>x</title>"},
		{"<!DOCTYPE html>\n<!-- c --><HTML lang=en>\n<HEAD>\n<script>page()</script>", "<!DOCTYPE html>\n<!-- c --><HTML lang=en>\n<HEAD><script>S</script>\n<script>page()</script>"},
		{"<!doctype html><script>page()</script>", "<!doctype html><script>S</script><script>page()</script>"},
		{"<meta charset=utf-8><p>hi", "<script>S</script><meta charset=utf-8><p>hi"},
		{"plain text", "<script>S</script>plain text"},
		{"", "<script>S</script>"},
		{"<html><body>ü</body>", "<html><script>S</script><body>ü</body>"},
	} {
		if got := injected(t, tt.in); got != tt.want {
			t.Errorf("inject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// UTF-16 passes untouched.
	utf16 := "\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00"
	if got := injected(t, utf16); got != utf16 {
		t.Errorf("UTF-16 document changed: %q", got)
	}
}

// Through the running proxy, plain HTTP and filtered HTTPS: HTML pages get
// the script whatever their encoding; other answers, downloads and pages
// of excepted sites do not.
func TestPageSignalsThroughProxy(t *testing.T) {
	s := stealthOn()
	s.Exceptions = append(s.Exceptions, settings.StealthException{Site: "quiet.example", Off: settings.FeaturePageSignals})
	pol := Policy{Protection: true, GPC: true, Stealth: s}
	rig := newStealthRig(t, nil, pol, BlockConfig{})
	const doc = "<!doctype html><html><head><meta charset=\"windows-1252\"><title>\xe9</title></head><body>page</body></html>"
	gz := func() string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(doc))
		w.Close()
		return b.String()
	}()
	br := func() string {
		var b bytes.Buffer
		w := brotli.NewWriter(&b)
		w.Write([]byte(doc))
		w.Close()
		return b.String()
	}()
	b64 := base64.StdEncoding.EncodeToString
	for _, scheme := range []string{"http", "https"} {
		for _, tc := range []struct {
			name   string
			host   string
			typ    string
			resp   http.Header
			inject bool
		}{
			{"html page", "news.example", "main_frame", hdr("Content-Type", "text/html", "X-Test-Body", b64([]byte(doc))), true},
			{"gzip page", "news.example", "main_frame", hdr("Content-Type", "text/html", "Content-Encoding", "gzip", "X-Test-Body", b64([]byte(gz))), true},
			{"brotli page", "news.example", "main_frame", hdr("Content-Type", "text/html", "Content-Encoding", "br", "X-Test-Body", b64([]byte(br))), true},
			{"html frame", "widget.example", "sub_frame", hdr("Content-Type", "text/html; charset=utf-8", "X-Test-Body", b64([]byte(doc))), true},
			{"download", "news.example", "main_frame", hdr("Content-Type", "text/html", "Content-Disposition", "attachment; filename=a.html", "X-Test-Body", b64([]byte(doc))), false},
			{"not html", "news.example", "main_frame", hdr("Content-Type", "application/json", "X-Test-Body", b64([]byte(doc))), false},
			{"a script", "news.example", "script", hdr("Content-Type", "text/html", "X-Test-Body", b64([]byte(doc))), false},
			{"excepted site", "quiet.example", "main_frame", hdr("Content-Type", "text/html", "X-Test-Body", b64([]byte(doc))), false},
		} {
			target := scheme + "://" + tc.host + "/"
			site := target
			if tc.typ != "main_frame" {
				site = scheme + "://news.example/"
			}
			ex := rig.send(t, target, site, tc.typ, nil, tc.resp)
			has := strings.Contains(ex.body, `d("globalPrivacyControl",true)`)
			if has != tc.inject {
				t.Errorf("%s %s: script added %v, want %v:\n%.300q", scheme, tc.name, has, tc.inject, ex.body)
			}
			if tc.inject && (!strings.Contains(ex.body, "<title>\xe9</title>") || ex.received.Get("Content-Encoding") != "" ||
				!strings.Contains(ex.received.Get("Content-Type"), "windows-1252") && !strings.Contains(ex.received.Get("Content-Type"), "utf-8")) {
				t.Errorf("%s %s: the page's bytes or charset changed: %q %q", scheme, tc.name, ex.received.Get("Content-Type"), ex.body)
			}
		}
	}
}

// BenchmarkInjectHTML is the HTML rewriting throughput (target: at least
// 200 MB/s per core): a 1 MB page, with the script inserted, read to the
// end; as sent (identity) and gzip-compressed (decoding included).
func BenchmarkInjectHTML(b *testing.B) {
	var page strings.Builder
	page.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>News</title><link rel="stylesheet" href="/s.css"><script src="/app.js"></script></head><body>`)
	for page.Len() < 1<<20 {
		page.WriteString(`<article><h2>A headline about something</h2><p>Some text of the article, with <a href="/x?id=1">a link</a> and more words to read.</p></article>` + "\n")
	}
	page.WriteString("</body></html>")
	doc := page.String()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(doc))
	w.Close()
	for _, c := range []struct {
		name, coding string
		body         []byte
	}{{"identity", "", []byte(doc)}, {"gzip", "gzip", gz.Bytes()}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				d, err := decoder(c.coding, bytes.NewReader(c.body))
				if err != nil {
					b.Fatal(err)
				}
				j := &injector{src: bufio.NewReaderSize(d, 4096), orig: io.NopCloser(nil), dec: d, tag: []byte("<script>S</script>")}
				if n, _ := io.Copy(io.Discard, j); n != int64(len(doc))+18 {
					b.Fatalf("read %d bytes", n)
				}
			}
		})
	}
}
