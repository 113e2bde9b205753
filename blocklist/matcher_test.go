// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAllowlist(t *testing.T) {
	m := compileRules(t, Options{Allowlist: []string{"news.example", "*.shop.example"}}, "||ads.example^")
	tests := []struct {
		url, src string
		want     Action
		rule     string
	}{
		{"https://ads.example/x", "https://news.example/", Exception, "news.example"},
		{"https://ads.example/x", "https://m.news.example/", Exception, "news.example"},
		{"https://ads.example/x", "https://a.shop.example/", Exception, "*.shop.example"},
		{"https://ads.example/x", "https://shop.example/", Block, "||ads.example^"},
		{"https://ads.example/x", "https://other.example/", Block, "||ads.example^"},
		{"https://news.example/", "", Exception, "news.example"}, // no source: the host is the site
	}
	for _, tt := range tests {
		v := m.Match(NewRequest(tt.url, tt.src, TypeScript))
		if v.Action != tt.want || v.Rule != tt.rule {
			t.Errorf("Match(%s from %s) = %v %q, want %v %q", tt.url, tt.src, v.Action, v.Rule, tt.want, tt.rule)
		}
	}
	if v := m.Match(NewRequest("https://ads.example/x", "https://news.example/", TypeScript)); v.Reason != ReasonSiteAllowlisted {
		t.Errorf("Reason = %v, want site allowlisted", v.Reason)
	}
	if _, err := Compile([]*List{mustParse(t, "||a.example^")}, Options{Allowlist: []string{"not a site!"}}); err == nil {
		t.Error("Compile with a bad allowlist entry: nil error")
	}
}

