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
