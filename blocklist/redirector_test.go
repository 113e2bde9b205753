// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const testRedirectors = `# bouncers
google.*/url q url
l.facebook.com/l.php u
out.reddit.com url
*.safelinks.protection.outlook.com url
go.example/b b64:to
href.example ?
bad rule
x.example/p a&b
`

func TestParseRedirectors(t *testing.T) {
	r, errs := ParseRedirectors(testRedirectors)
	var lines []int
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	if !reflect.DeepEqual(lines, []int{8, 9}) || r.Len() != 6 {
		t.Fatalf("ParseRedirectors: %d rules, errors on lines %v (%v); want 6 and [8 9]", r.Len(), lines, errs)
	}
	tests := []struct {
		url, want string
	}{
		{"https://www.google.com/url?sa=t&q=https%3A%2F%2Fnews.example%2Fa%3Fb%3D1&usg=x", "https://news.example/a?b=1"},
		{"https://www.google.co.uk/url?url=https://news.example/", "https://news.example/"},
		{"https://google.de/url?q=javascript:alert(1)", ""},
		{"https://www.google.com/search?q=https://news.example/", ""},
		{"https://l.facebook.com/l.php?u=http%3A%2F%2Fshop.example%2F&h=AT0", "http://shop.example/"},
		{"https://out.reddit.com/t3_x?url=https%253A%252F%252Fblog.example%252Fpost&token=1", "https://blog.example/post"},
		{"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fbank.example%2F&data=1", "https://bank.example/"},
		{"https://safelinks.protection.outlook.com/?url=https%3A%2F%2Fbank.example%2F", ""},
		{"https://go.example/b?to=aHR0cHM6Ly9kZXN0LmV4YW1wbGUvcGF0aA", "https://dest.example/path"},
		{"https://go.example/other?to=aHR0cHM6Ly9kZXN0LmV4YW1wbGUvcGF0aA", ""},
		{"https://href.example/?https://dest.example/x", "https://dest.example/x"},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fl.facebook.com%2Fl.php", "https://l.facebook.com/l.php"},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fuser%3Apw%40evil.example%2F", ""},
		{"https://news.example/?u=https://x.example/", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		got, _, _ := r.Destination(u)
		if got != tt.want {
			t.Errorf("Destination(%s) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestDestinationIn(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"https://ad.tracker.example/click?id=1&dest=https%3A%2F%2Fshop.example%2Fitem%3Fx%3D1", "https://shop.example/item?x=1"},
		{"https://ad.tracker.example/click?id=1", ""},
		{"https://ad.tracker.example/click?r=ftp://x.example/", ""},
		{"https://ad.tracker.example/click?r=https%253A%252F%252Fshop.example%252F", "https://shop.example/"},
	} {
		u, _ := url.Parse(tt.url)
		if got := DestinationIn(u); got != tt.want {
			t.Errorf("DestinationIn(%s) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func FuzzRedirectors(f *testing.F) {
	f.Add(testRedirectors, "https://www.google.com/url?q=https://a.example/")
	f.Add("a.example/ b64:x ?", "https://a.example/?x=aHR0cDovL2IuZXhhbXBsZS8")
	f.Fuzz(func(t *testing.T, rules, raw string) {
		r, errs := ParseRedirectors(rules)
		for _, e := range errs {
			if e.Line < 1 || e.Err == nil {
				t.Fatalf("bad ParseError %+v", e)
			}
		}
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if d, _, ok := r.Destination(u); ok {
			du, err := url.Parse(d)
			if err != nil || (du.Scheme != "http" && du.Scheme != "https") || du.Host == "" || du.User != nil {
				t.Fatalf("Destination(%q) = %q: not a plain web address", raw, d)
			}
		}
		if d := DestinationIn(u); d != "" && !strings.HasPrefix(d, "http") {
			t.Fatalf("DestinationIn(%q) = %q", raw, d)
		}
	})
}

func BenchmarkRedirectors(b *testing.B) {
	r, _ := ParseRedirectors(testRedirectors)
	for _, raw := range []string{
		"https://www.google.com/url?sa=t&q=https%3A%2F%2Fnews.example%2Fa%3Fb%3D1&usg=x",
		"https://news.example/article/2026/12/07/some-title?ref=home",
	} {
		u, _ := url.Parse(raw)
		b.Run(u.Host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Destination(u)
			}
		})
	}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(testRedirectors)))
		for b.Loop() {
			ParseRedirectors(testRedirectors)
		}
	})
}

func TestRemoveQueryParams(t *testing.T) {
	for _, tt := range []struct {
		query  string
		values []string
		want   string
	}{
		{"a=1&utm_source=x&b=2", []string{"utm_source"}, "a=1&b=2"},
		{"a=1&utm%5Fsource=x", []string{"utm_source"}, "a=1"},
		{"a=1&b=2", []string{""}, ""},
		{"a=1&ref_x=2&REF_y=3", []string{"/^ref_/"}, "a=1&REF_y=3"},
		{"a=1&ref_x=2&REF_y=3", []string{"/^ref_/i"}, "a=1"},
		{"id=5&x=1&y=2", []string{"~id"}, "id=5"},
		{"id=5&x=1&y=2", []string{"~/^[xy]=/"}, "x=1&y=2"},
		{"q=cats&gclid=1&gclid=2&q=dogs", []string{"gclid"}, "q=cats&q=dogs"},
		{"a=1", []string{"b"}, "a=1"},
		{"&&a=1&", []string{"a"}, "&&"},
	} {
		got, changed := RemoveQueryParams(tt.query, tt.values)
		if got != tt.want || changed != (got != tt.query) {
			t.Errorf("RemoveQueryParams(%q, %q) = %q, %v; want %q", tt.query, tt.values, got, changed, tt.want)
		}
	}
}

func TestCleanQuery(t *testing.T) {
	m := compileRules(t, Options{}, "$removeparam=utm_source", "||x.example^$removeparam=/^fb/", "@@||ok.example^$removeparam",
		"||y.example^$removeparam=~keep,script")
	for _, tt := range []struct {
		url  string
		typ  ResourceType
		want string // "" unchanged
	}{
		{"https://news.example/a?utm_source=a&id=1", TypeDocument, "id=1"},
		{"https://x.example/p.gif?fbclid=1&fb_x=2&id=1&utm_source=z", TypeImage, "id=1"},
		{"https://ok.example/?utm_source=a", TypeDocument, ""},
		{"https://y.example/s.js?keep=1&drop=2", TypeScript, "keep=1"},
		{"https://y.example/s.js?keep=1&drop=2", TypeImage, ""},
		{"https://news.example/a", TypeDocument, ""},
	} {
		got, changed := m.CleanQuery(NewRequest(tt.url, "https://news.example/", tt.typ))
		if changed != (tt.want != "") || (changed && got != tt.want) {
			t.Errorf("CleanQuery(%s, %v) = %q, %v; want %q", tt.url, tt.typ, got, changed, tt.want)
		}
	}
	for _, bad := range []string{"$removeparam=/unterminated", "$removeparam=/(/", "$removeparam=~"} {
		l, _ := ParseString(bad+"\n||ok.example^", ListMeta{Name: "x"})
		if len(l.Errors) != 1 {
			t.Errorf("%q: errors %v, want one", bad, l.Errors)
		}
	}
}

func FuzzRemoveQueryParams(f *testing.F) {
	f.Add("a=1&utm_source=2&b=%41", "utm_source")
	f.Add("x=1&y=2", "~/^x=/i")
	f.Fuzz(func(t *testing.T, query, value string) {
		if checkRemoveParam(value) != nil {
			return
		}
		got, changed := RemoveQueryParams(query, []string{value})
		if !changed && got != query {
			t.Fatalf("unchanged but %q != %q", got, query)
		}
		if len(got) > len(query) {
			t.Fatalf("RemoveQueryParams(%q, %q) = %q: longer", query, value, got)
		}
	})
}

func BenchmarkCleanQuery(b *testing.B) {
	m := compileRules(b, Options{}, "$removeparam=utm_source", "$removeparam=/^utm_/", "||x.example^$removeparam=fbclid")
	r := NewRequest("https://x.example/article?id=42&utm_source=news&utm_medium=mail&fbclid=abc", "https://news.example/", TypeDocument)
	b.ReportAllocs()
	for b.Loop() {
		m.CleanQuery(r)
	}
}

func TestCSPRules(t *testing.T) {
	m := compileRules(t, Options{}, "||x.example^$csp=script-src 'none'", "$csp=worker-src 'none',domain=y.example",
		"@@||x.example/ok^$csp", "@@||x.example/some^$csp=script-src 'none'", "||z.example^$csp=frame-src 'none',subdocument",
		"||bad.example^$csp=")
	for _, tt := range []struct {
		url, src string
		typ      ResourceType
		want     []string
	}{
		{"https://x.example/", "", TypeDocument, []string{"script-src 'none'"}},
		{"https://x.example/a.js", "https://x.example/", TypeScript, nil},
		{"https://www.y.example/", "", TypeDocument, []string{"worker-src 'none'"}},
		{"https://frame.example/", "https://y.example/", TypeSubdocument, []string{"worker-src 'none'"}},
		{"https://x.example/ok", "", TypeDocument, nil},
		{"https://x.example/some", "", TypeDocument, nil},
		{"https://z.example/", "", TypeDocument, nil},
		{"https://z.example/", "https://news.example/", TypeSubdocument, []string{"frame-src 'none'"}},
		{"https://bad.example/", "", TypeDocument, nil},
	} {
		got := m.CSP(NewRequest(tt.url, tt.src, tt.typ))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("CSP(%s from %q, %v) = %q, want %q", tt.url, tt.src, tt.typ, got, tt.want)
		}
	}
}

// The real EasyList's $csp rules apply.
func TestCSPRealLists(t *testing.T) {
	m, err := Compile([]*List{parseShared(t, "blocklists/easylist.txt", ListMeta{}), parseShared(t, "blocklists/easyprivacy.txt", ListMeta{})}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.CSP(NewRequest("https://thumbs.pro/video/1", "", TypeDocument)); len(got) != 1 || !strings.HasPrefix(got[0], "script-src 'self' data:") {
		t.Errorf("thumbs.pro: %q", got)
	}
	if got := m.CSP(NewRequest("https://vidoza.net/x", "", TypeDocument)); len(got) != 1 || !strings.Contains(got[0], "worker-src 'none'") {
		t.Errorf("vidoza.net: %q", got)
	}
	if got := m.CSP(NewRequest("https://news.example/", "", TypeDocument)); got != nil {
		t.Errorf("an unrelated page: %q", got)
	}
}
