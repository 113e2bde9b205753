// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
)

// A change of settings that stops the interception of a host (HTTPS
// filtering off, the host excluded, protection off) applies from the next
// request, on connections intercepted before too: the browser must then
// talk to the site itself. So after each such change the intercepted
// connections whose host would no longer be intercepted are marked stale:
// an idle one is closed at once, a busy one as soon as it falls idle, and a
// request that still arrives on one is not served through the interception
// (HTTP/1.1: the connection closes, which browsers retry on a fresh one;
// HTTP/2: 421 Misdirected Request with Connection: close, which browsers
// retry on a new connection). The browser's next CONNECT is decided under
// the new settings.

// wouldIntercept reports whether a CONNECT to host (lower case, no port)
// would be intercepted under the settings in force, certificates aside.
func (p *Proxy) wouldIntercept(host string) bool { return p.intercepts(p.state.Load(), host) }

// intercepts reports whether a CONNECT to host is intercepted under state,
// certificates aside.
func (p *Proxy) intercepts(state *state, host string) bool {
	st := state.https
	if !st.pol.Filter || p.cfg.TLSConfigForHost == nil || !state.policy.Protection {
		return false
	}
	// .onion addresses authenticate the service themselves; their HTTPS,
	// often self-signed, is the browser's business as without Polaris.
	return host != "" && !isOnion(host) && !st.excluded(host) && !p.pins.learned(host)
}

// dropStaleInterceptions marks the intercepted connections that the
// settings in force would not intercept, and closes the idle ones.
func (p *Proxy) dropStaleInterceptions() {
	p.conns.mu.Lock()
	var idle []*trackedConn
	for c := range p.conns.m {
		h := c.mitmHost.Load()
		if h == nil || p.wouldIntercept(*h) {
			continue
		}
		c.stale.Store(true)
		if c.mitm.Load() == mitmIdle {
			idle = append(idle, c)
		}
	}
	p.conns.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
}

// refuseStale answers a request that arrived on a stale intercepted
// connection and reports true; false when the connection is not stale.
func (p *Proxy) refuseStale(w http.ResponseWriter, r *http.Request, mc *mitmConn) bool {
	if mc.client == nil || (!mc.client.stale.Load() && p.wouldIntercept(mc.host)) {
		return false
	}
	mc.client.stale.Store(true)
	if r.ProtoMajor < 2 {
		panic(http.ErrAbortHandler) // the connection closes; the browser retries on a new one
	}
	w.Header().Set("Connection", "close") // GOAWAY: no new streams on this connection
	p.writePage(w, r, http.StatusMisdirectedRequest, pageData{
		Title: "Polaris's settings changed",
		Text:  "Polaris no longer looks inside this site's HTTPS. Reload the page.",
		Host:  mc.host,
	})
	return true
}
