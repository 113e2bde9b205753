// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"fmt"
	"net/http"

	"polaris/assets"
	"polaris/blocklist"
)

// Links that bounce (debouncing) and $removeparam. A page load of a known
// redirector (assets/https/redirectors.txt: google.com/url?q=,
// l.facebook.com/l.php?u=, ...) goes straight to its destination, so the
// redirector never learns of the click; a blocked page load that carries a
// destination shows it on the block page. The lists' $removeparam rules
// clean the addresses they match: a page load by a redirect to the clean
// address (the address bar shows it), any other request by forwarding the
// clean address in its place. Both follow urls.strip-params and its
// exceptions, as the other link cleaning does.

// builtinRedirectors are the redirector rules shipped with Polaris; a bad
// line is a broken build.
var builtinRedirectors = func() *blocklist.Redirectors {
	data, err := assets.HTTPS.ReadFile("https/redirectors.txt")
	if err != nil {
		panic(err)
	}
	r, errs := blocklist.ParseRedirectors(string(data))
	if len(errs) > 0 {
		panic(fmt.Sprintf("https/redirectors.txt: %v", errs))
	}
	return r
}()

// debounce returns a redirect to the destination of a page load of a known
// redirector, or nil.
func (p *Proxy) debounce(r *http.Request, pol *Policy, info *requestInfo) *http.Response {
	if !pol.Protection || !info.navigation || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return nil
	}
	st := p.stateFor(info).https
	if !st.pol.StripParams || !st.pol.SkipRedirectors || st.exempt(info.host, info.site) {
		return nil
	}
	dest, _, ok := builtinRedirectors.Destination(r.URL)
	if !ok || st.unprotected.match(urlHost(dest)) {
		return nil
	}
	return p.redirect(r, dest, "The link went through a redirector that records clicks; Polaris went straight to where it leads.")
}

// linkDestination is where a blocked page load was going, for the block
// page: a redirector's destination, or an address held in a parameter.
func linkDestination(r *http.Request) string {
	if d, _, ok := builtinRedirectors.Destination(r.URL); ok {
		return d
	}
	return blocklist.DestinationIn(r.URL)
}

// removeParams applies the lists' $removeparam rules to a request that is
// not a page load (those are redirected by cleanLink): the clean address
// goes out in its place.
func (p *Proxy) removeParams(r *http.Request, pol *Policy, info *requestInfo) {
	if !pol.Protection || info.navigation || r.URL.RawQuery == "" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return
	}
	state := p.stateFor(info)
	m := state.matcher.matcher()
	if !m.HasRemoveParams() {
		return
	}
	st := state.https
	referrer := info.refHost
	if !st.pol.StripParams || st.exempt(info.host, info.site) || state.matcher.linkRules().paramsExempt(info.host, info.site, referrer) {
		return
	}
	if q, changed := p.cleanQuery(m, r, info); changed {
		r.URL.RawQuery = q
		r.URL.ForceQuery = false
		r.RequestURI = ""
	}
}

// cleanQuery runs the $removeparam rules of m on r.
func (p *Proxy) cleanQuery(m *blocklist.Matcher, r *http.Request, info *requestInfo) (string, bool) {
	typ := requestType(r, info.navigation)
	req := p.blk.reqs.Get().(*blocklist.Request)
	req.Reset(requestURL(r), sourceURL(r, typ), typ)
	req.Method = r.Method
	q, changed := m.CleanQuery(req)
	p.blk.reqs.Put(req)
	return q, changed
}
