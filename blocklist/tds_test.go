// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"testing"
)

// tdsExamples is the Tracker Data Set of blocklists/ddg-tds/EXAMPLES.md.
const tdsExamples = `{
  "trackers": {
    "example-tracker.com": {"domain": "example-tracker.com", "default": "block", "owner": {"name": "Example Tracker"}, "categories": ["Advertising"]},
    "image-cdn-example.com": {"domain": "image-cdn-example.com", "default": "ignore", "owner": {"name": "Example LTD."}},
    "test-tracker.net": {"domain": "test-tracker.net", "default": "block", "owner": {"name": "Tracking Company"},
      "categories": ["Analytics", "Advertising"],
      "rules": [
        {"rule": "test-tracker\\.net\\/instream\\/.*\\/ad_status\\.js", "surrogate": "ad_status.js"},
        {"rule": "test-tracker\\.net\\/ddm\\/", "exceptions": {"types": ["image"]}}
      ]},
    "example.net": {"domain": "example.net", "default": "ignore", "owner": {"name": "Example Tracker"},
      "rules": [
        {"rule": "connect\\.example\\.net\\/signals\\/"},
        {"rule": "sometimes-tracking\\.example\\.net", "options": {"domains": ["test-site-3.com"]}},
        {"rule": "example\\.net\\/.*\\/AudienceNetworkVPAID\\.", "options": {"domains": ["test-site-2.com", "test-site-3.com"], "types": ["script"]},
         "exceptions": {"types": ["script"], "domains": ["test-site-2.com"]}},
        {"rule": "example\\.net\\/bad[", "action": "block"},
        {"rule": "example\\.net\\/x", "action": "teleport"}
      ]}
  },
  "entities": {"Example Tracker": {"domains": ["example-tracker.com", "example.net", "owner-site.com"]}},
  "domains": {"example-tracker.com": "Example Tracker", "example.net": "Example Tracker", "owner-site.com": "Example Tracker"},
  "cnames": {"metrics.customer.com": "collect.example-tracker.com"}
}`

