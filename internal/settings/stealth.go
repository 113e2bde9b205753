// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Stealth is what Polaris hides from the trackers a page still reaches:
// cookies, identifying headers, the in-page privacy signals. Everything here
// works on plain HTTP and, with HTTPS filtering on, inside HTTPS; an HTTPS
// connection Polaris does not open is out of its reach.
type Stealth struct {
	// TrackerCookies removes Cookie from requests to known trackers of
	// another site and drops the Set-Cookie of their answers.
	TrackerCookies bool
	// ThirdPartyCookies does the same for every request to another site.
	ThirdPartyCookies bool
	// ThirdPartyCookieMaxAge caps the lifetime of the cookies other sites
	// set (0: no cap). Session cookies stay session cookies.
	ThirdPartyCookieMaxAge time.Duration
	// FirstPartyCookieMaxAge caps the lifetime of the cookies the site you
	// are on sets (0: no cap).
	FirstPartyCookieMaxAge time.Duration
	// ClientData removes Chrome's X-Client-Data header.
	ClientData bool
	// CacheID removes the cache validators (If-None-Match,
	// If-Modified-Since, ETag, Last-Modified) between a page and other
	// sites, which trackers use as cookies.
	CacheID bool
	// Authorization removes the credentials a browser attaches by itself
	// (Authorization) to requests to other sites, unless the pair is in
	// AuthorizationAllowed.
	Authorization bool
	// AuthorizationAllowed are the "site>host" pairs whose Authorization
	// header is kept.
	AuthorizationAllowed []string
	// ClientHints removes the high-entropy client hints (exact browser
	// version, OS version, device model, CPU) from requests to other sites,
	// and other sites' requests for them (Accept-CH, Critical-CH).
	ClientHints bool
	// PageSignals tells the page's scripts what the headers say
	// (navigator.globalPrivacyControl, navigator.doNotTrack).
	PageSignals bool
	// Exceptions turn features off on some sites.
	Exceptions []StealthException
	// NoScript are site patterns whose pages run no JavaScript (a
	// Content-Security-Policy "script-src 'none'" added to them).
	NoScript []string
}

// Feature is one of the stealth protections, for per-site exceptions.
type Feature uint16

// The features a site can be excepted from.
const (
	FeatureCookies Feature = 1 << iota
	FeatureClientData
	FeatureCacheID
	FeatureAuthorization
	FeatureClientHints
	FeaturePageSignals
	FeatureAll = FeatureCookies | FeatureClientData | FeatureCacheID | FeatureAuthorization | FeatureClientHints | FeaturePageSignals
)

// featureNames are the textual names, in display order.
var featureNames = []struct {
	f    Feature
	name string
}{
	{FeatureCookies, "cookies"},
	{FeatureClientData, "x-client-data"},
	{FeatureCacheID, "cache-id"},
	{FeatureAuthorization, "authorization"},
	{FeatureClientHints, "client-hints"},
	{FeaturePageSignals, "page-signals"},
}

// Features lists every feature in display order.
func Features() []Feature {
	out := make([]Feature, len(featureNames))
	for i, n := range featureNames {
		out[i] = n.f
	}
	return out
}

// String returns "cookies+cache-id", or "all".
func (f Feature) String() string {
	if f == FeatureAll {
		return "all"
	}
	var parts []string
	for _, n := range featureNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "+")
}

// ParseFeatures parses "all" or feature names joined by '+' or '|'.
func ParseFeatures(v string) (Feature, error) {
	var f Feature
	for _, part := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == '+' || r == '|' }) {
		part = strings.TrimSpace(part)
		if part == "all" {
			f |= FeatureAll
			continue
		}
		i := slices.IndexFunc(featureNames, func(n struct {
			f    Feature
			name string
		}) bool {
			return n.name == part
		})
		if i < 0 {
			return 0, fmt.Errorf("%q is not a feature (want all, or some of %s joined by +)", part, featureList())
		}
		f |= featureNames[i].f
	}
	if f == 0 {
		return 0, errors.New("name at least one feature, or all")
	}
	return f, nil
}

func featureList() string {
	names := make([]string, len(featureNames))
	for i, n := range featureNames {
		names[i] = n.name
	}
	return strings.Join(names, ", ")
}

// StealthException turns features off for a site pattern ("example.com"
// and its subdomains, or "*.example.com"): on its pages and for requests
// to it.
type StealthException struct {
	Site string
	Off  Feature
}

// String returns "site=features".
func (e StealthException) String() string { return e.Site + "=" + e.Off.String() }

// ParseStealthException parses "site=features", e.g. "example.com=cookies+cache-id".
func ParseStealthException(v string) (StealthException, error) {
	site, feats, ok := strings.Cut(v, "=")
	if !ok {
		return StealthException{}, errors.New(`want "site=features", e.g. example.com=cookies+cache-id or example.com=all`)
	}
	p, err := CheckSitePattern(strings.TrimSpace(site))
	if err != nil {
		return StealthException{}, err
	}
	f, err := ParseFeatures(feats)
	if err != nil {
		return StealthException{}, err
	}
	return StealthException{Site: p, Off: f}, nil
}

