// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHosts(t *testing.T) {
	text := `# a hosts file
127.0.0.1 localhost
::1 localhost ip6-localhost
255.255.255.255 broadcasthost
fe80::1%lo0 localhost
0.0.0.0 0.0.0.0
0.0.0.0 ads.example.com # trailing comment
127.0.0.1   Tracker.Example.NET.  metrics.example.org
::  v6.example.com
10.0.0.1 intranet.example.com
0.0.0.0 not_a..host
just some words here
`
	l, err := ParseString(text, ListMeta{Name: "hosts"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Meta.Format != FormatHosts {
		t.Fatalf("Format = %v, want hosts", l.Meta.Format)
	}
	var hosts []string
	for _, f := range l.filters {
		hosts = append(hosts, string(f.host()))
	}
	want := []string{"ads.example.com", "tracker.example.net", "metrics.example.org", "v6.example.com"}
	if diff := cmp.Diff(want, hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if l.Stats.Bad != 2 || len(l.Errors) != 2 || l.Errors[0].Line != 11 || l.Errors[1].Line != 12 {
		t.Errorf("Stats = %+v, Errors = %v; want 2 bad lines (11, 12)", l.Stats, l.Errors)
	}
	if l.Stats.Ignored != 3 { // broadcasthost, fe80::1, 10.0.0.1
		t.Errorf("Stats.Ignored = %d, want 3", l.Stats.Ignored)
	}
	m, err := Compile([]*List{l}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		typ  ResourceType
		want Action
	}{
		{"https://ads.example.com/x", TypeScript, Block},
		{"https://sub.ads.example.com/x", TypeImage, Block},
		{"https://example.com/", TypeImage, Allow},
		{"https://metrics.example.org/", TypeDocument, Block}, // hosts files block page loads too
		{"http://localhost/", TypeDocument, Allow},
		{"https://intranet.example.com/", TypeImage, Allow},
	}
	for _, tt := range tests {
		if v := m.Match(NewRequest(tt.url, "https://site.test/", tt.typ)); v.Action != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.url, v.Action, tt.want)
		}
	}
}

func TestParseDomains(t *testing.T) {
	l, err := ParseString("# domains\nads.example.com\n*.track.example.net\n\nbad domain here\n", ListMeta{Name: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Meta.Format != FormatDomains {
		t.Fatalf("Format = %v, want domains", l.Meta.Format)
	}
	if l.Stats.Rules != 2 || l.Stats.Bad != 1 || l.Errors[0].Line != 5 {
		t.Errorf("Stats = %+v, Errors = %v", l.Stats, l.Errors)
	}
	m, err := Compile([]*List{l}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := m.Match(NewRequest("https://a.track.example.net/p", "", TypeImage)); v.Action != Block || v.Rule != "*.track.example.net" {
		t.Errorf("Match = %+v, want Block by *.track.example.net", v)
	}
}

// A hosts-file or domain-list entry is the rule "||host^", as uBlock Origin
// reads it: "||host^$badfilter" in another list (a user's fix, say)
// cancels it, and a $badfilter with other options or for another host
// does not.
func TestBadfilterCancelsHostsEntries(t *testing.T) {
	hosts, err := ParseString("0.0.0.0 ads.example.com tracker.example.net\n0.0.0.0 keep.example.org\n", ListMeta{Name: "hosts"})
	if err != nil {
		t.Fatal(err)
	}
	domains, err := ParseString("metrics.example.com\n*.cdn.example.com\n", ListMeta{Name: "domains"})
	if err != nil {
		t.Fatal(err)
	}
	fixes, err := ParseString("[Adblock Plus 2.0]\n||ADS.example.com^$badfilter\n||cdn.example.com^$badfilter\n||keep.example.org^$script,badfilter\n||example.net^$badfilter\n", ListMeta{Name: "fixes"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile([]*List{hosts, domains, fixes}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url  string
		want Action
	}{
		{"https://ads.example.com/a.js", Allow},     // cancelled
		{"https://tracker.example.net/a.js", Block}, // same line, other host: kept
		{"https://x.cdn.example.com/a.js", Allow},   // "*.cdn.example.com" is "||cdn.example.com^"
		{"https://metrics.example.com/a.js", Block}, // not named
		{"https://keep.example.org/a.js", Block},    // $badfilter with other options
	} {
		if v := m.Match(NewRequest(tt.url, "https://site.test/", TypeScript)); v.Action != tt.want {
			t.Errorf("Match(%q) = %v (%q), want %v", tt.url, v.Action, v.Rule, tt.want)
		}
	}
	if got := m.Stats().Badfiltered; got != 2 {
		t.Errorf("Stats().Badfiltered = %d, want 2", got)
	}
}

func TestParseHostsRealLists(t *testing.T) {
	for _, rel := range []string{"blocklists/adaway-hosts.txt", "blocklists/stevenblack-hosts-2019-03-27-fakenews-gambling-porn-social.txt"} {
		l := parseShared(t, rel, ListMeta{})
		if l.Meta.Format != FormatHosts || l.Stats.Rules < 5000 || l.Stats.Bad > 0 {
			t.Errorf("%s: format %v, stats %+v, errors %v", rel, l.Meta.Format, l.Stats, l.Errors)
		}
		t.Logf("%s: %+v", rel, l.Stats)
	}
}
