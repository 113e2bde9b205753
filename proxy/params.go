// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"fmt"
	"net/url"
	"strings"

	"polaris/assets"
	"polaris/blocklist"
)

// Link cleaning: tracking parameters and AMP viewer links.

// paramSet matches query parameter names: exact, case-sensitive names, and
// prefixes (a pattern ending in "*"). It is immutable and safe for
// concurrent use.
type paramSet struct {
	exact    map[string]struct{}
	prefixes []string
}

// newParamSet builds a set from names; a name with characters that cannot
// appear unescaped in a query name ('&', '=', '#', space) is an error.
func newParamSet(names []string) (*paramSet, error) {
	s := &paramSet{exact: map[string]struct{}{}}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || n == "*" || strings.ContainsAny(n, "&=# \t") {
			return nil, fmt.Errorf("parameter name %q: want a name such as utm_source or utm_*", n)
		}
		if p, ok := strings.CutSuffix(n, "*"); ok {
			s.prefixes = append(s.prefixes, p)
			continue
		}
		s.exact[n] = struct{}{}
	}
	return s, nil
}

var builtinParams = func() *paramSet {
	list, err := readList(assets.HTTPS, "https/tracking-params.txt")
	if err != nil {
		panic(err)
	}
	s, err := newParamSet(list)
	if err != nil {
		panic(fmt.Sprintf("https/tracking-params.txt: %v", err))
	}
	return s
}()

// has reports whether name is a tracking parameter.
func (s *paramSet) has(name string) bool {
	if _, ok := s.exact[name]; ok {
		return true
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// strip removes tracking parameters from a raw query (without '?'). Every
// other parameter is kept exactly as it was: same order, same encoding,
// duplicates and all. A parameter is tracking if its name, as written or
// percent-decoded, is in the set, with or without a value.
func (s *paramSet) strip(rawQuery string) (string, bool) {
	if rawQuery == "" || s == nil {
		return rawQuery, false
	}
	parts := strings.Split(rawQuery, "&")
	kept := parts[:0:0]
	for _, part := range parts {
		name, _, _ := strings.Cut(part, "=")
		if name != "" && s.tracking(name) {
			continue
		}
		kept = append(kept, part)
	}
	if len(kept) == len(parts) {
		return rawQuery, false
	}
	return strings.Join(kept, "&"), true
}

func (s *paramSet) tracking(name string) bool {
	if s.has(name) {
		return true
	}
	if strings.ContainsAny(name, "%+") {
		if dec, err := url.QueryUnescape(name); err == nil && dec != name {
			return s.has(dec)
		}
	}
	return false
}

// ampTarget returns the address of the page an AMP viewer link wraps, or
// "" when u is no such link:
//
//	https://www.google.<tld>/amp/s/example.com/a   -> https://example.com/a
//	https://www.google.<tld>/amp/example.com/a     -> http://example.com/a
//	https://<name>.cdn.ampproject.org/{c,v}/s/example.com/a -> https://example.com/a
//
// The query of the viewer link belongs to the page and is kept.
func ampTarget(u *url.URL) string {
	host := normHost(u.Hostname())
	path := u.EscapedPath()
	var rest string
	switch {
	case isGoogleHost(host) && strings.HasPrefix(path, "/amp/"):
		rest = path[len("/amp/"):]
	case strings.HasSuffix(host, ".ampproject.org") && (strings.HasPrefix(path, "/c/") || strings.HasPrefix(path, "/v/")):
		rest = path[len("/c/"):]
	default:
		return ""
	}
	scheme := "http"
	if r, ok := strings.CutPrefix(rest, "s/"); ok {
		scheme, rest = "https", r
	}
	t, err := url.Parse(scheme + "://" + rest)
	if err != nil || t.Host == "" || t.User != nil || !validHostPattern(normHost(t.Hostname())) || !strings.Contains(t.Hostname(), ".") {
		return ""
	}
	if u.RawQuery != "" {
		t.RawQuery = u.RawQuery
	}
	return t.String()
}

// isGoogleHost reports whether host is google.<suffix> or www.google.<suffix>.
func isGoogleHost(host string) bool {
	h := strings.TrimPrefix(host, "www.")
	if !strings.HasPrefix(h, "google.") {
		return false
	}
	d := blocklist.Site(h)
	return d == h && searchEngines.match(h)
}

// ampKeywords mark addresses that are probably AMP pages (amp.example.com,
// /amp/, .amp, ?amp, amp=1, ...).
var ampKeywords = []string{"=amp", "amp=", "&amp", "amp&", "/amp", "amp/", ".amp", "amp.", "%amp", "amp%", "_amp", "amp_", "?amp"}

// isAMPCandidate reports whether u looks like an AMP page (by its address
// alone: the built-in keywords and those of the lists), unless its site is
// in exempt or excepted by the lists.
func isAMPCandidate(u *url.URL, exempt *hostSet, links *linkRules) bool {
	host := normHost(u.Hostname())
	if (exempt != nil && exempt.match(host)) || links.ampExempt(host, "", "") {
		return false
	}
	s := strings.ToLower(u.Host + u.EscapedPath())
	if u.RawQuery != "" {
		s += "?" + strings.ToLower(u.RawQuery)
	}
	for _, k := range ampKeywords {
		if strings.Contains(s, k) {
			return true
		}
	}
	for _, k := range links.keywords() {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}
