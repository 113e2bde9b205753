// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"strings"

	"polaris/blocklist"
)

// RoundTrip sends one of Polaris's own requests (a list download) out
// through the route in force, so that with Tor on it goes through Tor. It
// is its own first-party site for connection isolation and goes out
// exactly as given: the caller sets every header (the proxy adds no
// cookie, referrer or signal). It implements http.RoundTripper and works
// whether or not the proxy is serving.
func (p *Proxy) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := p.state.Load().route
	host := strings.ToLower(req.URL.Hostname())
	if isOnion(host) && !rt.Onion {
		return nil, onionRefusal
	}
	site := blocklist.Site(host)
	return rt.transport(site, false).RoundTrip(req.WithContext(withSite(req.Context(), site)))
}
