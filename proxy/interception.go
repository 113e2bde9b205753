// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"time"
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
	return host != "" && !isOnion(host) && !st.excluded(host)
}

// stillIntercepts reports whether the settings in force would intercept
// mc's tunnel: for one intercepted only to answer with the block page
// (pageOnly), whether its host is still blocked — once it is not (allowed
// once, allowed, paused), the browser's next request goes on a new
// connection, to the site untouched.
func (p *Proxy) stillIntercepts(mc *mitmConn) bool {
	if !mc.pageOnly {
		return p.wouldIntercept(mc.host)
	}
	return p.hostBlocked(p.state.Load(), mc.host)
}

// hostBlocked reports whether a tunnel to host would be refused as blocked
// under st (the host's rules, exceptions, pause and "allow once"; no
// CNAME uncloaking), without recording a decision.
func (p *Proxy) hostBlocked(st *state, host string) bool {
	now := time.Now()
	if !st.policy.Protection || p.blk.isPaused(now) {
		return false
	}
	m := st.matcher.matcher()
	if m == nil || !m.MatchHost(host).Action.Blocked() {
		return false
	}
	blocked, _ := p.exempt(st, host, now, false)
	return blocked
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
	if mc.client == nil || (!mc.client.stale.Load() && p.stillIntercepts(mc)) {
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
