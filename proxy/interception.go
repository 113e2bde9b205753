// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/elazarl/goproxy"
)

// A change of settings that stops the interception of a host (HTTPS
// filtering off, the host excluded, protection off, a host intercepted only
// for the block page allowed) applies from the next request, on connections
// intercepted before too: the browser must then talk to the site itself.
// So after each such change the intercepted connections whose host would no
// longer be intercepted are marked stale (Polaris's own name is always
// intercepted; a connection intercepted for the block page is while its host
// is blocked): an idle one is closed at once, a busy HTTP/1.1 one as soon as
// it falls idle (an HTTP/2 one at its next request, see mitmConnState). A
// request that still arrives on one (a browser may open a connection ahead
// of the request it is for, and Chromium does not retry a request when such
// a connection, used for the first time, closes) is sent to the site
// untouched, as the tunnel the browser would now get carries it
// (untouchedState), and its answer tells the browser to leave the
// connection (Connection: close; for HTTP/2 a GOAWAY, after which the
// server closes it): its next requests go on a new connection, decided
// under the new settings. Where such a tunnel would not simply reach the
// site (Tor, the host blocked, the host intercepted again) the request is
// not served (HTTP/1.1: the connection closes, which browsers retry on a
// fresh one; HTTP/2: 421 Misdirected Request with Connection: close, which
// browsers retry on a new connection).

// wouldIntercept reports whether a CONNECT to host (lower case, no port)
// would be intercepted under the settings in force, certificates aside;
// pageOnly: the connection was intercepted only to answer with the block
// page, which it still does while its host is blocked. Polaris's own name
// is always intercepted: nothing else answers it.
func (p *Proxy) wouldIntercept(host string, pageOnly bool) bool {
	st := p.state.Load()
	if p.ownName(host) {
		return true
	}
	if pageOnly {
		return p.hostBlocked(st, host)
	}
	return p.intercepts(st, host)
}

// ownName reports whether host (normalised) is Polaris's own name and a
// certificate can be made for it: then it is always intercepted, as
// nothing else answers it.
func (p *Proxy) ownName(host string) bool {
	return p.cfg.ReservedHost != "" && host == p.cfg.ReservedHost && p.cfg.TLSConfigForHost != nil
}

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
func (p *Proxy) stillIntercepts(mc *mitmConn) bool { return p.wouldIntercept(mc.host, mc.pageOnly) }

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
		if h == nil || p.wouldIntercept(*h, c.pageOnly.Load()) {
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

// staleRequest looks at a request that arrived on an intercepted
// connection: when the connection is not stale it returns r and false.
// Otherwise it either answers r with a refusal (true), or returns r marked
// to go to the site untouched (see untouchedState) and false.
func (p *Proxy) staleRequest(w http.ResponseWriter, r *http.Request, mc *mitmConn) (*http.Request, bool) {
	if mc.client == nil || (!mc.client.stale.Load() && p.stillIntercepts(mc)) {
		return r, false
	}
	mc.client.stale.Store(true)
	if st := p.untouchedState(r, mc); st != nil {
		return r.WithContext(context.WithValue(r.Context(), untouchedKey{}, st)), false
	}
	if r.ProtoMajor < 2 {
		panic(http.ErrAbortHandler) // the connection closes; the browser retries on a new one
	}
	w.Header().Set("Connection", "close") // GOAWAY: no new streams on this connection
	p.writePage(w, r, http.StatusMisdirectedRequest, pageData{
		Title: "Polaris's settings changed",
		Text:  "Polaris no longer looks inside this site's HTTPS. Reload the page.",
		Host:  mc.host,
	})
	return r, true
}

// untouchedKey carries, in the context of a request that arrived on a
// stale intercepted connection, the state it goes to the site untouched
// with.
type untouchedKey struct{}

// untouchedState returns the state in force when a CONNECT of mc's host
// would now be tunnelled to the site as it is — so a request on mc may go
// there untouched, as that tunnel would carry it — or nil: with Tor (a
// request is never sent outside the tunnel and circuit its browser would
// open), when the host would be intercepted again, or when it is blocked
// (the browser's new connection gets the block page). A tunnel's decision
// is recorded as a new CONNECT's would be.
func (p *Proxy) untouchedState(r *http.Request, mc *mitmConn) *state {
	st := p.state.Load()
	if st.route.Tor || isOnion(mc.host) || p.intercepts(st, mc.host) {
		return nil
	}
	ctx := &goproxy.ProxyCtx{Req: r}
	if refused, _ := p.blockConnectFor(ctx, st, net.JoinHostPort(mc.host, "443"), false); refused != nil {
		return nil
	}
	if p.state.Load() != st {
		return nil // the settings changed meanwhile: the browser retries
	}
	return st
}

// untouchedOf returns the state a request marked by staleRequest goes to
// the site with, nil for every other request.
func untouchedOf(r *http.Request) *state {
	if r == nil {
		return nil
	}
	st, _ := r.Context().Value(untouchedKey{}).(*state)
	return st
}

// untouchedRequest prepares a request marked by staleRequest, once
// onRequest normalised it as every forwarded request (hop-by-hop fields
// removed): it goes to the site as the browser sent it, by the route of st
// (upstream TLS verified as always). No signal, no cleaning, no blocking
// of its own: the tunnel the browser would now get carries it so.
func (p *Proxy) untouchedRequest(r *http.Request, st *state) *http.Request {
	info := newRequestInfo(r)
	info.st = st
	r = withRecord(r, &info)
	if site := info.siteDomain(); site != "" {
		r = r.WithContext(withSite(r.Context(), site))
	}
	if r.Close {
		r = r.WithContext(r.Context())
		r.Close = false
	}
	p.reach.add(false, time.Now()) // unseen, as a tunnel's requests: no signals added
	return r
}
