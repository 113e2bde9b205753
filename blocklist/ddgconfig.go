// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// DuckDuckGo privacy-configuration: the parts that decide requests.
//   - requestBlocklist.settings.blockedRequests{eTLD+1:{rules[{rule, domains, reason}]}}:
//     block requests (not page loads) matching "host/path" prefix patterns
//     with '*' wildcards, on the listed sites or "<all>".
//   - trackerAllowlist.settings.allowlistedTrackers{eTLD+1:{rules[{rule, domains}]}}:
//     let matching tracker requests through on the listed sites.
//   - contentBlocking.exceptions and unprotectedTemporary: sites where the
//     DuckDuckGo rules do not apply; requestBlocklist.exceptions likewise
//     for the request blocklist alone.
// These apply to the DuckDuckGo lists (TDS and request blocklist), whose
// breakage they exist to fix, not to Adblock Plus lists. The features about
// links and connections (https, referrer, trackingParameters, ampLinks)
// are read by ddglinks.go.

type ddgConfig struct {
	siteExc []siteNote // protections off (contentBlocking exceptions, unprotectedTemporary)
	rbExc   []siteNote // request blocklist off
	blocked map[string][]rbRule
	allowed map[string][]taRule
	links   DDGLinks
}

type siteNote struct{ domain, text string }

type rbRule struct {
	text    string // the rule as written
	pattern []byte // lower-case host, '*' wildcards
	all     bool
	domains []string
	list    uint16
	cat     uint8
}

type taRule struct {
	text    string
	re      *regexp.Regexp
	lit     []byte // prefilter
	all     bool
	domains []string
	list    uint16
}

type featureJSON struct {
	Meta struct {
		Description string `json:"description"`
	} `json:"_meta"`
	State      string          `json:"state"`
	Exceptions []exceptionJSON `json:"exceptions"`
	Settings   struct {
		BlockedRequests     map[string]ruleSetJSON `json:"blockedRequests"`
		AllowlistedTrackers map[string]ruleSetJSON `json:"allowlistedTrackers"`
		Parameters          []json.RawMessage      `json:"parameters"`  // trackingParameters
		Keywords            []json.RawMessage      `json:"keywords"`    // ampLinks
		LinkFormats         []json.RawMessage      `json:"linkFormats"` // ampLinks
		// cookie, trackingCookies3p
		ExcludedCookieDomains []exceptionJSON `json:"excludedCookieDomains"`
	} `json:"settings"`
}

type exceptionJSON struct {
	Domain string `json:"domain"`
	Reason any    `json:"reason"`
}

type ruleSetJSON struct {
	Rules []map[string]json.RawMessage `json:"rules"`
}

func parseDDGConfig(l *List, text string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		return fmt.Errorf("privacy configuration: %w", jsonError(text, err))
	}
	c := &ddgConfig{blocked: map[string][]rbRule{}, allowed: map[string][]taRule{}}
	if raw, ok := top["features"]; ok {
		var features map[string]featureJSON
		if err := json.Unmarshal(raw, &features); err != nil {
			return fmt.Errorf("privacy configuration features: %w", err)
		}
		names := make([]string, 0, len(features))
		for n := range features {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c.addFeature(l, n, features[n])
		}
		var unprotected []exceptionJSON
		if raw, ok := top["unprotectedTemporary"]; ok && json.Unmarshal(raw, &unprotected) == nil {
			n := len(c.siteExc)
			c.siteExc = appendSites(l, c.siteExc, unprotected, "unprotectedTemporary")
			c.addUnprotected(c.siteExc[n:])
		}
	} else {
		var f featureJSON
		if err := json.Unmarshal([]byte(text), &f); err != nil {
			return fmt.Errorf("privacy configuration feature: %w", jsonError(text, err))
		}
		switch {
		case f.Settings.BlockedRequests != nil:
			c.addFeature(l, "requestBlocklist", f)
		case f.Settings.AllowlistedTrackers != nil:
			c.addFeature(l, "trackerAllowlist", f)
		case strings.HasPrefix(f.Meta.Description, "Content blocking"):
			c.addFeature(l, "contentBlocking", f)
		case strings.HasPrefix(f.Meta.Description, "Https upgrading"):
			c.addFeature(l, "https", f)
		case strings.HasPrefix(f.Meta.Description, "Trimming of referrer"):
			c.addFeature(l, "referrer", f)
		case f.Settings.Parameters != nil:
			c.addFeature(l, "trackingParameters", f)
		case f.Settings.Keywords != nil || f.Settings.LinkFormats != nil:
			c.addFeature(l, "ampLinks", f)
		case f.Settings.ExcludedCookieDomains != nil:
			c.addFeature(l, "cookie", f)
		default:
			return errors.New("privacy configuration feature: not one Polaris reads (requestBlocklist, trackerAllowlist, contentBlocking, https, referrer, trackingParameters, ampLinks, cookie); load the full configuration")
		}
	}
	l.ddg = c
	return nil
}

