// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// DuckDuckGo privacy-configuration: the parts that decide links and
// connections rather than requests to block.
//   - https.exceptions: sites where plain HTTP is not upgraded.
//   - referrer.exceptions: sites whose Referer is left alone.
//   - trackingParameters.exceptions and settings.parameters: sites where
//     links keep their parameters, and the parameter names to strip
//     (exact, or a prefix ending in '*').
//   - ampLinks.exceptions and settings.keywords, settings.linkFormats:
//     sites where AMP links stay, address keywords that mark an AMP page,
//     and regular expressions whose first group is the page an AMP viewer
//     link wraps.
//   - cookie (and the older trackingCookies3p): exceptions, sites where
//     third-party tracker cookies are left alone, and
//     settings.excludedCookieDomains, tracker hosts whose cookies are.
//   - unprotectedTemporary: sites where none of them applies.

// DDGLinks is what the DuckDuckGo privacy configurations compiled into a
// Matcher say about HTTPS upgrades, Referer trimming, tracking parameters
// and AMP links. Exception entries are host names (a site and its
// subdomains); unprotectedTemporary sites are included in every exception
// list. The slices are shared by every caller and must not be modified.
type DDGLinks struct {
	HTTPSExceptions    []string // no upgrade to HTTPS
	ReferrerExceptions []string // Referer left as it is
	ParamExceptions    []string // tracking parameters left in links
	AMPExceptions      []string // AMP links left as they are
	// TrackingParams are parameter names to strip (exact, or a prefix
	// ending in '*'); nil when no list names any.
	TrackingParams []string
	// AMPKeywords (lower case) mark addresses that may be AMP pages; nil
	// when no list names any.
	AMPKeywords []string
	// AMPLinkFormats are regular expressions on a whole URL whose first
	// group is the address of the page an AMP viewer link wraps (with or
	// without its scheme); they compile with regexp.Compile.
	AMPLinkFormats []string
	// CookieExceptions are sites whose pages keep third-party tracker
	// cookies.
	CookieExceptions []string
	// CookieExcludedHosts are hosts (and their subdomains) whose cookies
	// are never removed.
	CookieExcludedHosts []string
}

// empty reports whether d says nothing.
func (d *DDGLinks) empty() bool {
	return len(d.HTTPSExceptions)+len(d.ReferrerExceptions)+len(d.ParamExceptions)+len(d.AMPExceptions)+
		len(d.TrackingParams)+len(d.AMPKeywords)+len(d.AMPLinkFormats)+
		len(d.CookieExceptions)+len(d.CookieExcludedHosts) == 0
}

// DDGLinks returns what the compiled DuckDuckGo privacy configurations say
// about links and connections, merged over every list; ok is false when
// no list says anything about them (callers keep their built-in
// behaviour). It is safe for concurrent use and does not allocate.
func (m *Matcher) DDGLinks() (links DDGLinks, ok bool) {
	if m == nil || m.ddg.links == nil {
		return DDGLinks{}, false
	}
	return *m.ddg.links, true
}

// linkFeatures maps configuration feature names onto what they hold.
var linkFeatures = map[string]bool{"https": true, "referrer": true, "trackingParameters": true, "ampLinks": true,
	"cookie": true, "trackingCookies3p": true}

