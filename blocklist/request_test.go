// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"testing"
)

func TestRequestParse(t *testing.T) {
	tests := []struct {
		url, src     string
		typ          ResourceType
		host, domain string
		srcHost      string
		third        bool
		lower        string
	}{
		{"https://www.Example.co.UK:443/A/b?Q=1#frag", "https://news.example.org/", TypeImage, "www.example.co.uk", "example.co.uk", "news.example.org", true, "https://www.example.co.uk/a/b?q=1"},
		{"HTTP://user:pw@cdn.example.com:8080/x", "http://example.com", TypeScript, "cdn.example.com", "example.com", "example.com", false, "http://cdn.example.com:8080/x"},
		{"https://192.168.1.10/x", "https://192.168.1.11/", TypeXHR, "192.168.1.10", "192.168.1.10", "192.168.1.11", true, "https://192.168.1.10/x"},
		{"http://[::1]:80/x", "", TypeOther, "[::1]", "[::1]", "", false, "http://[::1]/x"},
		{"https://a.github.io/x", "https://b.github.io/", TypeScript, "a.github.io", "a.github.io", "b.github.io", true, "https://a.github.io/x"},
		{"https://example.com./x", "https://WWW.EXAMPLE.COM/", TypeImage, "example.com", "example.com", "www.example.com", false, "https://example.com/x"},
		{"https://site.example/page", "https://referrer.example/", TypeDocument, "site.example", "site.example", "site.example", false, "https://site.example/page"},
		{"https://user@WWW.Bücher.test/A", "https://nö.Bücher.test/", TypeImage, "www.xn--bcher-kva.test", "xn--bcher-kva.test", "xn--n-1ga.xn--bcher-kva.test", false, "https://www.xn--bcher-kva.test/a"},
		{"data:text/plain,hello", "", TypeOther, "", "", "", false, "data:text/plain,hello"},
		{"", "", TypeUnknown, "", "", "", false, ""},
	}
	for _, tt := range tests {
		r := NewRequest(tt.url, tt.src, tt.typ)
		if r.Host() != tt.host || r.domain != tt.domain || r.SourceHost() != tt.srcHost || r.ThirdParty() != tt.third || string(r.lower) != tt.lower {
			t.Errorf("NewRequest(%q, %q) = host %q domain %q src %q third %v lower %q; want %q %q %q %v %q",
				tt.url, tt.src, r.Host(), r.domain, r.SourceHost(), r.ThirdParty(), r.lower, tt.host, tt.domain, tt.srcHost, tt.third, tt.lower)
		}
	}
}

func TestRequestReuse(t *testing.T) {
	m := compileRules(t, Options{}, "||ads.example^")
	r := &Request{URL: "https://ads.example/x", SourceURL: "https://site.test/", Type: TypeImage}
	if v := m.Match(r); v.Action != Block {
		t.Fatalf("Match = %v, want Block", v.Action)
	}
	r.URL = "https://ok.example/x" // changed without Reset: Match re-parses
	if v := m.Match(r); v.Action != Allow {
		t.Errorf("after changing URL: Match = %v, want Allow", v.Action)
	}
	r.ResetHost("ads.example")
	if v := m.Match(r); v.Action != Block || r.Host() != "ads.example" {
		t.Errorf("ResetHost: Match = %v host %q, want Block", v.Action, r.Host())
	}
	r.Reset("https://ok.example/", "", TypeImage)
	if v := m.Match(r); v.Action != Allow {
		t.Errorf("Reset after ResetHost: Match = %v, want Allow", v.Action)
	}
}

func TestParseResourceType(t *testing.T) {
	tests := map[string]ResourceType{
		"":               TypeUnknown,
		"unknown":        TypeUnknown,
		"main_frame":     TypeDocument,
		"sub_frame":      TypeSubdocument,
		"subdocument":    TypeSubdocument,
		"script":         TypeScript,
		"IMAGE":          TypeImage,
		"imageset":       TypeImage,
		"stylesheet":     TypeStylesheet,
		"css":            TypeStylesheet,
		"xhr":            TypeXHR,
		"xmlhttprequest": TypeXHR,
		"font":           TypeFont,
		"media":          TypeMedia,
		"object":         TypeObject,
		"ping":           TypePing,
		"beacon":         TypePing,
		"csp_report":     TypePing,
		"websocket":      TypeWebSocket,
		"other":          TypeOther,
		"fetch":          TypeOther,
		"speculative":    TypeOther,
	}
	for in, want := range tests {
		if got := ParseResourceType(in); got != want {
			t.Errorf("ParseResourceType(%q) = %v, want %v", in, got, want)
		}
	}
	for typ := TypeUnknown; typ < numTypes; typ++ {
		if got := ParseResourceType(typ.String()); got != typ {
			t.Errorf("ParseResourceType(%q) = %v, want %v", typ.String(), got, typ)
		}
	}
	fetch := map[string]ResourceType{"document": TypeDocument, "iframe": TypeSubdocument, "script": TypeScript, "style": TypeStylesheet,
		"image": TypeImage, "font": TypeFont, "empty": TypeXHR, "video": TypeMedia, "report": TypePing, "": TypeUnknown, "weird": TypeUnknown}
	for in, want := range fetch {
		if got := ResourceTypeFromFetchDest(in); got != want {
			t.Errorf("ResourceTypeFromFetchDest(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLowerInPlace(t *testing.T) {
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	for start := 0; start < 9; start++ {
		b := append([]byte(nil), all[start:]...)
		lowerInPlace(b)
		for i, c := range all[start:] {
			if want := lowerByte(c); b[i] != want {
				t.Fatalf("lowerInPlace: byte %#x became %#x, want %#x", c, b[i], want)
			}
		}
	}
}

func TestRequestSourceReuse(t *testing.T) {
	r := &Request{}
	steps := []struct {
		url, src string
		typ      ResourceType
		srcHost  string
		third    bool
	}{
		{"https://a.example/x", "https://site.test/p", TypeScript, "site.test", true},
		{"https://site.test/y", "https://site.test/p", TypeImage, "site.test", false},
		{"https://b.example/", "https://site.test/p", TypeDocument, "b.example", false},
		{"https://c.example/", "https://site.test/p", TypeScript, "site.test", true},
		{"https://c.example/", "https://other.test/", TypeScript, "other.test", true},
		{"https://c.example/", "", TypeScript, "", false},
	}
	for _, s := range steps {
		r.Reset(s.url, s.src, s.typ)
		if r.SourceHost() != s.srcHost || r.ThirdParty() != s.third {
			t.Errorf("Reset(%s, %s, %v): source host %q third %v, want %q %v", s.url, s.src, s.typ, r.SourceHost(), r.ThirdParty(), s.srcHost, s.third)
		}
	}
}
