// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"path/filepath"
)

// HTTPS are the HTTPS, referrer and link-cleaning choices.
type HTTPS struct {
	// Filter intercepts CONNECT tunnels with the per-install CA so that
	// signals and full-URL blocking apply to HTTPS too. Off by default.
	Filter bool
	// UpstreamCA is an extra CA file (PEM) trusted for upstream servers,
	// besides the system roots; "" for none.
	UpstreamCA string
	// Exclusions are host patterns never intercepted.
	Exclusions []string
	// DefaultExclusions adds the built-in banking/health/government list.
	DefaultExclusions bool
	// SearchEngines redirects plain-HTTP requests to search engines to HTTPS.
	SearchEngines bool
	// First upgrades every navigation to HTTPS, with an interstitial before
	// falling back to HTTP.
	First bool
	// TrimReferrer trims cross-site Referers to the origin.
	TrimReferrer bool
	// StripParams removes tracking parameters (utm_*, fbclid, ...) from navigations.
	StripParams bool
	// SkipRedirectors sends links through known redirectors (click
	// trackers) straight to their destination.
	SkipRedirectors bool
}

var httpsKeys = []Key{
	boolKey("https.filter", "look inside HTTPS with Polaris's own certificate authority (on|off)",
		func(s *Settings) *bool { return &s.HTTPS.Filter }),
	{
		Name: "https.upstream-ca",
		Help: "absolute path of an extra CA file (PEM) trusted for upstream servers, or \"\"",
		get:  func(s *Settings) string { return s.HTTPS.UpstreamCA },
		set: func(s *Settings, v string) error {
			if v != "" && !filepath.IsAbs(v) {
				return errors.New("want an absolute path")
			}
			s.HTTPS.UpstreamCA = v
			return nil
		},
	},
	listKey("https.exclusions", "hosts never intercepted, comma-separated: example.com or *.example.com",
		CheckSitePattern, func(s *Settings) *[]string { return &s.HTTPS.Exclusions }),
	boolKey("https.default-exclusions", "never intercept the built-in list of banking, health and government sites (on|off)",
		func(s *Settings) *bool { return &s.HTTPS.DefaultExclusions }),
	boolKey("https.search-engines", "send plain-HTTP search engine requests to HTTPS (on|off)",
		func(s *Settings) *bool { return &s.HTTPS.SearchEngines }),
	boolKey("https.first", "HTTPS-first for every site, with a warning before plain HTTP (on|off)",
		func(s *Settings) *bool { return &s.HTTPS.First }),
	boolKey("referrer.trim", "trim the Referer sent to other sites to the origin (on|off)",
		func(s *Settings) *bool { return &s.HTTPS.TrimReferrer }),
	boolKey("urls.strip-params", "remove tracking parameters such as utm_source and fbclid from links (on|off)",
		func(s *Settings) *bool { return &s.HTTPS.StripParams }),
	boolKey("urls.skip-redirectors", "go straight to where links through click trackers such as google.com/url lead (with urls.strip-params) (on|off)",
		func(s *Settings) *bool { return &s.HTTPS.SkipRedirectors }),
}
