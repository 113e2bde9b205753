// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
)

// HTTPSPolicy is what the proxy does about HTTPS, referrers and links. The
// zero value intercepts nothing, upgrades nothing and cleans nothing. Set it
// with (*Proxy).SetHTTPSPolicy; it must not be changed after it is set.
//
// Cleaning (Referer trimming, tracking parameters, AMP) happens only while
// Policy.Protection is on; upgrades to HTTPS do not depend on it.
type HTTPSPolicy struct {
	// Filter intercepts CONNECT tunnels with certificates from
	// Config.TLSConfigForHost, so that everything the proxy does to HTTP
	// applies inside HTTPS too. Hosts excluded below, and every host while
	// Protection is off or no TLSConfigForHost is set, are tunnelled
	// untouched.
	Filter bool
	// Exclusions are the user's host patterns never intercepted
	// ("example.com" with its subdomains, "*.example.com").
	Exclusions []string
	// DefaultExclusions adds the built-in list of banking, payment, health
	// and government sites (assets/https/exclusions.txt).
	DefaultExclusions bool
	// PassThrough are hosts tunnelled untouched because a client rejected
	// Polaris's certificate for them (certificate pinning). An entry is a
	// host, for every client (as older versions stored them), or a host and
	// the kind of client that pins it, separated by a tab
	// (CertRejection.Entry): for that kind of client alone. What the proxy
	// learns is in force at once, whatever the policy lists.
	PassThrough []string

	// SearchEngines answers plain-HTTP requests to search engines
	// (assets/https/search-engines.txt) with a redirect to HTTPS.
	SearchEngines bool
	// KnownHTTPS, if set, names further hosts known to serve HTTPS; their
	// plain-HTTP requests are redirected like search engines'. It is called
	// on the request path and must be fast and safe for concurrent use.
	KnownHTTPS func(host string) bool
	// First is HTTPS-first: plain-HTTP navigations to any other site are
	// upgraded once a verified TLS handshake with the site succeeds through
	// the current route; when it fails the user gets a warning page and
	// decides (the choice lasts until Polaris restarts).
	First bool

	// TrimReferrer cuts a cross-site Referer to its origin. A Referer from
	// a search engine to another site is always cut (search terms never
	// leave the engine), whatever this says.
	TrimReferrer bool
	// SameOwner, if set, reports whether two different registrable domains
	// belong to one owner (e.g. from a tracker entity map); such sites keep
	// full referrers between them. nil: the matcher of the same state
	// decides (Matcher.SameParty: its entity maps, with
	// blocklist.Options.OwnerParties). It is called on the request path and
	// must be fast and safe for concurrent use.
	SameOwner func(a, b string) bool
	// StripParams removes tracking parameters from navigations and unwraps
	// AMP viewer links (google.*/amp/s/..., *.ampproject.org/v/s/...), by
	// redirecting to the cleaned address.
	StripParams bool
	// SkipRedirectors sends a page load of a known redirector (a click
	// tracker such as google.com/url?q=...) straight to its destination;
	// it works with StripParams.
	SkipRedirectors bool
	// TrackingParams are the parameter names removed (exact; a trailing "*"
	// is a prefix); nil uses the built-in list (assets/https/tracking-params.txt).
	// Parameters named by the matcher's lists (Matcher.DDGLinks) are
	// removed as well.
	TrackingParams []string

	// Unprotected are site patterns where none of the above changes
	// anything: no upgrade, no Referer trimming, no parameter stripping (the
	// user's allowlist of broken sites). A request is exempt when its host
	// or the site it comes from matches. The matcher's lists may add
	// exceptions to single features (Matcher.DDGLinks: see SetMatcher).
	Unprotected []string

	// CheckSites fetches, once per session and without cookies, what the
	// first-party sites the user visits publish about DNT and GPC
	// (/.well-known/dnt/, gpc.json, dnt-policy.txt), and reports it through
	// Config.OnSiteChecked.
	CheckSites bool
}

// httpsState is an HTTPSPolicy compiled for the request path.
type httpsState struct {
	pol         HTTPSPolicy
	exclusions  hostSet
	passThrough map[string]struct{}
	passFor     map[clientID]map[string]struct{} // hosts passed through for one kind of client
	unprotected hostSet
	params      *paramSet
}

func compileHTTPS(pol HTTPSPolicy) (*httpsState, error) {
	st := &httpsState{pol: pol, passThrough: map[string]struct{}{}}
	var err error
	if st.exclusions, err = newHostSet(pol.Exclusions); err != nil {
		return nil, fmt.Errorf("HTTPS exclusions: %w", err)
	}
	if st.unprotected, err = newHostSet(pol.Unprotected); err != nil {
		return nil, fmt.Errorf("unprotected sites: %w", err)
	}
	for _, e := range pol.PassThrough {
		h, key, ok := strings.Cut(e, "\t")
		if !ok {
			st.passThrough[normHost(h)] = struct{}{}
			continue
		}
		id, ok := parseClientKey(key)
		if !ok {
			continue
		}
		if st.passFor == nil {
			st.passFor = map[clientID]map[string]struct{}{}
		}
		if st.passFor[id] == nil {
			st.passFor[id] = map[string]struct{}{}
		}
		st.passFor[id][normHost(h)] = struct{}{}
	}
	if pol.TrackingParams == nil {
		st.params = builtinParams
	} else if st.params, err = newParamSet(pol.TrackingParams); err != nil {
		return nil, fmt.Errorf("tracking parameters: %w", err)
	}
	return st, nil
}

