// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/url"
	"regexp"
	"strings"

	"polaris/blocklist"
)

// What the lists say about links and connections (DuckDuckGo privacy
// configurations: blocklist.DDGLinks), compiled for the request path when
// the matcher is set and swapped together with it. It adds to the
// HTTPSPolicy: its exceptions exempt sites from one feature each, its
// tracking parameters and AMP keywords and link formats come on top of the
// built-in ones.

// loadedMatcher is a matcher and its link rules, swapped as one.
type loadedMatcher struct {
	m     *blocklist.Matcher
	links *linkRules // nil: the lists say nothing about links
}

// matcher returns the matcher of l, nil when there is none.
func (l *loadedMatcher) matcher() *blocklist.Matcher {
	if l == nil {
		return nil
	}
	return l.m
}

// linkRules returns the link rules of l, nil when there are none.
func (l *loadedMatcher) linkRules() *linkRules {
	if l == nil {
		return nil
	}
	return l.links
}

// linkRules are blocklist.DDGLinks compiled. A nil *linkRules exempts
// nothing and adds nothing. It is immutable and safe for concurrent use.
type linkRules struct {
	https, referrer, params, amp hostSet // exceptions per feature
	cookieSites, cookieHosts     hostSet // pages, and hosts, whose cookies are left alone
	trackingParams               *paramSet
	ampKeywords                  []string
	ampFormats                   []*regexp.Regexp
}

// compileLinks compiles what m says about links, or returns nil. The
// parser validated every entry; one the proxy still cannot use is left out
// (logged through logf).
func compileLinks(m *blocklist.Matcher, logf func(string, ...any)) *linkRules {
	d, ok := m.DDGLinks()
	if !ok {
		return nil
	}
	lr := &linkRules{ampKeywords: d.AMPKeywords}
	for _, x := range []struct {
		set   *hostSet
		hosts []string
	}{{&lr.https, d.HTTPSExceptions}, {&lr.referrer, d.ReferrerExceptions}, {&lr.params, d.ParamExceptions}, {&lr.amp, d.AMPExceptions},
		{&lr.cookieSites, d.CookieExceptions}, {&lr.cookieHosts, d.CookieExcludedHosts}} {
		for _, h := range x.hosts {
			if err := x.set.add(h); err != nil {
				logf("list exception %q left out: %v", h, err)
			}
		}
	}
	if len(d.TrackingParams) > 0 {
		ps, err := newParamSet(d.TrackingParams)
		if err != nil {
			logf("tracking parameters of the lists left out: %v", err)
		}
		lr.trackingParams = ps
	}
	for _, f := range d.AMPLinkFormats {
		re, err := regexp.Compile(f)
		if err != nil || re.NumSubexp() < 1 {
			logf("AMP link format %q left out", f)
			continue
		}
		lr.ampFormats = append(lr.ampFormats, re)
	}
	return lr
}

// exempt reports whether a request to host from site, with a Referer from
// referrer ("" for none), is in set: the feature is off for it.
func exemptIn(set *hostSet, host, site, referrer string) bool {
	return set.match(host) || (site != "" && site != host && set.match(site)) ||
		(referrer != "" && referrer != host && set.match(referrer))
}

// upgradeExempt reports whether the lists keep host (from site) on plain HTTP.
func (lr *linkRules) upgradeExempt(host, site string) bool {
	return lr != nil && exemptIn(&lr.https, host, site, "")
}

// referrerExempt reports whether the lists keep the Referer as it is.
func (lr *linkRules) referrerExempt(host, site, referrer string) bool {
	return lr != nil && exemptIn(&lr.referrer, host, site, referrer)
}

// paramsExempt reports whether the lists keep the parameters of links.
func (lr *linkRules) paramsExempt(host, site, referrer string) bool {
	return lr != nil && exemptIn(&lr.params, host, site, referrer)
}

// ampExempt reports whether the lists keep AMP links as they are.
func (lr *linkRules) ampExempt(host, site, referrer string) bool {
	return lr != nil && exemptIn(&lr.amp, host, site, referrer)
}

// cookieExempt reports whether the lists keep the cookies of a request to
// host from a page of site: the page's site is an exception to cookie
// protection, or the host's cookies are excluded from it.
func (lr *linkRules) cookieExempt(host, site string) bool {
	return lr != nil && (lr.cookieHosts.match(host) || lr.cookieSites.match(site))
}

// stripParams removes the lists' tracking parameters from a raw query.
func (lr *linkRules) stripParams(rawQuery string) (string, bool) {
	if lr == nil {
		return rawQuery, false
	}
	return lr.trackingParams.strip(rawQuery)
}

// ampTarget is ampTarget with the lists' link formats as well.
func (lr *linkRules) ampTarget(u *url.URL) string {
	if t := ampTarget(u); t != "" || lr == nil {
		return t
	}
	s := u.String()
	for _, re := range lr.ampFormats {
		m := re.FindStringSubmatch(s)
		if m == nil || m[1] == "" {
			continue
		}
		target := m[1]
		if !strings.Contains(target, "://") {
			target = "https://" + target
		}
		t, err := url.Parse(target)
		if err != nil || (t.Scheme != "http" && t.Scheme != "https") || t.Host == "" || t.User != nil ||
			!validHostPattern(normHost(t.Hostname())) || !strings.Contains(t.Hostname(), ".") {
			continue
		}
		return t.String()
	}
	return ""
}

// keywords are the AMP keywords of the lists.
func (lr *linkRules) keywords() []string {
	if lr == nil {
		return nil
	}
	return lr.ampKeywords
}
