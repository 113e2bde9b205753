// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"time"

	"github.com/elazarl/goproxy"

	"polaris/blocklist"
	"polaris/internal/settings"
)

// Stealth: what the trackers a page still reaches do not get. On the way
// out a request loses, as Policy.Stealth says and per-site exceptions
// allow: Chrome's X-Client-Data (to any site); and, to another site than
// the page's, the cookies of known trackers (or of every other site), the
// cache validators that trackers use as identifiers, the credentials a
// browser attaches by itself, and the high-entropy client hints. On the way
// back the answer loses the matching Set-Cookie, ETag/Last-Modified and
// Accept-CH/Critical-CH, and the cookies it keeps get their lifetime capped.
// The User-Agent is never changed: one that disagrees with what the page's
// JavaScript reads is itself a fingerprint.
//
// "Another site" is another registrable domain than the page's (from
// Origin or Referer; Sec-Fetch-Site "cross-site" when neither says),
// whatever their owners: sites of one owner load each other's resources
// (owner awareness) but do not get each other's cookies. A top-level page
// load is its own site. Requests inside an HTTPS tunnel that is not
// intercepted are out of reach.

// High-entropy client hints (User-Agent Client Hints): the exact browser
// version, the OS version, the device model, the CPU. The low-entropy ones
// (brand, mobile, platform) stay: every request carries them anyway.
var highEntropyHints = []string{
	"Sec-Ch-Ua-Full-Version-List",
	"Sec-Ch-Ua-Full-Version", // the deprecated single form
	"Sec-Ch-Ua-Platform-Version",
	"Sec-Ch-Ua-Model",
	"Sec-Ch-Ua-Arch",
	"Sec-Ch-Ua-Bitness",
	"Sec-Ch-Ua-Wow64",
	"Sec-Ch-Ua-Form-Factors",
}

// stealthRules is Policy.Stealth compiled for the request path.
type stealthRules struct {
	s settings.Stealth
	// off are the sites excepted from each feature, by feature bit.
	off []featureSet
	// authPairs are the site>host pairs that keep Authorization.
	authPairs []authPair
	// noScript are the sites whose pages run no JavaScript.
	noScript hostSet
}

type featureSet struct {
	f     settings.Feature
	sites hostSet
}

type authPair struct{ site, host hostSet }

// compileStealth compiles s. Patterns were validated by settings; one the
// proxy cannot use is left out.
func compileStealth(s settings.Stealth) stealthRules {
	sr := stealthRules{s: s}
	for _, f := range settings.Features() {
		var fs featureSet
		fs.f = f
		for _, e := range s.Exceptions {
			if e.Off&f != 0 {
				_ = fs.sites.add(e.Site)
			}
		}
		if !fs.sites.empty() {
			sr.off = append(sr.off, fs)
		}
	}
	for _, p := range s.NoScript {
		_ = sr.noScript.add(p)
	}
	for _, p := range s.AuthorizationAllowed {
		site, host, ok := cutPair(p)
		if !ok {
			continue
		}
		var a authPair
		if a.site.add(site) == nil && a.host.add(host) == nil {
			sr.authPairs = append(sr.authPairs, a)
		}
	}
	return sr
}

func cutPair(p string) (string, string, bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == '>' {
			return p[:i], p[i+1:], true
		}
	}
	return "", "", false
}

// excepted returns the features turned off for a request to host from a
// page of site (host names, lower case).
func (sr *stealthRules) excepted(host, site string) settings.Feature {
	var off settings.Feature
	for i := range sr.off {
		fs := &sr.off[i]
		if fs.sites.match(host) || (site != host && fs.sites.match(site)) {
			off |= fs.f
		}
	}
	return off
}

// authAllowed reports whether the user lets pages of site send
// Authorization to host.
func (sr *stealthRules) authAllowed(host, site string) bool {
	for i := range sr.authPairs {
		if sr.authPairs[i].site.match(site) && sr.authPairs[i].host.match(host) {
			return true
		}
	}
	return false
}

// stealthPlan is what to do to the answer of a request, decided with the
// request and carried to the response hook in goproxy's ProxyCtx.UserData.
type stealthPlan struct {
	dropSetCookie  bool
	dropValidators bool // ETag, Last-Modified
	dropAcceptCH   bool
	cookieCap      time.Duration // 0: none
	csp            []string      // policies to add to a page or frame ($csp, no JavaScript)
}

// thirdParty reports whether a request goes to another site than the
// page it comes from (see the package comment above).
func (info *requestInfo) thirdParty(r *http.Request) bool {
	if info.navigation {
		return false
	}
	if info.site != info.host {
		// The host is of the page's site when it is its registrable
		// domain or under it; no public-suffix lookup for the host.
		d := info.siteDomain()
		return info.host != d && !(len(info.host) > len(d) && info.host[len(info.host)-len(d)-1] == '.' && info.host[len(info.host)-len(d):] == d)
	}
	// No Origin or Referer named a page: the browser may still say.
	return header(r.Header, "Sec-Fetch-Site") == "cross-site"
}

