package blocklist

import (
	"errors"
	"testing"
)

func TestParseDDGConfig(t *testing.T) {
	full := `{
	  "features": {
	    "contentBlocking": {"state": "enabled", "exceptions": [{"domain": "broken.example"}, {"domain": "not a domain"}]},
	    "requestBlocklist": {"state": "enabled", "exceptions": [{"domain": "rb-off.example"}],
	      "settings": {"blockedRequests": {
	        "rb.example": {"rules": [
	          {"rule": "rb.example/ads/*.js", "domains": ["<all>"], "reason": "r"},
	          {"rule": "rb.example/only-here", "domains": ["site.example"]},
	          {"rule": "rb.example/x", "domains": ["<all>"], "extra": 1},
	          {"rule": "rb.example/y"}
	        ]},
	        "sub.rb.example": {"rules": [{"rule": "sub.rb.example/z", "domains": ["<all>"]}]}
	      }}},
	    "trackerAllowlist": {"state": "enabled", "settings": {"allowlistedTrackers": {
	      "rb.example": {"rules": [{"rule": "rb.example/ads/ok.js", "domains": ["friend.example"], "reason": ["why"]}]}
	    }}},
	    "gpc": {"state": "enabled", "settings": {"gpcHeaderEnabledSites": []}}
	  },
	  "unprotectedTemporary": [{"domain": "unprotected.example"}]
	}`
	l, err := ParseString(full, ListMeta{Name: "config"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Meta.Format != FormatDDGConfig || l.Stats.Bad != 4 {
		t.Fatalf("format %v stats %+v errors %v", l.Meta.Format, l.Stats, l.Errors)
	}
	m, err := Compile([]*List{l}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url, site string
		typ       ResourceType
		want      Action
		reason    Reason
	}{
		{"https://rb.example/ads/a.js", "https://news.example/", TypeScript, Block, ReasonRule},
		{"https://cdn.rb.example/ads/a/b.js", "https://news.example/", TypeScript, Block, ReasonRule},
		{"https://rb.example/ads/a.js", "https://news.example/", TypeDocument, Allow, ReasonNone},
		{"https://rb.example/only-here", "https://www.site.example/", TypeImage, Block, ReasonRule},
		{"https://rb.example/only-here", "https://other.example/", TypeImage, Allow, ReasonNone},
		{"https://rb.example/x", "https://news.example/", TypeImage, Allow, ReasonNone},
		{"https://sub.rb.example/z", "https://news.example/", TypeImage, Allow, ReasonNone},
		{"https://rb.example/ads/ok.js", "https://friend.example/", TypeScript, Exception, ReasonTrackerAllowlisted},
		{"https://rb.example/ads/a.js", "https://m.broken.example/", TypeScript, Exception, ReasonSiteException},
		{"https://rb.example/ads/a.js", "https://unprotected.example/", TypeScript, Exception, ReasonSiteException},
		{"https://rb.example/ads/a.js", "https://rb-off.example/", TypeScript, Exception, ReasonSiteException},
	}
	for _, tt := range tests {
		v := m.Match(NewRequest(tt.url, tt.site, tt.typ))
		if v.Action != tt.want || v.Reason != tt.reason {
			t.Errorf("Match(%s from %s, %v) = %+v, want %v %v", tt.url, tt.site, tt.typ, v, tt.want, tt.reason)
		}
	}
}

func TestParseDDGConfigFeatureFiles(t *testing.T) {
	for _, tt := range []struct {
		rel     string
		wantErr error
	}{
		{"blocklists/ddg-privacy-config/tracker-allowlist.json", nil},
		{"blocklists/ddg-privacy-config/content-blocking.json", nil},
		{"blocklists/ddg-privacy-config/request-blocklist.json", ErrNoRules}, // state "disabled"
	} {
		_, err := ParseString(readFileT(t, tt.rel), ListMeta{Name: tt.rel})
		if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
			t.Errorf("Parse(%s) = %v, want %v", tt.rel, err, tt.wantErr)
		}
	}
	if _, err := ParseString(readFileT(t, "blocklists/ddg-privacy-config/gpc.json"), ListMeta{Name: "gpc"}); err == nil {
		t.Errorf("Parse(gpc.json) = nil, want an error: the feature decides no request")
	}
}