// Off returns the features turned off for site pattern p (as written).
func (s Stealth) Off(p string) Feature {
	for _, e := range s.Exceptions {
		if e.Site == p {
			return e.Off
		}
	}
	return 0
}

// CheckAuthPair validates and normalises "site>host": a page's site
// pattern and the host its requests may send Authorization to.
func CheckAuthPair(v string) (string, error) {
	site, host, ok := strings.Cut(v, ">")
	if !ok {
		return "", errors.New(`want "site>host", e.g. portal.example>intranet.example`)
	}
	s, err := CheckSitePattern(strings.TrimSpace(site))
	if err != nil {
		return "", err
	}
	h, err := CheckSitePattern(strings.TrimSpace(host))
	if err != nil {
		return "", err
	}
	return s + ">" + h, nil
}

// maxCookieAge bounds the lifetime caps (a cap longer than this is no cap).
const maxCookieAge = 400 * 24 * time.Hour

func cookieAgeKey(name, help string, field func(*Settings) *time.Duration) Key {
	return Key{
		Name: name, Help: help,
		get: func(s *Settings) string { return fmtDuration(*field(s)) },
		set: func(s *Settings, v string) error {
			if v == "off" {
				v = "0"
			}
			d, err := parseDuration(v)
			if err != nil {
				return err
			}
			if d != 0 && (d < time.Minute || d > maxCookieAge) {
				return errors.New("want 0 (no cap) or a duration from 1m to 400d, e.g. 1d")
			}
			*field(s) = d.Truncate(time.Second)
			return nil
		},
	}
}

var stealthKeys = []Key{
	boolKey("cookies.trackers", "remove cookies to and from known trackers of other sites (on|off)",
		func(s *Settings) *bool { return &s.Stealth.TrackerCookies }),
	boolKey("cookies.third-party", "remove cookies to and from every other site a page reaches (on|off; can break logins in embedded frames)",
		func(s *Settings) *bool { return &s.Stealth.ThirdPartyCookies }),
	cookieAgeKey("cookies.third-party-max-age", "longest life of cookies other sites set, e.g. 1d (0: no cap)",
		func(s *Settings) *time.Duration { return &s.Stealth.ThirdPartyCookieMaxAge }),
	cookieAgeKey("cookies.first-party-max-age", "longest life of cookies the site you are on sets, e.g. 7d (0: no cap)",
		func(s *Settings) *time.Duration { return &s.Stealth.FirstPartyCookieMaxAge }),
	boolKey("headers.x-client-data", "remove Chrome's X-Client-Data header (on|off)",
		func(s *Settings) *bool { return &s.Stealth.ClientData }),
	boolKey("headers.cache-id", "remove cache validators (ETag, If-None-Match, Last-Modified, If-Modified-Since) between pages and other sites (on|off)",
		func(s *Settings) *bool { return &s.Stealth.CacheID }),
	boolKey("headers.authorization", "remove the credentials browsers attach by themselves to requests to other sites (on|off)",
		func(s *Settings) *bool { return &s.Stealth.Authorization }),
	listKey("headers.authorization-allow", "site>host pairs that keep their Authorization header, comma-separated",
		CheckAuthPair, func(s *Settings) *[]string { return &s.Stealth.AuthorizationAllowed }),
	boolKey("headers.client-hints", "remove high-entropy client hints and Accept-CH/Critical-CH between pages and other sites (on|off)",
		func(s *Settings) *bool { return &s.Stealth.ClientHints }),
	boolKey("signals.in-page", "tell the page's scripts what the headers say (navigator.globalPrivacyControl, navigator.doNotTrack; needs HTTPS filtering for HTTPS pages) (on|off)",
		func(s *Settings) *bool { return &s.Stealth.PageSignals }),
	listKey("javascript.off", "sites whose pages run no JavaScript, comma-separated: example.com or *.example.com (needs HTTPS filtering for HTTPS sites)",
		CheckSitePattern, func(s *Settings) *[]string { return &s.Stealth.NoScript }),
	{
		Name: "stealth.exceptions",
		Help: "sites where cookie and header protections are off, comma-separated site=features (all, or " + featureList() + " joined by +)",
		get: func(s *Settings) string {
			parts := make([]string, len(s.Stealth.Exceptions))
			for i, e := range s.Stealth.Exceptions {
				parts[i] = e.String()
			}
			return strings.Join(parts, ",")
		},
		set: func(s *Settings, v string) error {
			var out []StealthException
			for _, item := range splitList(v) {
				e, err := ParseStealthException(item)
				if err != nil {
					return fmt.Errorf("%q: %w", item, err)
				}
				if i := slices.IndexFunc(out, func(x StealthException) bool { return x.Site == e.Site }); i >= 0 {
					out[i].Off |= e.Off
					continue
				}
				out = append(out, e)
			}
			s.Stealth.Exceptions = out
			return nil
		},
	},
}