func TestWithAllowlist(t *testing.T) {
	m, err := Compile([]*List{mustParse(t, "||ads.example^")}, Options{Allowlist: []string{"old.example"}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.WithAllowlist([]string{"*.news.example"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		m    *Matcher
		site string
		want Action
	}{
		{m, "https://old.example/", Exception},
		{m, "https://www.news.example/", Block},
		{n, "https://old.example/", Block},
		{n, "https://www.news.example/", Exception},
		{n, "https://news.example/", Block}, // "*." covers subdomains only
	}
	for _, tt := range tests {
		if v := tt.m.Match(NewRequest("https://ads.example/x.js", tt.site, TypeScript)); v.Action != tt.want {
			t.Errorf("Match(ads.example from %s) = %+v, want %v", tt.site, v, tt.want)
		}
	}
	if _, err := m.WithAllowlist([]string{"bad site!"}); err == nil {
		t.Error("WithAllowlist(bad site!) = nil error")
	}
}

func mustParse(t *testing.T, text string) *List {
	t.Helper()
	l, err := ParseString(text, ListMeta{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCategories(t *testing.T) {
	ads, _ := ParseString("||ads.example^", ListMeta{Name: "ads", Category: "advertising"})
	stats, _ := ParseString("||stats.example^\n||both.example^", ListMeta{Name: "stats", Category: "analytics"})
	mine, _ := ParseString("||both.example^\n||mine.example^", ListMeta{Name: "mine"})
	m, err := Compile([]*List{ads, stats, mine}, Options{Categories: []string{"advertising"}})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := m.WithCategories(nil)
	none, _ := m.WithCategories([]string{})
	tests := []struct {
		m       *Matcher
		host    string
		want    Action
		reason  Reason
		list    string
		wantCat string
	}{
		{m, "ads.example", Block, ReasonRule, "ads", "advertising"},
		{m, "stats.example", Allow, ReasonCategoryOff, "stats", "analytics"},
		{m, "both.example", Block, ReasonRule, "mine", ""}, // uncategorised rules always apply
		{m, "mine.example", Block, ReasonRule, "mine", ""},
		{all, "stats.example", Block, ReasonRule, "stats", "analytics"},
		{none, "ads.example", Allow, ReasonCategoryOff, "ads", "advertising"},
	}
	for _, tt := range tests {
		v := tt.m.Match(NewRequest("https://"+tt.host+"/x", "https://site.test/", TypeImage))
		if v.Action != tt.want || v.Reason != tt.reason || v.List != tt.list || v.Category != tt.wantCat {
			t.Errorf("Match(%s) = %+v, want %v %v list %q cat %q", tt.host, v, tt.want, tt.reason, tt.list, tt.wantCat)
		}
	}
	// An exception lifts blocks of other lists even when its own list's
	// category is off.
	el, _ := ParseString("||ads.example^\n@@||stats.example/ok/", ListMeta{Name: "el", Category: "advertising"})
	ep, _ := ParseString("||stats.example^", ListMeta{Name: "ep", Category: "analytics"})
	m2, err := Compile([]*List{el, ep}, Options{Categories: []string{"analytics"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := m2.Match(NewRequest("https://stats.example/ok/x", "https://site.test/", TypeImage)); v.Action != Exception || v.List != "el" {
		t.Errorf("exception from a switched-off list: %+v, want Exception by el", v)
	}
	if _, err := m.WithCategories([]string{"bogus"}); err == nil {
		t.Error("WithCategories(bogus) = nil error")
	}
	bad, _ := ParseString("||x.example^", ListMeta{Name: "x", Category: "bogus"})
	if _, err := Compile([]*List{bad}, Options{}); err == nil {
		t.Error("Compile with an unknown list category: nil error")
	}
	if _, err := Compile(nil, Options{}); err == nil {
		t.Error("Compile(nil) = nil error")
	}
}

func TestStats(t *testing.T) {
	l := mustParse(t, "||a.example^\n||b.example^\n@@||a.example/ok\n||b.example^$badfilter\n||c.example^$removeparam=utm\n"+
		"||d.example^$script,3p\n||d.example^$Third-Party,badfilter,script")
	m, err := Compile([]*List{l}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Stats()
	want := Stats{Lists: 1, Rules: 3, Exceptions: 1, Badfiltered: 2, Resources: len(builtinResources())}
	s.MemoryBytes = 0
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	if got := m.Lists(); len(got) != 1 || got[0].Name != "t" {
		t.Errorf("Lists() = %+v", got)
	}
}

func TestRemoveParams(t *testing.T) {
	m := compileRules(t, Options{}, "$removeparam=utm_source", "||x.example^$removeparam=fbclid", "@@||ok.example^$removeparam=utm_source", "||ads.example^")
	tests := []struct {
		url  string
		want []string
	}{
		{"https://x.example/?utm_source=a&fbclid=b", []string{"utm_source", "fbclid"}},
		{"https://ok.example/?utm_source=a", nil},
		{"https://y.example/?q=1", []string{"utm_source"}},
	}
	for _, tt := range tests {
		got := m.RemoveParams(NewRequest(tt.url, "", TypeDocument))
		if diff := cmp.Diff(tt.want, got, sortStrings); diff != "" {
			t.Errorf("RemoveParams(%s) (-want +got):\n%s", tt.url, diff)
		}
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range in {
		out[s] = true
	}
	return out
})

// TestMatchNoAllocs proves the decision path allocates nothing once a
// Request's buffers have grown and its hosts have been seen.
func TestMatchNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("needs EasyList")
	}
	lists := append([]*List{}, easyListsFor(t)...)
	lists = append(lists, parseShared(t, "blocklists/ddg-tds/extension-tds-v6.json", ListMeta{Name: "TDS"}),
		parseShared(t, "blocklists/disconnect-entities.json", ListMeta{Name: "entities"}))
	m, err := Compile(lists, Options{OwnerParties: true, Allowlist: []string{"allowed.example"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := loadRealworld(t)
	r := &Request{}
	for _, c := range cases { // warm the buffers and the suffix cache
		r.Reset(c.URL, c.SourceURL, ParseResourceType(c.Type))
		m.Match(r)
	}
	i := 0
	allocs := testing.AllocsPerRun(len(cases), func() {
		c := &cases[i%len(cases)]
		i++
		r.Reset(c.URL, c.SourceURL, ParseResourceType(c.Type))
		m.Match(r)
	})
	if allocs != 0 {
		t.Errorf("Reset+Match: %v allocs per request, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(1000, func() { m.MatchHost("securepubads.g.doubleclick.net") })
	if allocs != 0 && !raceEnabled { // the race detector empties sync.Pools at random
		t.Errorf("MatchHost: %v allocs, want 0", allocs)
	}
}

// TestMatchConcurrent runs one Matcher from many goroutines (run with
// -race).
func TestMatchConcurrent(t *testing.T) {
	m := compileRules(t, Options{}, "||ads.example^", "@@||ads.example/ok", "/track^$third-party", "||x.example^$domain=a.example|~b.a.example")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := &Request{}
			for i := 0; i < 500; i++ {
				r.Reset("https://ads.example/ok/x", "https://site.test/", TypeScript)
				if v := m.Match(r); v.Action != Exception {
					t.Errorf("goroutine %d: Match = %v, want Exception", g, v.Action)
					return
				}
				if v := m.MatchHost("ads.example"); v.Action != Block {
					t.Errorf("goroutine %d: MatchHost = %v, want Block", g, v.Action)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestMatchNewHostAllocs pins down the allocation contract of Match: a
// requested or source host the process has not seen yet costs at most
// three allocations (its public suffix is computed and cached); once seen,
// none.
func TestMatchNewHostAllocs(t *testing.T) {
	m := compileRules(t, Options{}, "||ads.example^", "/banner/*$image", "@@||ads.example/ok$script", "||t.example^$third-party")
	const seenURL, seenSource = "https://seen.example/banner/x.png?padding=0123456789", "https://site.example/page"
	r := &Request{}
	r.Reset(seenURL, seenSource, TypeImage)
	m.Match(r) // grow the buffers, see both hosts
	var urls, sources []string
	for i := 0; i < 40; i++ {
		urls = append(urls, fmt.Sprintf("https://h%d.new-host.example/banner/x.png", i))
		sources = append(sources, fmt.Sprintf("https://s%d.new-source.example/", i))
	}
	i := 0
	newHost := func() { r.Reset(urls[i], seenSource, TypeImage); i++; m.Match(r) }
	newSource := func() { r.Reset(seenURL, sources[i], TypeImage); i++; m.Match(r) }
	for k := 0; k < len(urls); k += 2 {
		i = k
		if allocs := testing.AllocsPerRun(1, newHost); allocs > 3 { // a warm-up run, then the measured one
			t.Errorf("Reset+Match of a new host (%s): %v allocs, want at most 3", urls[k+1], allocs)
		}
		i = k
		if allocs := testing.AllocsPerRun(1, newSource); allocs > 3 {
			t.Errorf("Reset+Match from a new source (%s): %v allocs, want at most 3", sources[k+1], allocs)
		}
	}
	last := len(urls) - 1
	if allocs := testing.AllocsPerRun(100, func() { r.Reset(urls[last], sources[last], TypeImage); m.Match(r) }); allocs != 0 {
		t.Errorf("Reset+Match of hosts seen before: %v allocs, want 0", allocs)
	}
}
