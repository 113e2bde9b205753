// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"polaris/blocklist"
	"polaris/internal/settings"
)

// Policy is what the proxy does to requests. The zero value forwards
// everything untouched. Set it with (*Proxy).SetPolicy; a Policy must not be
// changed after it is set.
type Policy struct {
	// Protection off: no signals (and later no blocking or cleaning).
	Protection bool
	// DNT is the Do Not Track preference to send.
	DNT settings.DNT
	// GPC adds Sec-GPC: 1.
	GPC bool
	// Exceptions override signals per first-party site (registrable domain).
	Exceptions []settings.SiteException
	// Stealth is what the trackers a page still reaches do not get
	// (cookies, identifying headers; see stealth.go). Like everything in
	// Policy it applies only while Protection is on.
	Stealth settings.Stealth
	// HonorDNTPolicy lets a blocked third party through a request that
	// leaves with "DNT: 1" when its site posts the EFF Do Not Track policy
	// (see dntpolicy.go).
	HonorDNTPolicy bool
	// PreferOnion: on the Tor route, a page whose answer names the site's
	// onion service (Onion-Location) is redirected there (onion.go).
	PreferOnion bool
	// AcceptLanguage, if not "", replaces every request's Accept-Language
	// (Tor Browser's, in Tor mode: settings.TorBrowserAcceptLanguage).
	AcceptLanguage string

	exceptions map[string]settings.SiteException
	stealth    stealthRules
}

func (pol *Policy) prepare() {
	pol.stealth = compileStealth(pol.Stealth)
	if len(pol.Exceptions) == 0 {
		pol.exceptions = nil
		return
	}
	pol.exceptions = make(map[string]settings.SiteException, len(pol.Exceptions))
	for _, e := range pol.Exceptions {
		pol.exceptions[e.Site] = e
	}
}

// Signal header names (canonical form; HTTP field names are case-insensitive).
const (
	hdrDNT = "Dnt"
	hdrGPC = "Sec-Gpc"
)

// applySignals sets DNT and Sec-GPC on h as the policy says for the request
// described by info, and reports whether it set one of them.
func (pol *Policy) applySignals(h http.Header, info *requestInfo) bool {
	if !pol.Protection {
		return false
	}
	dnt, gpc := pol.DNT, pol.GPC
	if pol.exceptions != nil {
		if e, ok := pol.exceptions[info.siteDomain()]; ok {
			if e.NoSignals {
				return false
			}
			dnt = e.DNT
		}
	}
	// Replacing the whole slice leaves exactly one field of each.
	set := false
	if v := dnt.Header(); v != "" {
		h[hdrDNT] = []string{v}
		info.sentDNT1 = v == "1"
		set = true
	}
	if gpc {
		h[hdrGPC] = []string{"1"}
		set = true
	}
	return set
}

// requestInfo is the record of one request: the state it took (what it
// reads from the settings) and its facts, derived once from its URL and
// headers and used by every step (signals, blocking, cleaning, stealth,
// the answer).
type requestInfo struct {
	st   *state
	host string // the destination: the requested host, lower case, no port
	// site is the host of the page the user is on: the request's own host
	// for navigations, else the host in Origin or Referer.
	site string
	// domain caches the registrable domain of site.
	domain     string
	domainDone bool
	navigation bool
	// tracker: a rule or a Tracker Data Set names the requested host, even
	// if it was let through (see block).
	tracker bool
	// sentDNT1: Polaris set DNT: 1 on this request, the user's choice (the
	// EFF-policy exemption needs it; a browser's own DNT does not count).
	sentDNT1 bool
	// The Referer, parsed once: as sent, and its host (normHost), "" when
	// there is none or it is not a URL.
	referer, refHost string
	refURL           *url.URL
}

// newRequestInfo derives the facts of r; the caller sets the state.
func newRequestInfo(r *http.Request) requestInfo {
	info := requestInfo{host: strings.ToLower(r.URL.Hostname())}
	info.navigation = isNavigation(r)
	if info.referer = r.Header.Get("Referer"); info.referer != "" {
		if u, err := url.Parse(info.referer); err == nil {
			info.refURL, info.refHost = u, normHost(u.Hostname())
		}
	}
	info.site = info.firstPartyHost(r)
	return info
}

// siteDomain returns the registrable domain of the first-party site (the
// host itself when it has none, e.g. an IP address or "localhost").
func (info *requestInfo) siteDomain() string {
	if !info.domainDone {
		info.domain = blocklist.Site(info.site)
		info.domainDone = true
	}
	return info.domain
}

// isNavigation reports whether r loads a top-level document. Browsers say so
// with Sec-Fetch-Dest/Mode on trustworthy origins; for plain HTTP they do
// not, and an HTML Accept without Origin is the best sign left.
func isNavigation(r *http.Request) bool {
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest != "" {
		return dest == "document"
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode != "" {
		return mode == "navigate"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && r.Method != http.MethodPost {
		return false
	}
	return strings.HasPrefix(r.Header.Get("Accept"), "text/html")
}

// firstPartyHost returns the host of the page the user is on.
func (info *requestInfo) firstPartyHost(r *http.Request) string {
	if info.navigation {
		return info.host
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if h := urlHost(o); h != "" {
			return h
		}
	}
	if info.refURL != nil {
		if h := strings.ToLower(info.refURL.Hostname()); h != "" {
			return h
		}
	}
	return info.host
}

func urlHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// connectSite is the first-party site of a CONNECT tunnel: without looking
// inside, the tunnel's own host is all there is.
func connectSite(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	return blocklist.Site(strings.ToLower(host))
}

type siteKey struct{}

func withSite(ctx context.Context, site string) context.Context {
	return context.WithValue(ctx, siteKey{}, site)
}

// SiteFromContext returns the first-party site (registrable domain) of the
// request a dial is made for, or "" if unknown. Dialers use it to isolate
// sites from each other (e.g. one Tor circuit per site).
func SiteFromContext(ctx context.Context) string {
	s, _ := ctx.Value(siteKey{}).(string)
	return s
}
