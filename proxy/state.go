// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"net/http"

	"polaris/blocklist"
)

// State is everything a request reads from the settings: the policy, the
// HTTPS policy, the matcher (and the link rules of its lists) and the
// route. The app builds it whole from one version of the settings and puts
// it in force with one SetState (Caddy's pattern: build completely, then
// swap). A request takes the state in force when it starts, once a hold
// has let it go, and keeps it to the end: its signals, blocking, cleaning
// and route all come from one version of the settings, never half of a
// change.
type State struct {
	Policy Policy
	HTTPS  HTTPSPolicy
	// Matcher decides blocking; nil blocks nothing. It must be complete.
	Matcher *blocklist.Matcher
	Route   Route
}

// state is a State compiled for the request path. It is never changed:
// a change makes a new one.
type state struct {
	policy  *Policy
	https   *httpsState
	matcher *loadedMatcher
	route   *route
}

// SetState puts s in force for new requests and tunnels, with one atomic
// store: requests in flight keep the state they started with. A bad
// pattern in s.HTTPS is an error and changes nothing. A route of another
// kind than the one in force (see Route.same) replaces it as SetRoute does;
// one of the same kind keeps its connections.
func (p *Proxy) SetState(s State) error {
	https, err := compileHTTPS(s.HTTPS)
	if err != nil {
		return err
	}
	pol := s.Policy
	pol.prepare()
	m := p.loadMatcher(s.Matcher)
	for {
		old := p.state.Load()
		next := &state{policy: &pol, https: https, matcher: m, route: old.route}
		if !s.Route.same(old.route.Route) {
			next.route = p.newRoute(s.Route)
		}
		if p.state.CompareAndSwap(old, next) {
			p.clients.forgetPins()
			p.dropStaleInterceptions()
			p.replaced(old.route, next.route)
			return nil
		}
	}
}

// change puts in force the state in force with one part changed by edit,
// and returns the state it replaced.
func (p *Proxy) change(edit func(*state)) (old, next *state) {
	for {
		old = p.state.Load()
		c := *old
		edit(&c)
		if p.state.CompareAndSwap(old, &c) {
			return old, &c
		}
	}
}

// loadMatcher compiles a matcher's link rules with it.
func (p *Proxy) loadMatcher(m *blocklist.Matcher) *loadedMatcher {
	var links *linkRules
	if m != nil {
		links = compileLinks(m, p.cfg.Logf)
	}
	return &loadedMatcher{m: m, links: links}
}

// replaced cuts what would keep using a route that another one replaced:
// its idle upstream connections, and open tunnels and WebSockets, so that
// clients reconnect through the new one. A request that took the old state
// and has not gone out yet is refused rather than sent (route.retired).
func (p *Proxy) replaced(old, next *route) {
	if old == next || old == nil {
		return
	}
	old.retired.Store(true)
	old.close()
	p.conns.closeHijacked()
	// A request in flight on the old route returns its connection to the
	// old pool after this; close it again once they have drained.
	p.afterDrain(old.close)
	p.cfg.Logf("upstream route: %s", next.Name)
}

// same reports whether r is the same kind of route as o: switching
// between them needs no new connections.
func (r Route) same(o Route) bool {
	return r.Name == o.Name && r.Isolate == o.Isolate && r.Onion == o.Onion && r.Tor == o.Tor && r.Proxied == o.Proxied
}

// recordKey carries a request's record in its context.
type recordKey struct{}

// withRecord returns r with info as its record.
func withRecord(r *http.Request, info *requestInfo) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), recordKey{}, info))
}

// stateOf returns the state a request took (the one in force now for a
// request without a record: a CONNECT, one of Polaris's own).
func (p *Proxy) stateOf(r *http.Request) *state {
	if r != nil {
		if info, ok := r.Context().Value(recordKey{}).(*requestInfo); ok && info.st != nil {
			return info.st
		}
	}
	return p.state.Load()
}

// stateFor returns the state of a request record (the one in force for a
// record made without one).
func (p *Proxy) stateFor(info *requestInfo) *state {
	if info.st != nil {
		return info.st
	}
	return p.state.Load()
}

// recordOf returns the record of a request, nil when it has none.
func recordOf(r *http.Request) *requestInfo {
	if r == nil {
		return nil
	}
	info, _ := r.Context().Value(recordKey{}).(*requestInfo)
	return info
}