// applyStealth removes from r what its destination must not get, and
// leaves in ctx what its answer must lose. It runs last on the request path,
// on a request the proxy forwards.
func (p *Proxy) applyStealth(r *http.Request, pol *Policy, info *requestInfo, ctx *goproxy.ProxyCtx) {
	sr := &pol.stealth
	if !pol.Protection {
		return
	}
	state := p.stateFor(info)
	st := state.https
	if st.exempt(info.host, info.site) {
		return // the user's allowlist: protections off on this site
	}
	var plan stealthPlan
	plan.csp = p.pagePolicies(r, sr, info)
	if !sr.any() {
		if plan.csp != nil {
			ctx.UserData = &plan
		}
		return
	}
	off := sr.excepted(info.host, info.site)
	h := r.Header
	if sr.s.ClientData && off&settings.FeatureClientData == 0 {
		delete(h, "X-Client-Data")
	}
	if info.thirdParty(r) {
		csp := plan.csp
		plan = sr.thirdParty(h, info, off, state.matcher.linkRules())
		plan.csp = csp
	} else if sr.s.FirstPartyCookieMaxAge > 0 && off&settings.FeatureCookies == 0 {
		plan.cookieCap = sr.s.FirstPartyCookieMaxAge
	}
	if plan.dropSetCookie || plan.dropValidators || plan.dropAcceptCH || plan.cookieCap > 0 || plan.csp != nil {
		ctx.UserData = &plan
	}
}

// noScriptPolicy is the policy that stops a page's JavaScript.
const noScriptPolicy = "script-src 'none'"

// pagePolicies returns the Content-Security-Policies to add to the answer
// of a page or frame load: the lists' $csp rules and, for a site the user
// runs without JavaScript, script-src 'none'. A policy added to an answer
// only restricts it: the browser enforces every policy it gets.
func (p *Proxy) pagePolicies(r *http.Request, sr *stealthRules, info *requestInfo) []string {
	typ := requestType(r, info.navigation)
	if typ != blocklist.TypeDocument && typ != blocklist.TypeSubdocument {
		return nil
	}
	var out []string
	if m := p.stateFor(info).matcher.matcher(); m.HasCSP() {
		req := p.blk.reqs.Get().(*blocklist.Request)
		req.Reset(requestURL(r), sourceURL(r, typ), typ)
		out = m.CSP(req)
		p.blk.reqs.Put(req)
	}
	if sr.noScript.match(info.host) {
		out = append(out, noScriptPolicy)
	}
	return out
}

// any reports whether any stealth feature is on.
func (sr *stealthRules) any() bool {
	s := &sr.s
	return len(s.NoScript) > 0 || s.TrackerCookies || s.ThirdPartyCookies || s.ThirdPartyCookieMaxAge > 0 || s.FirstPartyCookieMaxAge > 0 ||
		s.ClientData || s.CacheID || s.Authorization || s.ClientHints
}

// thirdParty hardens the headers h of a request to another site and
// returns the plan for its answer.
func (sr *stealthRules) thirdParty(h http.Header, info *requestInfo, off settings.Feature, links *linkRules) stealthPlan {
	var plan stealthPlan
	if sr.s.CacheID && off&settings.FeatureCacheID == 0 {
		delete(h, "If-None-Match")
		delete(h, "If-Modified-Since")
		plan.dropValidators = true
	}
	if sr.s.ClientHints && off&settings.FeatureClientHints == 0 {
		for _, name := range highEntropyHints {
			delete(h, name)
		}
		plan.dropAcceptCH = true
	}
	if sr.s.Authorization && off&settings.FeatureAuthorization == 0 && len(h["Authorization"]) > 0 &&
		attachedCredentials(h, info.tracker) && !sr.authAllowed(info.host, info.site) {
		delete(h, "Authorization")
	}
	if off&settings.FeatureCookies != 0 || links.cookieExempt(info.host, info.site) {
		return plan
	}
	if sr.s.ThirdPartyCookies || (sr.s.TrackerCookies && info.tracker) {
		delete(h, "Cookie")
		plan.dropSetCookie = true
	} else if sr.s.ThirdPartyCookieMaxAge > 0 {
		plan.cookieCap = sr.s.ThirdPartyCookieMaxAge
	}
	return plan
}

// attachedCredentials reports whether the Authorization of a request to
// another site is one the browser attached by itself (HTTP authentication
// it remembers, which a tracker can use as a cookie) rather than one a
// page's script set for a service it calls: every request to a known
// tracker, and every request that is not a script's fetch (an image, a
// script, a frame: Sec-Fetch-Mode no-cors or navigate). Without
// Sec-Fetch-Mode (plain HTTP) only trackers lose it.
func attachedCredentials(h http.Header, tracker bool) bool {
	if tracker {
		return true
	}
	switch header(h, "Sec-Fetch-Mode") {
	case "no-cors", "navigate", "nested-navigate":
		return true
	}
	return false
}

// applyStealthResponse carries out the plan made for the request of resp.
func applyStealthResponse(resp *http.Response, ctx *goproxy.ProxyCtx, now time.Time) {
	plan, ok := ctx.UserData.(*stealthPlan)
	if !ok {
		return
	}
	h := resp.Header
	for _, c := range plan.csp {
		h.Add("Content-Security-Policy", c)
	}
	if plan.dropValidators {
		delete(h, "Etag")
		delete(h, "Last-Modified")
	}
	if plan.dropAcceptCH {
		delete(h, "Accept-Ch")
		delete(h, "Critical-Ch")
	}
	switch {
	case plan.dropSetCookie:
		delete(h, "Set-Cookie")
	case plan.cookieCap > 0:
		for i, v := range h["Set-Cookie"] {
			if c, changed := capSetCookie(v, plan.cookieCap, now); changed {
				h["Set-Cookie"][i] = c
			}
		}
	}
}