// addLinks reads a link feature's exceptions and settings into c.links.
func (c *ddgConfig) addLinks(l *List, name string, f featureJSON) {
	var exc []siteNote
	exc = appendSites(l, exc, f.Exceptions, name+" exception")
	hosts := make([]string, len(exc))
	for i, s := range exc {
		hosts[i] = s.domain
	}
	d := &c.links
	switch name {
	case "https":
		d.HTTPSExceptions = append(d.HTTPSExceptions, hosts...)
	case "referrer":
		d.ReferrerExceptions = append(d.ReferrerExceptions, hosts...)
	case "trackingParameters":
		d.ParamExceptions = append(d.ParamExceptions, hosts...)
		d.TrackingParams = appendSettings(l, d.TrackingParams, name, "parameters", f.Settings.Parameters, checkParam)
	case "ampLinks":
		d.AMPExceptions = append(d.AMPExceptions, hosts...)
		d.AMPKeywords = appendSettings(l, d.AMPKeywords, name, "keywords", f.Settings.Keywords, checkKeyword)
		d.AMPLinkFormats = appendSettings(l, d.AMPLinkFormats, name, "linkFormats", f.Settings.LinkFormats, checkLinkFormat)
	case "cookie", "trackingCookies3p":
		d.CookieExceptions = append(d.CookieExceptions, hosts...)
		for _, s := range appendSites(l, nil, f.Settings.ExcludedCookieDomains, name+" excludedCookieDomains") {
			d.CookieExcludedHosts = append(d.CookieExcludedHosts, s.domain)
		}
	}
}

// addUnprotected makes sites exceptions to every link feature.
func (c *ddgConfig) addUnprotected(sites []siteNote) {
	d := &c.links
	for _, s := range sites {
		d.HTTPSExceptions = append(d.HTTPSExceptions, s.domain)
		d.ReferrerExceptions = append(d.ReferrerExceptions, s.domain)
		d.ParamExceptions = append(d.ParamExceptions, s.domain)
		d.AMPExceptions = append(d.AMPExceptions, s.domain)
		d.CookieExceptions = append(d.CookieExceptions, s.domain)
	}
}

// appendSettings validates the strings of a feature setting; a bad one is
// skipped and reported.
func appendSettings(l *List, dst []string, feature, key string, raw []json.RawMessage, check func(string) (string, error)) []string {
	for _, r := range raw {
		l.Stats.Lines++
		var s string
		err := json.Unmarshal(r, &s)
		if err == nil {
			s, err = check(s)
		} else {
			err = errors.New("not a string")
		}
		if err != nil {
			l.Stats.Bad++
			path := []string{feature, key}
			if s != "" {
				path = append(path, s)
			}
			l.addError(jsonLine(l.src, path...), feature+" "+key+": "+string(r), fmt.Errorf("%s %s: %w", feature, key, err))
			continue
		}
		dst = append(dst, s)
		l.Stats.Rules++
	}
	return dst
}

// checkParam accepts a query parameter name, or a prefix ending in '*'.
func checkParam(s string) (string, error) {
	if s == "" || s == "*" || strings.ContainsAny(s, "&=# \t\r\n") {
		return "", errors.New("not a parameter name")
	}
	return s, nil
}

// checkKeyword accepts a piece of an address (matched in lower case).
func checkKeyword(s string) (string, error) {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return "", errors.New("not a piece of an address")
	}
	return strings.ToLower(s), nil
}

// checkLinkFormat accepts a regular expression with a group for the page.
func checkLinkFormat(s string) (string, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return "", fmt.Errorf("regular expression: %w", err)
	}
	if re.NumSubexp() < 1 {
		return "", errors.New("regular expression without a group for the page")
	}
	return s, nil
}

// add merges another list's links into d.
func (d *DDGLinks) add(o *DDGLinks) {
	d.HTTPSExceptions = append(d.HTTPSExceptions, o.HTTPSExceptions...)
	d.ReferrerExceptions = append(d.ReferrerExceptions, o.ReferrerExceptions...)
	d.ParamExceptions = append(d.ParamExceptions, o.ParamExceptions...)
	d.AMPExceptions = append(d.AMPExceptions, o.AMPExceptions...)
	d.TrackingParams = append(d.TrackingParams, o.TrackingParams...)
	d.AMPKeywords = append(d.AMPKeywords, o.AMPKeywords...)
	d.AMPLinkFormats = append(d.AMPLinkFormats, o.AMPLinkFormats...)
	d.CookieExceptions = append(d.CookieExceptions, o.CookieExceptions...)
	d.CookieExcludedHosts = append(d.CookieExcludedHosts, o.CookieExcludedHosts...)
}
