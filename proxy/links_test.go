// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/url"
	"testing"

	"polaris/blocklist"
)

func TestLinkRules(t *testing.T) {
	l, err := blocklist.ParseString(`{"features": {
  "ampLinks": {"exceptions": [{"domain": "keep.example"}], "settings": {"keywords": ["/story-amp"], "linkFormats": ["^https://viewer\\.example/a/(\\S+)$"]}},
  "referrer": {"exceptions": [{"domain": "ref.example"}]}}}`, blocklist.ListMeta{Name: "config", Format: blocklist.FormatDDGConfig})
	if err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{l}, blocklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lr := compileLinks(m, t.Logf)
	for _, tt := range []struct{ in, want string }{
		{"https://viewer.example/a/news.example/x?y=1", "https://news.example/x?y=1"},
		{"https://viewer.example/a/http://news.example/x", "http://news.example/x"},
		{"https://www.google.com/amp/s/news.example/x", "https://news.example/x"},
		{"https://viewer.example/b/news.example/x", ""},
		{"https://viewer.example/a/nodot", ""},
	} {
		u, _ := url.Parse(tt.in)
		if got := lr.ampTarget(u); got != tt.want {
			t.Errorf("ampTarget(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"https://news.example/story-amp/1", true},
		{"https://keep.example/story-amp/1", false},
		{"https://news.example/story/1", false},
	} {
		u, _ := url.Parse(tt.in)
		if got := isAMPCandidate(u, nil, lr); got != tt.want {
			t.Errorf("isAMPCandidate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if !lr.referrerExempt("cdn.other.example", "", "www.ref.example") || lr.referrerExempt("cdn.other.example", "news.example", "") {
		t.Error("referrerExempt does not follow the configuration")
	}
	var none *linkRules
	if none.upgradeExempt("a.example", "") || none.keywords() != nil {
		t.Error("nil linkRules exempts or adds something")
	}
	abp, _ := blocklist.ParseString("||ads.example^\n", blocklist.ListMeta{Name: "abp"})
	m2, _ := blocklist.Compile([]*blocklist.List{abp}, blocklist.Options{})
	if compileLinks(m2, t.Logf) != nil {
		t.Error("compileLinks of a matcher without a configuration is not nil")
	}
}
