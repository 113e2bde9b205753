// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestMatcherKeepsOnlyItsRules: a compiled Matcher holds its rules, not the
// text of the lists they came from. Before, every rule's text and host
// were slices of the list's whole text, so a list of a few network rules
// and megabytes of comments and element-hiding rules kept all of it (and
// so did a $removeparam=, $csp= or $redirect= value).
func TestMatcherKeepsOnlyItsRules(t *testing.T) {
	var b strings.Builder
	b.WriteString("||ads.example^\n@@||ads.example/ok^\n/banner/*/img^$image\n||cdn.example^$removeparam=utm_source\n")
	b.WriteString("||csp.example^$csp=script-src 'none'\n||redir.example/x.js$script,redirect=noop.js\n")
	for i := 0; b.Len() < 8<<20; i++ {
		fmt.Fprintf(&b, "! comment %d: a list's comments and element-hiding rules are not kept\nexample.com##.ad-%d\n", i, i)
	}
	text := b.String()
	b.Reset()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := Parse(strings.NewReader(text), ListMeta{Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile([]*List{l}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if kept > 1<<20 {
		t.Errorf("a Matcher of 6 rules from an 8 MB list keeps %d KB of heap, want under 1 MB", kept>>10)
	}
	if got := m.Match(NewRequest("https://ads.example/a.png", "https://site.example/", TypeImage)); got.Action != Block || got.Rule != "||ads.example^" {
		t.Errorf("Match(ads.example) = %+v, want Block by ||ads.example^", got)
	}
	runtime.KeepAlive(text) // the caller's copy is not the Matcher's to free
	if len(m.texts) > 200 {
		t.Errorf("the Matcher's texts are %d bytes for 6 rules", len(m.texts))
	}
	runtime.KeepAlive(m)
}

// TestFilterSize holds the per-rule size of a Matcher: EasyList and
// EasyPrivacy make about 105,000 rules, and each byte here is 100 KB.
func TestFilterSize(t *testing.T) {
	if n := unsafe.Sizeof(filter{}); n > 56 {
		t.Errorf("a compiled rule takes %d bytes, want at most 56", n)
	}
}

// TestPackedRules: the rules' texts and patterns survive packing, whether a
// pattern is found in its text ("||a.example^") or not (lower-cased,
// punycoded, "**" folded), and a Matcher from several lists tells each
// rule's own text.
func TestPackedRules(t *testing.T) {
	l1 := mustParse(t, "||Ads.Example^$image\n||bücher.example/x^\n/aa**bb.\n||a.example/*/p^\n||e.example^\n@@||e.example/ok")
	l2, err := ParseString("0.0.0.0 tracker.example # a comment\n", ListMeta{Name: "hosts"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile([]*List{l1, l2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url, rule string
		typ       ResourceType
		want      Action
	}{
		{"https://ads.example/a.png", "||Ads.Example^$image", TypeImage, Block},
		{"https://xn--bcher-kva.example/x/", "||bücher.example/x^", TypeScript, Block},
		{"https://c.example/aa/bb.js", "/aa**bb.", TypeScript, Block},
		{"https://a.example/q/p/", "||a.example/*/p^", TypeScript, Block},
		{"https://e.example/ok", "@@||e.example/ok", TypeScript, Exception},
		{"https://tracker.example/t.gif", "0.0.0.0 tracker.example # a comment", TypeImage, Block},
	} {
		v := m.Match(NewRequest(tt.url, "https://site.example/", tt.typ))
		if v.Action != tt.want || v.Rule != tt.rule {
			t.Errorf("Match(%s) = %v by %q, want %v by %q", tt.url, v.Action, v.Rule, tt.want, tt.rule)
		}
	}
}

// TestLongRules: a rule longer than a compiled rule can hold is reported
// with its line number and skipped, and a "||host^" rule whose host is
// longer than any host name still matches (as a pattern).
func TestLongRules(t *testing.T) {
	long := "||x.example/" + strings.Repeat("a", maxRuleText) + "^"
	host := strings.Repeat("b", 300) + ".example"
	l, err := ParseString("||ok.example^\n"+long+"\n||"+host+"^\n", ListMeta{Name: "long"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Stats.Bad != 1 || len(l.Errors) != 1 || l.Errors[0].Line != 2 || !strings.Contains(l.Errors[0].Err.Error(), "longer than") {
		t.Errorf("Stats %+v, Errors %v; want line 2 reported as too long", l.Stats, l.Errors)
	}
	m, err := Compile([]*List{l}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := m.Match(NewRequest("https://"+host+"/x", "https://site.example/", TypeScript)); v.Action != Block {
		t.Errorf("a rule with a %d-character host: %+v, want Block", len(host), v)
	}
}
