// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"reflect"
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

func TestParseDDGLinks(t *testing.T) {
	const links = `{
  "features": {
    "https": {"state": "enabled", "exceptions": [{"domain": "Secure.Example"}, {"domain": "bad host"}]},
    "referrer": {"exceptions": [{"domain": "keep.example"}]},
    "trackingParameters": {"state": "enabled", "exceptions": [{"domain": "params.example"}],
      "settings": {"parameters": ["utm_source", "fb_*", "bad=name", 7, ""]}},
    "ampLinks": {"exceptions": [{"domain": "amp.example"}],
      "settings": {"keywords": ["=AMP", "a b"], "linkFormats": ["^https?://x\\.example/amp/(\\S+)$", "no-group", "(["]}},
    "gpc": {"state": "enabled", "exceptions": [{"domain": "gpc.example"}]}
  },
  "unprotectedTemporary": [{"domain": "temp.example"}]
}`
	tests := []struct {
		name   string
		text   string
		ok     bool
		want   DDGLinks
		errors []int // lines of the skipped entries
	}{
		{"all link features", links, true, DDGLinks{
			HTTPSExceptions:    []string{"secure.example", "temp.example"},
			ReferrerExceptions: []string{"keep.example", "temp.example"},
			ParamExceptions:    []string{"params.example", "temp.example"},
			AMPExceptions:      []string{"amp.example", "temp.example"},
			TrackingParams:     []string{"utm_source", "fb_*"},
			AMPKeywords:        []string{"=amp"},
			AMPLinkFormats:     []string{`^https?://x\.example/amp/(\S+)$`},
			CookieExceptions:   []string{"temp.example"},
		}, []int{8, 8, 8, 3, 6, 6, 6}},
		{"disabled feature", `{"features": {"https": {"state": "disabled", "exceptions": [{"domain": "a.example"}]},
  "contentBlocking": {"state": "enabled", "exceptions": [{"domain": "b.example"}]}}}`, false, DDGLinks{}, nil},
		{"unprotected only", `{"features": {}, "unprotectedTemporary": [{"domain": "u.example"}]}`, true, DDGLinks{
			HTTPSExceptions: []string{"u.example"}, ReferrerExceptions: []string{"u.example"},
			ParamExceptions: []string{"u.example"}, AMPExceptions: []string{"u.example"},
			CookieExceptions: []string{"u.example"},
		}, nil},
		{"cookie features", `{"features": {
  "cookie": {"state": "enabled", "exceptions": [{"domain": "site.example"}],
    "settings": {"excludedCookieDomains": [{"domain": "Login.Tracker.example"}, {"domain": "bad host"}]}},
  "trackingCookies3p": {"state": "enabled", "exceptions": [{"domain": "old.example"}], "settings": {"excludedCookieDomains": []}},
  "nonTracking3pCookies": {"state": "disabled", "exceptions": [{"domain": "never.example"}]}}}`, true, DDGLinks{
			CookieExceptions:    []string{"site.example", "old.example"},
			CookieExcludedHosts: []string{"login.tracker.example"},
		}, []int{3}},
		{"one-feature cookie file", `{"_meta": {"description": "Restriction of 1st party cookies"}, "exceptions": [{"domain": "a.example"}],
  "settings": {"excludedCookieDomains": [{"domain": "b.example"}]}}`,
			true, DDGLinks{CookieExceptions: []string{"a.example"}, CookieExcludedHosts: []string{"b.example"}}, nil},
		{"one-feature file", `{"_meta": {"description": "Https upgrading"}, "state": "enabled", "exceptions": [{"domain": "a.example"}]}`,
			true, DDGLinks{HTTPSExceptions: []string{"a.example"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseString(tt.text, ListMeta{Name: "config", Format: FormatDDGConfig})
			if err != nil {
				t.Fatal(err)
			}
			var lines []int
			for _, e := range l.Errors {
				lines = append(lines, e.Line)
			}
			if !reflect.DeepEqual(lines, tt.errors) {
				t.Errorf("error lines = %v, want %v (%v)", lines, tt.errors, l.Errors)
			}
			m, err := Compile([]*List{l}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m, err = m.WithAllowlist([]string{"mine.example"}); err != nil {
				t.Fatal(err)
			}
			got, ok := m.DDGLinks()
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DDGLinks() = %+v, %v, want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// Two configurations add up; lists without one say nothing.
func TestDDGLinksMerge(t *testing.T) {
	parse := func(text string, f Format) *List {
		l, err := ParseString(text, ListMeta{Name: "x", Format: f})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	abp := parse("||ads.example^\n", FormatABP)
	m, err := Compile([]*List{abp}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m.DDGLinks(); ok {
		t.Errorf("DDGLinks() without a configuration = %+v, true", got)
	}
	a := parse(`{"features": {"trackingParameters": {"settings": {"parameters": ["a"]}}}}`, FormatDDGConfig)
	b := parse(`{"features": {"trackingParameters": {"settings": {"parameters": ["b"]}}, "referrer": {"exceptions": [{"domain": "r.example"}]}}}`, FormatDDGConfig)
	if m, err = Compile([]*List{abp, a, b}, Options{}); err != nil {
		t.Fatal(err)
	}
	want := DDGLinks{TrackingParams: []string{"a", "b"}, ReferrerExceptions: []string{"r.example"}}
	if got, ok := m.DDGLinks(); !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("DDGLinks() = %+v, %v, want %+v", got, ok, want)
	}
}