// SetHTTPSPolicy replaces the HTTPS policy applied to new requests and
// tunnels. A bad pattern is an error and changes nothing. Untouched tunnels
// already open keep going; intercepted connections that the new policy
// would not intercept are closed (see interception.go).
func (p *Proxy) SetHTTPSPolicy(pol HTTPSPolicy) error {
	st, err := compileHTTPS(pol)
	if err != nil {
		return err
	}
	p.change(func(s *state) { s.https = st })
	p.clients.forgetPins()
	p.dropStaleInterceptions()
	return nil
}

// excluded reports whether host must be tunnelled untouched.
func (st *httpsState) excluded(host string) bool {
	if _, ok := st.passThrough[host]; ok {
		return true
	}
	if st.pol.DefaultExclusions && defaultExclusions.match(host) {
		return true
	}
	return st.exclusions.match(host)
}

// exempt reports whether a request to host from site is on an unprotected site.
func (st *httpsState) exempt(host, site string) bool {
	return st.unprotected.match(host) || (site != "" && site != host && st.unprotected.match(site))
}

// applyHTTPS applies the HTTPS policy to a request the proxy is about to
// forward: an upgrade or cleaning redirect is returned as a response;
// otherwise the request's Referer is trimmed in place. info describes r.
func (p *Proxy) applyHTTPS(r *http.Request, info *requestInfo) *http.Response {
	state := p.stateFor(info)
	st := state.https
	links := state.matcher.linkRules()
	if resp := p.upgrade(r, info, st, links); resp != nil {
		return resp
	}
	if !state.policy.Protection {
		return nil
	}
	if st.pol.CheckSites && info.navigation {
		p.checker.visit(r.URL, info.host, r.Header)
	}
	referrer := info.refHost
	if st.exempt(info.host, info.site) || (referrer != "" && st.unprotected.match(referrer)) {
		return nil
	}
	if st.pol.StripParams && info.navigation && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if resp := p.cleanLink(r, info, st, links, referrer); resp != nil {
			return resp
		}
	}
	if !links.referrerExempt(info.host, info.site, referrer) {
		st.trimReferrer(r, info)
	}
	return nil
}

// cleanLink returns a redirect to the page an AMP viewer link wraps, or to
// the address without its tracking parameters, or nil. Sites the lists
// except from a feature keep their links.
func (p *Proxy) cleanLink(r *http.Request, info *requestInfo, st *httpsState, links *linkRules, referrer string) *http.Response {
	if !links.ampExempt(info.host, info.site, referrer) {
		if to := links.ampTarget(r.URL); to != "" && !st.unprotected.match(urlHost(to)) && !links.ampExempt(urlHost(to), "", "") {
			return p.redirect(r, to, "The link pointed at an AMP copy of the page; Polaris went to the page itself.")
		}
	}
	if links.paramsExempt(info.host, info.site, referrer) {
		return nil
	}
	q, changed := st.params.strip(r.URL.RawQuery)
	q, more := links.stripParams(q)
	if m := p.stateFor(info).matcher.matcher(); m.HasRemoveParams() && q != "" {
		u := *r.URL
		u.RawQuery = q
		rr := *r
		rr.URL, rr.RequestURI = &u, ""
		if q2, listed := p.cleanQuery(m, &rr, info); listed {
			q, more = q2, true
		}
	}
	if !changed && !more {
		return nil
	}
	u := *r.URL
	u.RawQuery = q
	u.ForceQuery = false
	return p.redirect(r, u.String(), "Polaris removed tracking parameters from the address.")
}

// httpsStatus is the HTTPS part of the status page.
type httpsStatus struct {
	Filter      string
	Upgrades    string
	Fingerprint string // SHA-256 of the CA certificate, "" when not offered
}

func (p *Proxy) httpsStatus() *httpsStatus {
	state := p.state.Load()
	st := state.https
	hs := &httpsStatus{Filter: "off: HTTPS passes through untouched", Upgrades: "left as it is"}
	caErr := error(nil)
	if p.cfg.CACertPEM != nil {
		pemBytes, err := p.cfg.CACertPEM()
		var der []byte
		if err == nil {
			der, err = pemToDER(pemBytes)
		}
		if err == nil {
			sum := sha256.Sum256(der)
			hs.Fingerprint = colonHex(sum[:])
		}
		caErr = err
	}
	switch {
	case st.pol.Filter && p.cfg.TLSConfigForHost != nil && caErr == nil:
		hs.Filter = "on: Polaris looks inside HTTPS (except excluded sites)"
	case st.pol.Filter:
		hs.Filter = "on, but Polaris's certificate authority is not available: HTTPS passes through untouched"
	}
	if !state.policy.Protection && st.pol.Filter {
		hs.Filter = "on, but protection is off: HTTPS passes through untouched"
	}
	switch {
	case st.pol.First:
		hs.Upgrades = "HTTPS-first: every site over HTTPS when it can; a warning before plain HTTP"
	case st.pol.SearchEngines:
		hs.Upgrades = "search engines always over HTTPS"
	}
	return hs
}

// colonHex formats b as upper-case hex pairs separated by colons, as
// certificate viewers show fingerprints.
func colonHex(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
