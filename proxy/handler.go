// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/elazarl/goproxy"
)

// ServeHTTP is the proxy's entry point for every client request. It checks
// authentication, answers requests meant for Polaris itself, and hands the
// rest to goproxy.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	if !p.checkAuth(w, r) {
		return
	}
	r = r.WithContext(withClient(r.Context(), r.RemoteAddr))
	if b := p.boundBody(w, r); b != nil {
		defer b.finish()
	}
	if p.isLocal(r) {
		p.serveLocal(w, r)
		return
	}
	if r.Method != http.MethodConnect {
		if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
			p.writePage(w, r, http.StatusBadRequest, pageData{
				Title: "Unsupported address",
				Text:  "Polaris forwards http:// and https:// addresses only.",
				Host:  r.URL.Host, Detail: r.URL.Scheme,
			})
			return
		}
		if r.URL.Host == "" || r.URL.Hostname() == "" {
			p.writePage(w, r, http.StatusBadRequest, pageData{
				Title: "Bad request",
				Text:  "The request names no server.",
			})
			return
		}
		if id, ok := clientOfUA(r.Header.Get("User-Agent")); ok {
			p.clients.seen(id, false, false, time.Now())
		}
	} else if _, port, err := net.SplitHostPort(r.Host); err != nil || port == "" {
		p.writePage(w, r, http.StatusBadRequest, pageData{
			Title: "Bad request",
			Text:  "A CONNECT request must name host:port.",
			Host:  r.Host,
		})
		return
	}
	p.gp.ServeHTTP(w, r)
}

// isLocal reports whether r is addressed to Polaris itself: a plain
// (origin-form) request to the proxy's port, the reserved host name, or an
// absolute URL naming the proxy's own address (which would otherwise loop).
// An origin-form request whose Host is not Polaris's own (DNS rebinding) is
// local too: serveLocal refuses it.
func (p *Proxy) isLocal(r *http.Request) bool {
	if r.Method == http.MethodConnect {
		return false
	}
	if !r.URL.IsAbs() {
		return true
	}
	host := strings.ToLower(r.URL.Hostname())
	if p.cfg.ReservedHost != "" && host == p.cfg.ReservedHost {
		return true
	}
	return p.ownAuthority(r, r.URL.Host)
}

// serveLocal answers a request addressed to Polaris: the status page at
// "/", everything else from Config.Local.
func (p *Proxy) serveLocal(w http.ResponseWriter, r *http.Request) {
	r.Header.Del("Proxy-Authorization")
	if !p.localAllowed(w, r) {
		return
	}
	if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		p.writeStatusPage(w, r)
		return
	}
	if p.serveOwn(w, r) || p.serveBlockAction(w, r) || p.serveCheck(w, r) {
		return
	}
	if p.cfg.Local != nil {
		p.cfg.Local.ServeHTTP(w, r)
		return
	}
	p.writePage(w, r, http.StatusNotFound, pageData{Title: "Not found", Text: "Polaris has no page here."})
}

// NotFound answers r with Polaris's "not found" page; Local handlers use
// it for paths they do not serve.
func (p *Proxy) NotFound(w http.ResponseWriter, r *http.Request) {
	p.writePage(w, r, http.StatusNotFound, pageData{Title: "Not found", Text: "Polaris has no page here."})
}

// onRequest runs for every proxied request (plain HTTP, and HTTPS once
// intercepted): it normalises headers and applies the policy.
func (p *Proxy) onRequest(r *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	removeHopByHop(r.Header, isWebSocket(r.Header))
	// Go's client would announce itself if the browser sent no User-Agent.
	if _, ok := r.Header["User-Agent"]; !ok {
		r.Header["User-Agent"] = []string{""}
	}
	ctx.RoundTripper = requestRoute{p}
	if st := untouchedOf(r); st != nil {
		return p.untouchedRequest(r, st), nil // a stale interception's (interception.go)
	}
	st := p.state.Load()
	if isOnion(r.URL.Hostname()) && !st.route.Onion {
		return r, p.pageResponse(r, onionRefusal.Code, refusalPage(r.URL.Hostname(), onionRefusal))
	}
	st, resp := p.admit(r, st)
	if resp != nil {
		return r, resp
	}
	info := newRequestInfo(r)
	info.st = st
	r = withRecord(r, &info)
	p.reach.add(st.policy.applySignals(r.Header, &info), time.Now())
	if al := st.policy.AcceptLanguage; al != "" {
		r.Header.Set("Accept-Language", al)
	}
	if resp := p.debounce(r, st.policy, &info); resp != nil {
		return r, resp
	}
	if resp := p.block(r, st.policy, &info); resp != nil {
		return r, resp
	}
	p.removeParams(r, st.policy, &info)
	if site := info.siteDomain(); site != "" {
		r = r.WithContext(withSite(r.Context(), site))
	}
	if r.Close {
		// "Connection: close" is about the client's connection to Polaris
		// (hop by hop, which the server honours): the upstream connection
		// stays in the pool. A copy, so the server still sees the wish.
		r = r.WithContext(r.Context())
		r.Close = false
	}
	if resp := p.applyHTTPS(r, &info); resp != nil {
		return r, resp
	}
	p.applyStealth(r, st.policy, &info, ctx)
	return r, nil
}