func TestTDSExamples(t *testing.T) {
	l, err := ParseString(tdsExamples, ListMeta{Name: "TDS"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Meta.Format != FormatTDS || l.Stats.Rules != 4 || l.Stats.Bad != 2 {
		t.Fatalf("format %v stats %+v errors %v", l.Meta.Format, l.Stats, l.Errors)
	}
	surrogates, err := ParseString("test-tracker.net/ad_status.js application/javascript\nwindow.ad = 1;\n", ListMeta{Name: "surrogates"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile([]*List{l, surrogates}, Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		site, url string
		typ       ResourceType
		want      string // block, redirect, ignore, null
		reason    Reason
	}{
		// EXAMPLES.md tables.
		{"https://abc.com/", "https://example-tracker.com/ad.js", TypeScript, "block", ReasonRule},
		{"https://abc.com/", "https://abc.image-cdn-example.com/image1.jpg", TypeImage, "ignore", ReasonTrackerIgnored},
		{"https://example.com/", "https://test-tracker.net/instream/1234/ad_status.js", TypeScript, "redirect", ReasonRule},
		{"https://example.com/", "https://test-tracker.net/ddm/", TypeScript, "block", ReasonRule},
		{"https://example.com/", "https://test-tracker.net/ddm/", TypeImage, "ignore", ReasonExceptionRule},
		{"https://example.com/", "https://test-tracker.net/adimage.png", TypeImage, "block", ReasonRule},
		{"https://test-site.com/", "https://connect.example.net/signals/", TypeScript, "block", ReasonRule},
		{"https://test-site.com/", "https://example.net/tracker.js", TypeScript, "ignore", ReasonTrackerIgnored},
		{"https://test-site-3.com/", "https://sometimes-tracking.example.net/track.js", TypeScript, "block", ReasonRule},
		{"https://test-site-2.com/", "https://sometimes-tracking.example.net/track.js", TypeScript, "ignore", ReasonTrackerIgnored},
		{"https://test-site-2.com/", "https://example.net/123/AudienceNetworkVPAID.png", TypeScript, "ignore", ReasonExceptionRule},
		{"https://test-site-3.com/", "https://example.net/123/AudienceNetworkVPAID.png", TypeImage, "ignore", ReasonTrackerIgnored},
		{"https://test-site-3.com/", "https://example.net/123/AudienceNetworkVPAID.png", TypeScript, "block", ReasonRule},
		// Parties, owners, CNAMEs.
		{"https://www.example-tracker.com/", "https://example-tracker.com/ad.js", TypeScript, "ignore", ReasonFirstParty},
		{"https://owner-site.com/", "https://example-tracker.com/ad.js", TypeScript, "ignore", ReasonFirstParty},
		{"https://abc.com/", "https://metrics.customer.com/ad.js", TypeScript, "block", ReasonRule},
		{"https://abc.com/", "https://other.customer.com/ad.js", TypeScript, "null", ReasonNone},
		{"https://abc.com/", "https://example-tracker.com:8443/ad.js", TypeScript, "block", ReasonRule},
		// An unknown action skips the rule, a bad regex too.
		{"https://abc.com/", "https://example.net/x", TypeScript, "ignore", ReasonTrackerIgnored},
	}
	for _, tt := range tests {
		v := m.Match(NewRequest(tt.url, tt.site, tt.typ))
		if got := ddgAction(v); got != tt.want || v.Reason != tt.reason {
			t.Errorf("Match(%s from %s, %v) = %s %v (%+v), want %s %v", tt.url, tt.site, tt.typ, got, v.Reason, v, tt.want, tt.reason)
		}
	}
	v := m.Match(NewRequest("https://example-tracker.com/ad.js", "https://abc.com/", TypeScript))
	if v.Category != "advertising" || v.List != "TDS" || v.Owner != "Example Tracker" {
		t.Errorf("verdict %+v: want category advertising, list TDS, owner Example Tracker", v)
	}
	v = m.Match(NewRequest("https://test-tracker.net/instream/1/ad_status.js", "https://abc.com/", TypeScript))
	if typ, body, ok := m.Surrogate(v.Redirect); !ok || typ != "application/javascript" || string(body) != "window.ad = 1;" {
		t.Errorf("Surrogate(%q) = %q %q %v", v.Redirect, typ, body, ok)
	}
	if v.Category != "analytics" {
		t.Errorf("category %q, want analytics (ranked above advertising)", v.Category)
	}
}

func TestTDSRealList(t *testing.T) {
	l := parseShared(t, "blocklists/ddg-tds/extension-tds-v6.json", ListMeta{Name: "TDS"})
	t.Logf("TDS: %+v, %d errors", l.Stats, len(l.Errors))
	for _, e := range l.Errors {
		t.Logf("  %v", e)
	}
	m, err := Compile([]*List{l}, Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url, site string
		want      string
	}{
		{"https://www.google-analytics.com/analytics.js", "https://news.example/", "block"},
		{"https://www.google-analytics.com/analytics.js", "https://www.raspberrypi.org/", "ignore"},
		{"https://connect.facebook.net/en_US/fbevents.js", "https://news.example/", "block"},
		{"https://static.example.org/app.js", "https://news.example/", "null"},
	}
	for _, tt := range tests {
		v := m.Match(NewRequest(tt.url, tt.site, TypeScript))
		if got := ddgAction(v); got != tt.want {
			t.Errorf("Match(%s from %s) = %s (%+v), want %s", tt.url, tt.site, got, v, tt.want)
		}
	}
}

func TestCNAMEUncloakingABP(t *testing.T) {
	tds, err := ParseString(`{"trackers":{},"entities":{},"domains":{},"cnames":{
		"metrics.shop.example": "shop.example.data.adobedc.net",
		"cdn.shop.example": "shop.example.cdn.example",
		"img.shop.example": "img.shop.example.edgekey.net"}}`, ListMeta{Name: "TDS"})
	if err != nil && !errors.Is(err, ErrNoRules) {
		t.Fatal(err)
	}
	abp, _ := ParseString("||data.adobedc.net^\n||edgekey.net^\n@@||img.shop.example^", ListMeta{Name: "privacy"})
	m, err := Compile([]*List{tds, abp}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url   string
		want  Action
		cname string
	}{
		{"https://metrics.shop.example/b/ss", Block, "shop.example.data.adobedc.net"},
		{"https://cdn.shop.example/app.js", Allow, ""},
		{"https://img.shop.example/a.png", Exception, "img.shop.example.edgekey.net"},
		{"https://www.shop.example/", Allow, ""},
	}
	for _, tt := range tests {
		v := m.Match(NewRequest(tt.url, "https://shop.example/", TypeScript))
		if v.Action != tt.want || v.CNAME != tt.cname {
			t.Errorf("Match(%s) = %v cname %q (%+v), want %v %q", tt.url, v.Action, v.CNAME, v, tt.want, tt.cname)
		}
	}
	if v := m.MatchHost("metrics.shop.example"); v.Action != Block {
		t.Errorf("MatchHost(metrics.shop.example) = %+v, want Block", v)
	}
}

func TestABPBlockWithTDSSurrogate(t *testing.T) {
	tds, _ := ParseString(tdsExamples, ListMeta{Name: "TDS"})
	surrogates, _ := ParseString("test-tracker.net/ad_status.js application/javascript\nwindow.ad = 1;\n", ListMeta{Name: "surrogates"})
	abp, _ := ParseString("||test-tracker.net^", ListMeta{Name: "abp"})
	m, err := Compile([]*List{abp, tds, surrogates}, Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Match(NewRequest("https://test-tracker.net/instream/1/ad_status.js", "https://example.com/", TypeScript))
	if v.Action != Redirect || v.Redirect != "ad_status.js" || v.Rule != "||test-tracker.net^" || !v.Tracker {
		t.Errorf("Match = %+v, want Redirect to ad_status.js by ||test-tracker.net^", v)
	}
	v = m.Match(NewRequest("https://test-tracker.net/other.js", "https://example.com/", TypeScript))
	if v.Action != Block || v.List != "abp" {
		t.Errorf("Match = %+v, want Block by abp", v)
	}
}
