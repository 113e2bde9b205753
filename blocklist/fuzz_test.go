// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bytes"
	"testing"
)

// Fuzz targets: every parser must survive arbitrary bytes (no panic, no
// hang), and Match must decide any URL. Run briefly with
// go test -fuzz=FuzzParseABP -fuzztime=30s ./blocklist

func fuzzParse(f *testing.F, format Format, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		l, err := ParseString(text, ListMeta{Name: "fuzz", Format: format})
		if l == nil {
			return
		}
		if err == nil && l.Stats.Rules+l.Stats.Entities+l.Stats.Resources == 0 {
			t.Fatalf("ParseString(%q): no error and nothing usable", text)
		}
		if len(l.Errors) > maxErrors {
			t.Fatalf("%d errors kept, cap is %d", len(l.Errors), maxErrors)
		}
		if err != nil {
			return
		}
		m, err := Compile([]*List{l}, Options{OwnerParties: true})
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		if m.stats.Badfiltered == 0 && len(m.filters) == len(l.filters) {
			// Packing keeps every rule's text and pattern.
			for i := range m.filters {
				if got := m.ruleText(&m.filters[i]); got != l.texts[i] {
					t.Fatalf("rule %d: text %q after compiling, %q in the list", i, got, l.texts[i])
				}
				if got, want := m.filters[i].pat, l.filters[i].pat; !bytes.Equal(got, want) || m.filters[i].hostLen != l.filters[i].hostLen {
					t.Fatalf("rule %d (%q): pattern %q after compiling, %q in the list", i, l.texts[i], got, want)
				}
			}
		}
		m.Match(NewRequest("https://www.example.com/ads/banner.js?x=1", "https://news.example.org/", TypeScript))
		m.MatchHost("tracker.example.net")
	})
}

func FuzzParseABP(f *testing.F) {
	fuzzParse(f, FormatABP, "||ads.example.com^$third-party,domain=a.com|~b.a.com",
		"@@||x.com/ok/*$script,important", "/^https?:\\/\\/[a-z]+\\.xyz\\//$script", "example.com##.ad",
		"|http://x.com/*^|", "||bücher.test^$domain=nö.test|~ü-.test", "*$redirect=noop.js,removeparam=/^utm_/,denyallow=a.com", "||x^$badfilter", "$$$,,,|||^^^***")
}

func FuzzParseHosts(f *testing.F) {
	fuzzParse(f, FormatHosts, "0.0.0.0 ads.example.com tracker.example\n127.0.0.1 localhost\n# c\n::1 a.b", "1.2.3.4 x.y\n\n")
}

func FuzzParseDomains(f *testing.F) {
	fuzzParse(f, FormatDomains, "ads.example.com\n*.t.example\n# c", "x")
}

func FuzzParseDisconnectServices(f *testing.F) {
	fuzzParse(f, FormatDisconnectServices, servicesJSON, `{"categories":{"X":[{"a":{"u":["a.com/p"]}}]}}`, `{"categories":null}`)
}

func FuzzParseDisconnectEntities(f *testing.F) {
	fuzzParse(f, FormatDisconnectEntities, entitiesJSON, `{"entities":{"a":{"properties":[1]}}}`)
}

func FuzzParseTDS(f *testing.F) {
	fuzzParse(f, FormatTDS, tdsExamples, `{"trackers":{"a.com":{"rules":[{"rule":"(("}]}}}`)
}

func FuzzParseDDGConfig(f *testing.F) {
	fuzzParse(f, FormatDDGConfig, `{"features":{"requestBlocklist":{"state":"enabled","settings":{"blockedRequests":{"a.com":{"rules":[{"rule":"a.com/x*","domains":["<all>"]}]}}}}}}`,
		`{"state":"enabled","settings":{"allowlistedTrackers":{"a.com":{"rules":[{"rule":"a.com/(","domains":["b.com"]}]}}}}`,
		`{"features":{"https":{"exceptions":[{"domain":"a.com"}]},"trackingParameters":{"settings":{"parameters":["utm_*",1,""]}},"ampLinks":{"exceptions":[{"domain":"b.com"}],"settings":{"keywords":["AMP="],"linkFormats":["^https://x/(\\S+)$","("]}}},"unprotectedTemporary":[{"domain":"c.com"}]}`)
}

func FuzzParseResources(f *testing.F) {
	fuzzParse(f, FormatResources, "noop.js application/javascript\n(function(){})();\n\nx.gif image/gif;base64\nR0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\n")
}

func FuzzParseAuto(f *testing.F) {
	fuzzParse(f, FormatAuto, "||a.com^", "0.0.0.0 a.com", "{\"trackers\":{}}", "a.com\nb.com", "\xff\xfe")
}

// FuzzMatch decides arbitrary URLs, sources and types against a list that
// exercises every kind of rule.
func FuzzMatch(f *testing.F) {
	rules := []string{
		"||ads.example.com^", "@@||ads.example.com/ok/", "/banner/*/img^", "|https://t.", ".gif|",
		"/^https?:\\/\\/[a-z]{3}\\.xyz\\//$script", "||x.com^$third-party,domain=a.com|~b.a.com|google.*",
		"*$script,3p,denyallow=cdn.net,domain=site.org", "||r.com^$redirect=noop.js", "||imp.com^$important",
		"$removeparam=utm_source", "||m.com/$match-case", "||w.com^$to=w.com|~ok.w.com,method=post",
	}
	l, err := ParseString(joinLines(rules), ListMeta{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	tds, err := ParseString(tdsExamples, ListMeta{Name: "tds"})
	if err != nil {
		f.Fatal(err)
	}
	m, err := Compile([]*List{l, tds}, Options{OwnerParties: true, Allowlist: []string{"allowed.example"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("https://ads.example.com/ok/x.js", "https://site.org/", uint8(TypeScript))
	f.Add("HTTP://USER@[::1]:80/a?b#c", "about:blank", uint8(TypeDocument))
	f.Add("data:,x", "", uint8(0))
	f.Add("://", "//", uint8(255))
	f.Add("https://example-tracker.com:99999999999/ad.js", "https://abc.com", uint8(TypeImage))
	r := &Request{}
	f.Fuzz(func(t *testing.T, url, src string, typ uint8) {
		r.Reset(url, src, ResourceType(typ%uint8(numTypes+1)))
		v := m.Match(r)
		if v.Action > Redirect {
			t.Fatalf("Match(%q, %q) = action %d", url, src, v.Action)
		}
		if v.Action == Redirect {
			if _, _, ok := m.Surrogate(v.Redirect); !ok {
				t.Fatalf("Redirect to missing resource %q", v.Redirect)
			}
		}
		m.MatchHost(url)
		m.RemoveParams(r)
	})
}

func joinLines(lines []string) string {
	s := ""
	for _, l := range lines {
		s += l + "\n"
	}
	return s
}
