// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"testing"
)

func TestMatchCNAMEs(t *testing.T) {
	rules, err := ParseString("||tracker.example^$third-party\n||cdn-of-site.example^\n@@||allowed-cname.example^", ListMeta{Name: "test", Format: FormatABP})
	if err != nil {
		t.Fatal(err)
	}
	entities, err := ParseString(`{"entities": {"Site Co": {"properties": ["site.example"], "resources": ["cdn-of-site.example"]}}}`,
		ListMeta{Name: "entities", Format: FormatDisconnectEntities})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile([]*List{rules, entities}, Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url, source string
		typ               ResourceType
		chain             []string
		want              string // the canonical name that blocks, "" for none
	}{
		{"a tracker behind the site's name", "https://metrics.site.example/collect?id=1", "https://www.site.example/", TypeScript,
			[]string{"site.example.tracker.example"}, "site.example.tracker.example"},
		{"deeper in the chain", "https://metrics.site.example/p.gif", "https://www.site.example/", TypeImage,
			[]string{"edge.site.example", "site.example.cname.tracker.example", "lb.tracker.example"}, "site.example.cname.tracker.example"},
		{"the same company's CDN (entity map)", "https://img.site.example/a.png", "https://www.site.example/", TypeImage,
			[]string{"img.cdn-of-site.example"}, ""},
		{"the site's own names", "https://www.site.example/a.css", "https://www.site.example/", TypeStylesheet,
			[]string{"web.site.example"}, ""},
		{"an exception for the canonical name", "https://m.site.example/x.js", "https://www.site.example/", TypeScript,
			[]string{"x.allowed-cname.example"}, ""},
		{"page loads are not uncloaked", "https://metrics.site.example/", "", TypeDocument,
			[]string{"site.example.tracker.example"}, ""},
		{"no chain", "https://metrics.site.example/x.js", "https://www.site.example/", TypeScript, nil, ""},
		{"the tracker's own site is first party to it", "https://stats.tracker.example/x.js", "https://www.tracker.example/", TypeScript,
			[]string{"edge.tracker.example"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRequest(tc.url, tc.source, tc.typ)
			if v := m.Match(r); v.Action.Blocked() {
				t.Fatalf("Match(%s) = %+v: blocked before uncloaking", tc.url, v)
			}
			v, ok := m.MatchCNAMEs(r, tc.chain)
			if got := v.CNAME; !ok && got != "" || ok != (tc.want != "") || got != tc.want {
				t.Errorf("MatchCNAMEs(%s, %v) = %+v, %v; want blocked by %q", tc.url, tc.chain, v, ok, tc.want)
			}
			if ok && (v.Rule != "||tracker.example^$third-party" || v.List != "test") {
				t.Errorf("verdict %+v: want the rule and list that matched the canonical name", v)
			}
		})
	}
	// A tunnel: the host stands for the site.
	if v, ok := m.MatchHostCNAMEs("metrics.site.example", []string{"site.example.tracker.example"}); !ok || v.CNAME != "site.example.tracker.example" {
		t.Errorf("MatchHostCNAMEs(metrics.site.example) = %+v, %v; want blocked", v, ok)
	}
	if _, ok := m.MatchHostCNAMEs("img.site.example", []string{"img.cdn-of-site.example"}); ok {
		t.Error("MatchHostCNAMEs blocked the same company's CDN")
	}
}

// BenchmarkMatchCNAMEs is the cost of uncloaking one request whose host
// has a chain (a CDN name, skipped, then a tracker's).
func BenchmarkMatchCNAMEs(b *testing.B) {
	l, _ := ParseString("||tracker.example^$third-party", ListMeta{Name: "test", Format: FormatABP})
	m, _ := Compile([]*List{l}, Options{})
	r := NewRequest("https://metrics.site.example/c.js", "https://www.site.example/", TypeScript)
	chain := []string{"edge.site.example", "x.cdn.example"}
	b.ReportAllocs()
	for b.Loop() {
		m.MatchCNAMEs(r, chain)
	}
}
