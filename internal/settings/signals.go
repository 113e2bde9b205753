// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"fmt"
	"strings"

	"polaris/blocklist"
)

// DNT is the user's tri-state Do Not Track preference, as the W3C Tracking
// Preference Expression defines it.
type DNT uint8

const (
	// DNTUnset: the user has not chosen; Polaris adds no DNT header and
	// leaves what the browser sent.
	DNTUnset DNT = iota
	// DNTDoNotTrack: every request carries exactly one "DNT: 1".
	DNTDoNotTrack
	// DNTAllowTracking: every request carries exactly one "DNT: 0".
	DNTAllowTracking
)

// String returns the textual value: "unset", "1" or "0".
func (d DNT) String() string {
	switch d {
	case DNTDoNotTrack:
		return "1"
	case DNTAllowTracking:
		return "0"
	}
	return "unset"
}

// Header returns the DNT header value to send, or "" for DNTUnset.
func (d DNT) Header() string {
	if d == DNTUnset {
		return ""
	}
	return d.String()
}

// ParseDNT parses "unset", "1" or "0" (and the words "do-not-track",
// "allow-tracking").
func ParseDNT(v string) (DNT, error) {
	switch strings.ToLower(v) {
	case "unset", "":
		return DNTUnset, nil
	case "1", "do-not-track":
		return DNTDoNotTrack, nil
	case "0", "allow-tracking":
		return DNTAllowTracking, nil
	}
	return 0, errors.New("want unset, 1 (do not track) or 0 (allow tracking)")
}

// SiteException overrides the signals for one site: a registrable domain,
// its subdomains included.
type SiteException struct {
	// Site is a registrable domain (eTLD+1), lower case, e.g. "example.co.uk".
	Site string
	// NoSignals: send neither DNT nor Sec-GPC of ours to this site (what the
	// browser sent is left as it is).
	NoSignals bool
	// DNT is the DNT value for this site when NoSignals is false.
	DNT DNT
}

// String returns the textual form "site=off|unset|1|0".
func (e SiteException) String() string {
	if e.NoSignals {
		return e.Site + "=off"
	}
	return e.Site + "=" + e.DNT.String()
}

// ParseSiteException parses "site=off|unset|1|0". The site is normalised
// to its registrable domain.
func ParseSiteException(v string) (SiteException, error) {
	site, mode, ok := strings.Cut(v, "=")
	if !ok {
		return SiteException{}, errors.New(`want "site=off|unset|1|0", e.g. example.com=off`)
	}
	d, err := RegistrableDomain(strings.TrimSpace(site))
	if err != nil {
		return SiteException{}, err
	}
	e := SiteException{Site: d}
	mode = strings.TrimSpace(mode)
	if strings.EqualFold(mode, "off") {
		e.NoSignals = true
		return e, nil
	}
	if e.DNT, err = ParseDNT(mode); err != nil {
		return SiteException{}, errors.New("want off, unset, 1 or 0 after '='")
	}
	return e, nil
}

// RegistrableDomain returns the registrable domain (the site) of a host
// name a person typed, lower case; a bare public suffix, an IP address or
// an invalid name is an error. It is the engine's
// (blocklist.RegistrableDomain), named here for the window and the
// command line.
func RegistrableDomain(host string) (string, error) { return blocklist.RegistrableDomain(host) }

// Signals are the privacy signals Polaris sends.
type Signals struct {
	DNT DNT
	// GPC adds exactly one "Sec-GPC: 1"; Polaris never removes a browser's.
	GPC bool
	// Exceptions override DNT/GPC per site; at most one per site.
	Exceptions []SiteException
	// CheckSites fetches, once per session and without cookies, the
	// /.well-known/dnt/, gpc.json and dnt-policy.txt of first-party sites.
	CheckSites bool
}

// Exception returns the exception for a registrable domain, if any.
func (s Signals) Exception(site string) (SiteException, bool) {
	for _, e := range s.Exceptions {
		if e.Site == site {
			return e, true
		}
	}
	return SiteException{}, false
}

var signalKeys = []Key{
	{
		Name: "dnt",
		Help: "Do Not Track: unset (send nothing), 1 (do not track) or 0 (allow tracking)",
		get:  func(s *Settings) string { return s.Signals.DNT.String() },
		set: func(s *Settings, v string) (err error) {
			s.Signals.DNT, err = ParseDNT(v)
			return err
		},
	},
	boolKey("gpc", "Global Privacy Control: on adds Sec-GPC: 1 (on|off)",
		func(s *Settings) *bool { return &s.Signals.GPC }),
	{
		Name: "signals.exceptions",
		Help: "per-site signals, comma-separated site=off|unset|1|0, e.g. bank.example=off,news.example=0",
		get: func(s *Settings) string {
			parts := make([]string, len(s.Signals.Exceptions))
			for i, e := range s.Signals.Exceptions {
				parts[i] = e.String()
			}
			return strings.Join(parts, ",")
		},
		set: func(s *Settings, v string) error {
			var out []SiteException
			seen := map[string]bool{}
			for _, item := range splitList(v) {
				e, err := ParseSiteException(item)
				if err != nil {
					return fmt.Errorf("%q: %w", item, err)
				}
				if seen[e.Site] {
					return fmt.Errorf("%s appears twice", e.Site)
				}
				seen[e.Site] = true
				out = append(out, e)
			}
			s.Signals.Exceptions = out
			return nil
		},
	},
	boolKey("signals.check-sites", "record what first-party sites answer to DNT/GPC (/.well-known checks, once per session, no cookies) (on|off)",
		func(s *Settings) *bool { return &s.Signals.CheckSites }),
}