// admit lets a request go on once no hold keeps it (while the lists load at
// start-up, with protection on), and returns the state it takes: the one in
// force when it goes on, or a "still loading" answer when the hold outlasts
// BlockConfig.HoldTimeout.
func (p *Proxy) admit(r *http.Request, st *state) (*state, *http.Response) {
	if !st.policy.Protection {
		return st, nil
	}
	if g := p.blk.waitHold(r.Context()); g != nil {
		return st, p.holdResponse(r, g)
	}
	return p.state.Load(), nil
}

// onConnect decides what to do with a CONNECT tunnel: intercept it (HTTPS
// filtering, see interceptAction; requests inside are then decided one by
// one), refuse it when its host is blocked, or pass it through untouched.
func (p *Proxy) onConnect(host string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	h, _, _ := net.SplitHostPort(host)
	st := p.state.Load()
	if isOnion(h) && !st.route.Onion {
		return p.refuseConnect(ctx, onionRefusal.Code, refusalPage(h, onionRefusal)), host
	}
	id, known := clientOfUA(ctx.Req.Header.Get("User-Agent"))
	if a := p.interceptAction(st, ctx.Req, host, id, known); a != nil {
		return a, host
	}
	// A tunnel that is not intercepted is decided on its host alone. A
	// blocked one is intercepted all the same, to answer with Polaris's
	// page, when the client may trust the CA (blockPageAction).
	pageOnly := p.blockPageAllowed(st, h, id, known)
	if refused, blocked := p.blockConnectFor(ctx, st, host, !pageOnly); refused != nil {
		if blocked && pageOnly {
			if cfg, err := p.cfg.TLSConfigForHost(normHost(h)); err == nil && cfg != nil {
				return p.hijackWith(host, normHost(h), id, known, true, cfg), host
			}
			// No certificate: refused as before, and counted (with the
			// state in force: a hold may have let the first decision go).
			refused, _ = p.blockConnectFor(ctx, p.state.Load(), host, true)
		}
		return refused, host
	}
	if known {
		p.clients.seen(id, true, false, time.Now())
	}
	p.reach.add(false, time.Now()) // its requests are unseen: no signals added
	return acceptConnect, host
}

// refuseConnect answers a CONNECT with a page instead of a tunnel.
func (p *Proxy) refuseConnect(ctx *goproxy.ProxyCtx, code int, d pageData) *goproxy.ConnectAction {
	resp := p.pageResponse(ctx.Req, code, d)
	resp.Close = true
	resp.Header.Set("Connection", "close")
	ctx.Resp = resp
	return &goproxy.ConnectAction{Action: goproxy.ConnectReject}
}

var acceptConnect = &goproxy.ConnectAction{Action: goproxy.ConnectAccept}

// onResponse turns upstream failures into error pages and removes the
// upstream's hop-by-hop headers.
func (p *Proxy) onResponse(resp *http.Response, ctx *goproxy.ProxyCtx) *http.Response {
	// The answer to a request sent on a stale interception (interception.go)
	// is the site's as it is, or the page of an upstream failure; either
	// asks the browser to leave the connection, unless it became a
	// WebSocket's.
	untouched := untouchedOf(ctx.Req) != nil
	if resp == nil {
		p.abortForFallback(ctx.Req, ctx.Error)
		resp = p.upstreamErrorResponse(ctx.Req, ctx.Error)
		if untouched {
			resp.Header.Set("Connection", "close")
		}
		return resp
	}
	upgrade := resp.StatusCode == http.StatusSwitchingProtocols && isWebSocket(resp.Header)
	removeHopByHop(resp.Header, upgrade)
	if untouched {
		if !upgrade {
			resp.Header.Set("Connection", "close")
		}
		return resp
	}
	applyStealthResponse(resp, ctx, time.Now())
	p.injectSignals(resp, ctx)
	return p.afterResponse(resp, ctx)
}