func (c *ddgConfig) addFeature(l *List, name string, f featureJSON) {
	if f.State != "" && f.State != "enabled" {
		return
	}
	if linkFeatures[name] {
		c.addLinks(l, name, f)
		return
	}
	switch name {
	case "contentBlocking":
		c.siteExc = appendSites(l, c.siteExc, f.Exceptions, "contentBlocking exception")
	case "requestBlocklist":
		c.rbExc = appendSites(l, c.rbExc, f.Exceptions, "requestBlocklist exception")
		for _, key := range sortedKeys(f.Settings.BlockedRequests) {
			for _, raw := range f.Settings.BlockedRequests[key].Rules {
				l.Stats.Lines++
				r, err := parseRBRule(key, raw)
				if err != nil {
					l.Stats.Bad++
					l.addError(jsonLine(l.src, name, key, rawString(raw["rule"])), key+": "+string(raw["rule"]), err)
					continue
				}
				c.blocked[key] = append(c.blocked[key], r)
				l.Stats.Rules++
			}
		}
	case "trackerAllowlist":
		for _, key := range sortedKeys(f.Settings.AllowlistedTrackers) {
			for _, raw := range f.Settings.AllowlistedTrackers[key].Rules {
				l.Stats.Lines++
				r, err := parseTARule(key, raw)
				if err != nil {
					l.Stats.Bad++
					l.addError(jsonLine(l.src, name, key, rawString(raw["rule"])), key+": "+string(raw["rule"]), err)
					continue
				}
				c.allowed[key] = append(c.allowed[key], r)
				l.Stats.Rules++
				l.Stats.Exceptions++
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func appendSites(l *List, dst []siteNote, exc []exceptionJSON, what string) []siteNote {
	for _, e := range exc {
		l.Stats.Lines++
		d := strings.ToLower(strings.TrimSpace(e.Domain))
		if !isHostname(d) && !isIP(d) && d != "localhost" {
			l.Stats.Bad++
			l.addError(jsonLine(l.src, what, e.Domain), e.Domain, fmt.Errorf("%s: not a host name", what))
			continue
		}
		dst = append(dst, siteNote{domain: d, text: what + ": " + d})
		l.Stats.Rules++
		l.Stats.Exceptions++
	}
	return dst
}

// ruleFields reads the rule and domains of a configuration rule, rejecting
// unknown properties (DuckDuckGo ignores such rules).
func ruleFields(raw map[string]json.RawMessage) (rule string, domains []string, all bool, err error) {
	for k := range raw {
		switch k {
		case "rule", "domains", "reason":
		default:
			return "", nil, false, fmt.Errorf("unknown property %q: rule ignored", k)
		}
	}
	if err := json.Unmarshal(raw["rule"], &rule); err != nil || rule == "" {
		return "", nil, false, errors.New(`missing or bad "rule"`)
	}
	d, ok := raw["domains"]
	if !ok || json.Unmarshal(d, &domains) != nil || len(domains) == 0 {
		return "", nil, false, errors.New(`missing or bad "domains"`)
	}
	for i, dom := range domains {
		if dom == "<all>" {
			all = true
		}
		domains[i] = strings.ToLower(dom)
	}
	return rule, domains, all, nil
}

// parseRBRule validates one requestBlocklist rule filed under key.
func parseRBRule(key string, raw map[string]json.RawMessage) (rbRule, error) {
	rule, domains, all, err := ruleFields(raw)
	if err != nil {
		return rbRule{}, err
	}
	if key != registrable(strings.ToLower(key)) {
		return rbRule{}, fmt.Errorf("entry %q is not a registrable domain: ignored", key)
	}
	if strings.ContainsAny(rule, "|^\\ \t") || strings.Contains(rule, "://") {
		return rbRule{}, errors.New("not a request blocklist rule (regular expression or adblock syntax)")
	}
	host, rest, _ := strings.Cut(rule, "/")
	pattern := strings.ToLower(host)
	if rest != "" || strings.HasSuffix(rule, "/") {
		pattern += "/" + rest
	}
	return rbRule{text: rule, pattern: []byte(pattern), all: all, domains: domains}, nil
}

// parseTARule validates one trackerAllowlist rule (a regular expression on
// the URL without query, as DuckDuckGo's clients apply it).
func parseTARule(key string, raw map[string]json.RawMessage) (taRule, error) {
	rule, domains, all, err := ruleFields(raw)
	if err != nil {
		return taRule{}, err
	}
	re, err := compileLower(rule)
	if err != nil {
		return taRule{}, fmt.Errorf("regular expression: %w", err)
	}
	return taRule{text: key + ": " + rule, re: re, lit: []byte(requiredLiteral(rule)), all: all, domains: domains}, nil
}

// ddgRules are the privacy-configuration rules of all compiled lists.
type ddgRules struct {
	siteExc map[string]siteRef
	rbExc   map[string]siteRef
	blocked map[string][]rbRule
	allowed map[string][]taRule
	links   *DDGLinks // nil: no list says anything about links
}

type siteRef struct {
	text string
	list uint16
}

func (d *ddgRules) add(c *ddgConfig, list uint16, cat uint8) {
	if d.blocked == nil {
		d.siteExc, d.rbExc = map[string]siteRef{}, map[string]siteRef{}
		d.blocked, d.allowed = map[string][]rbRule{}, map[string][]taRule{}
	}
	for _, s := range c.siteExc {
		d.siteExc[s.domain] = siteRef{s.text, list}
	}
	for _, s := range c.rbExc {
		d.rbExc[s.domain] = siteRef{s.text, list}
	}
	for k, rules := range c.blocked {
		for _, r := range rules {
			r.list, r.cat = list, cat
			d.blocked[k] = append(d.blocked[k], r)
		}
	}
	for k, rules := range c.allowed {
		for _, r := range rules {
			r.list = list
			d.allowed[k] = append(d.allowed[k], r)
		}
	}
	if !c.links.empty() {
		if d.links == nil {
			d.links = &DDGLinks{}
		}
		d.links.add(&c.links)
	}
}

// siteIn finds site (or a parent domain of it) in m.
func siteIn(m map[string]siteRef, site string) (siteRef, bool) {
	for h := site; h != "" && len(m) > 0; {
		if r, ok := m[h]; ok {
			return r, true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return siteRef{}, false
}

func domainsMatch(all bool, domains []string, site string) bool {
	if all {
		return true
	}
	for _, d := range domains {
		if hostWithin(site, d) {
			return true
		}
	}
	return false
}
