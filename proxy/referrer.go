// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"net/url"
	"strings"

	"polaris/blocklist"
)

// Referer cleaning. A request to another site carries at most the origin
// of the page it comes from ("https://news.example/"), never its path and
// query; a Referer from a search engine to another site is always cut this
// way, so search terms never leave the engine. "Another site" means another
// registrable domain that does not belong to the same owner
// (HTTPSPolicy.SameOwner). An absent or already shorter Referer is never
// expanded.

// trimReferrer applies the Referer rules to r in place.
func (st *httpsState) trimReferrer(r *http.Request, info *requestInfo) {
	ref, u, refHost := info.referer, info.refURL, info.refHost
	if u == nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return
	}
	if refHost == info.host {
		return // same host, same site
	}
	search := isSearchEngine(refHost)
	if !search && !st.pol.TrimReferrer {
		return
	}
	refSite, reqSite := blocklist.Site(refHost), blocklist.Site(info.host)
	if refSite == reqSite {
		return
	}
	if !search && st.sameOwner(info, refSite, reqSite) {
		return
	}
	origin := u.Scheme + "://" + u.Host + "/"
	if ref != origin {
		r.Header["Referer"] = []string{origin}
	}
}

// sameOwner reports whether two sites belong to one owner: as
// HTTPSPolicy.SameOwner says when it is set, else as the entity maps of the
// matcher of the request's own state say (blocking.owner-parties).
func (st *httpsState) sameOwner(info *requestInfo, a, b string) bool {
	if st.pol.SameOwner != nil {
		return st.pol.SameOwner(a, b)
	}
	if info.st == nil {
		return false
	}
	m := info.st.matcher.matcher()
	return m != nil && m.SameParty(a, b)
}

// refererHostOf is the host of r's Referer: from its record, parsed once,
// else parsed now.
func refererHostOf(r *http.Request) string {
	if info := recordOf(r); info != nil {
		return info.refHost
	}
	return refererHost(r)
}

// refererHost is the host of r's Referer, lower case, or "".
func refererHost(r *http.Request) string {
	ref := r.Header.Get("Referer")
	if ref == "" {
		return ""
	}
	return normHost(urlHost(ref))
}

// originOf returns "scheme://host/" of a URL, or "" if it has none.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host + "/"
}

// Search results pages. Trimming the Referer header is not enough: a page
// that asks browsers for full referrers (Referrer-Policy: unsafe-url or
// no-referrer-when-downgrade) hands its address, search terms included, to
// the next site's document.referrer. So a search engine's answer that
// Polaris sees (plain HTTP, filtered HTTPS) and whose policy would leak gets
// strict-origin-when-cross-origin, the browsers' own default: another site
// sees the engine's origin at most. A policy the page sets in its HTML (a
// <meta name="referrer"> tag, a link's referrerpolicy attribute) and pages
// in tunnels Polaris does not open are out of its reach (docs/HTTPS.md).

// leakyReferrerPolicies send a page's full address to other sites.
var leakyReferrerPolicies = map[string]bool{"unsafe-url": true, "no-referrer-when-downgrade": true}

// knownReferrerPolicies are the tokens browsers understand; the last one
// of a list wins.
var knownReferrerPolicies = map[string]bool{
	"no-referrer": true, "no-referrer-when-downgrade": true, "same-origin": true, "origin": true,
	"strict-origin": true, "origin-when-cross-origin": true, "strict-origin-when-cross-origin": true, "unsafe-url": true,
}

// tightenSearchReferrer sets a strict Referrer-Policy on a search engine's
// answer whose own policy is missing or would leak its address.
func (p *Proxy) tightenSearchReferrer(resp *http.Response, req *http.Request) {
	host := normHost(req.URL.Hostname())
	state := p.stateOf(req)
	if !isSearchEngine(host) || !state.policy.Protection || state.https.exempt(host, "") {
		return
	}
	effective := ""
	for _, v := range resp.Header.Values("Referrer-Policy") {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.ToLower(strings.TrimSpace(tok)); knownReferrerPolicies[tok] {
				effective = tok
			}
		}
	}
	if effective == "" || leakyReferrerPolicies[effective] {
		resp.Header.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	}
}
