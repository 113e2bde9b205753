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
		hosts = append(hosts, f.host)
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

func TestParseHostsRealLists(t *testing.T) {
	for _, rel := range []string{"blocklists/adaway-hosts.txt", "blocklists/stevenblack-hosts-2019-03-27-fakenews-gambling-porn-social.txt"} {
		l := parseShared(t, rel, ListMeta{})
		if l.Meta.Format != FormatHosts || l.Stats.Rules < 5000 || l.Stats.Bad > 0 {
			t.Errorf("%s: format %v, stats %+v, errors %v", rel, l.Meta.Format, l.Stats, l.Errors)
		}
		t.Logf("%s: %+v", rel, l.Stats)
	}
}
