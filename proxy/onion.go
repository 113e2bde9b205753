// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	"polaris/blocklist"
)

// Onion-Location (as Tor Browser reads it): a site names its onion service
// in a header of its pages. On the Tor route Polaris records it (the
// window and Polaris's pages say "this site has an onion address") and,
// with Policy.PreferOnion, sends the navigation to the onion address
// instead. It is read from plain HTTP answers too, unlike Tor Browser: on
// plain HTTP the exit relay could as well answer with a redirect of its own,
// so the header gives it no new power; only a well-formed onion address on
// http or https is taken.

// maxOnionSites bounds the onion addresses remembered.
const maxOnionSites = 512

// onionSites remembers the onion address each site announced.
type onionSites struct {
	mu   sync.Mutex
	site map[string]string // site -> onion URL (scheme://host/)
}

func (o *onionSites) set(site, onion string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.site == nil {
		o.site = map[string]string{}
	}
	if o.site[site] == onion {
		return false
	}
	if len(o.site) >= maxOnionSites {
		clear(o.site)
	}
	o.site[site] = onion
	return true
}

func (o *onionSites) get(site string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.site[site]
}

// OnionOf returns the onion address (scheme://host/) host's site announced
// on the Tor route, "" if none.
func (p *Proxy) OnionOf(host string) string {
	return p.onions.get(blocklist.Site(normHost(host)))
}

// onionShown is the onion address to show on a page about host: the one
// its site announced, while the route is Tor.
func (p *Proxy) onionShown(host string) string {
	if !p.state.Load().route.Tor {
		return ""
	}
	return p.OnionOf(host)
}

// parseOnionLocation checks an Onion-Location value: an absolute http or
// https URL on a v3 onion address (56 base32 characters, optionally below
// a subdomain), without user info. It returns the URL to go to and its
// origin.
func parseOnionLocation(v string) (target, origin string, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) > 2048 {
		return "", "", false
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Opaque != "" {
		return "", "", false
	}
	host := strings.ToLower(u.Hostname())
	if !validOnionHost(host) {
		return "", "", false
	}
	if p := u.Port(); p != "" && (len(p) > 5 || strings.Trim(p, "0123456789") != "") {
		return "", "", false
	}
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	return u.String(), u.Scheme + "://" + u.Host + "/", true
}

// validOnionHost reports whether host is a v3 onion name: [labels.]X.onion
// where X is 56 base32 characters.
func validOnionHost(host string) bool {
	name, ok := strings.CutSuffix(host, ".onion")
	if !ok {
		return false
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		for _, l := range strings.Split(name[:i], ".") {
			if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				return false
			}
		}
		name = name[i+1:]
	}
	return len(name) == 56 && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz234567") == ""
}

// onionLocation records the Onion-Location of a page loaded on the Tor
// route and returns the redirect to it when the policy prefers onion
// sites; nil otherwise.
func (p *Proxy) onionLocation(resp *http.Response, req *http.Request) *http.Response {
	v := resp.Header.Get("Onion-Location")
	if v == "" {
		return nil
	}
	st := p.stateOf(req)
	host := normHost(req.URL.Hostname())
	if !st.route.Tor || isOnion(host) || !isNavigation(req) || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	target, origin, ok := parseOnionLocation(v)
	if !ok {
		return nil
	}
	site := blocklist.Site(host)
	if p.onions.set(site, origin) && p.cfg.OnOnionLocation != nil {
		p.cfg.OnOnionLocation(site, origin)
	}
	if !st.policy.PreferOnion || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
		return nil
	}
	resp.Body.Close()
	r := quickResponse(req, http.StatusFound, "", nil)
	r.Header.Set("Location", target)
	r.Header.Set("Referrer-Policy", "no-referrer")
	return r
}
