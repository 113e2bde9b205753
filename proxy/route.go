// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
)

// Route is how upstream connections are made: the dialer, whether
// connections are isolated per first-party site, and whether .onion
// addresses can be reached.
type Route struct {
	// Dial opens upstream connections; nil dials directly.
	Dial DialFunc
	// Isolate keeps one connection pool per first-party site, so that no
	// upstream connection ever carries requests of two sites (with Tor, each
	// site then gets its own circuit).
	Isolate bool
	// Onion: .onion addresses may be dialled (Tor). Otherwise they are
	// answered with a page and never looked up.
	Onion bool
	// Tor: the route is Tor. Polaris then makes no request of its own to
	// the sites the user visits (the /.well-known site checks), which
	// would stand out among a Tor user's requests.
	Tor bool
	// Name describes the route for logs ("direct", "tor").
	Name string
	// Proxied: Dial connects through another proxy (Tor's SOCKS port), so
	// a connection's remote address is that proxy's; the proxy decides
	// which destinations it reaches. Otherwise the proxy checks that a
	// client on the network does not reach this computer (see lan.go), and
	// Dial should use CheckDial as its dialer's ControlContext.
	Proxied bool
	// Down, if set, says whether the route itself is down, as the refusal
	// to show; it is asked when an upstream connection fails, so that a
	// connection cut by a dead Tor shows "Tor is not connected" rather than
	// "the site closed the connection".
	Down func() *Refusal
	// CNAMEs, if set, returns the chain of canonical names host is an
	// alias of, as the route's resolver answers it (cached; nil when it is
	// not an alias or the lookup failed). Blocking decides a request also
	// on those names (CNAME uncloaking). nil where no lookup is made
	// locally (Tor).
	CNAMEs func(ctx context.Context, host string) []string
	// ECHConfigs, if set, returns the Encrypted Client Hello configuration
	// list of host (an ECHConfigList, as a site publishes it in its HTTPS
	// DNS record), nil for none. Upstream TLS then encrypts its
	// ClientHello, the browser's mirrored one included, to that
	// configuration.
	ECHConfigs func(ctx context.Context, host string) []byte
}

// maxSiteTransports bounds the per-site pools of an isolating route.
const maxSiteTransports = 128

// route is a Route in use, with its connection pools. A route is never
// changed; SetState and SetRoute replace it.
type route struct {
	Route
	p  *Proxy
	up *upstream // shared pool (when not isolating)
	// retired: another route replaced this one; nothing goes out on it any
	// more (see settingsChanged).
	retired atomic.Bool

	mu    sync.Mutex
	sites map[string]*list.Element // site -> element of lru holding *sitePool
	lru   list.List
	// tunnels holds the open tunnels of an isolating route by the site
	// they were dialled for, so that new circuits for a site cut them too.
	tunnels map[string]map[*siteTunnel]struct{}
}

type sitePool struct {
	site string
	up   *upstream
}

func (p *Proxy) newRoute(r Route) *route {
	if r.Dial == nil {
		d := &net.Dialer{Timeout: p.cfg.DialTimeout, KeepAlive: 30 * time.Second, Resolver: p.cfg.Resolver, ControlContext: CheckDial}
		r.Dial = d.DialContext
	}
	if r.Name == "" {
		r.Name = "direct"
	}
	rt := &route{Route: r, p: p, sites: map[string]*list.Element{}}
	rt.up = rt.newUpstream()
	return rt
}

// transport returns the pool for requests of site, from a client on the
// network (lan) or on this computer.
func (rt *route) transport(site string, lan bool) *upstream {
	if lan && !rt.Proxied {
		if !rt.Isolate {
			site = ""
		}
		return rt.pool("\x00lan " + site)
	}
	if !rt.Isolate {
		return rt.up
	}
	return rt.pool(site)
}

// pool returns the pool kept under key, making it if needed.
func (rt *route) pool(site string) *upstream {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if e, ok := rt.sites[site]; ok {
		rt.lru.MoveToFront(e)
		return e.Value.(*sitePool).up
	}
	sp := &sitePool{site: site, up: rt.newUpstream()}
	rt.sites[site] = rt.lru.PushFront(sp)
	if rt.lru.Len() > maxSiteTransports {
		old := rt.lru.Remove(rt.lru.Back()).(*sitePool)
		delete(rt.sites, old.site)
		// A request that took the pool just before keeps working; its
		// connections close when idle.
		old.up.close(false)
	}
	return sp.up
}

// RoundTrip implements goproxy.RoundTripper: the request goes out through
// the pool of its first-party site.
func (rt *route) RoundTrip(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Response, error) {
	return rt.transport(SiteFromContext(req.Context()), fromLAN(req.Context())).RoundTrip(req)
}

// requestRoute is the goproxy.RoundTripper of every proxied request: the
// route of the state the request took. A request held while the lists
// load takes its state when the hold lets it go, so it never leaves by a
// route replaced meanwhile (Tor switched on: it must not go direct); one
// whose route was replaced after it started is refused (route.dial).
type requestRoute struct{ p *Proxy }

func (r requestRoute) RoundTrip(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Response, error) {
	rt := r.p.stateOf(req).route
	if isOnion(req.URL.Hostname()) && !rt.Onion {
		return nil, onionRefusal
	}
	return rt.RoundTrip(req, ctx)
}

// dial opens a connection on this route for a request of site. A client
// on the network never reaches this computer (lan.go).
func (rt *route) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if rt.retired.Load() {
		return nil, settingsChanged
	}
	if !rt.Proxied {
		if err := checkLiteral(ctx, addr); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, rt.p.cfg.DialTimeout)
	defer cancel()
	c, err := rt.Dial(ctx, network, addr)
	if err == nil && !rt.Proxied {
		if err = checkConnected(ctx, c); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, err
}

// close ends the route: no request goes out on it any more, idle upstream
// connections are closed, busy ones once their requests are answered.
func (rt *route) close() {
	rt.up.close(true)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for e := rt.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*sitePool).up.close(true)
	}
}

// echConfigs is host's ECH configuration list on this route, nil for none.
func (rt *route) echConfigs(ctx context.Context, host string) []byte {
	if rt.ECHConfigs == nil {
		return nil
	}
	return rt.ECHConfigs(ctx, host)
}

// oldRouteDrain is when a replaced route's pool is closed again, for the
// connections that requests in flight gave back to it meanwhile (later
// ones close when idle, after the pool's idle timeout).
const oldRouteDrain = 2 * time.Minute

// SetRoute changes how upstream connections are made, the rest of the
// state staying as it is (the app changes the whole state with SetState).
// From the moment it returns no request goes out and no tunnel is opened
// on the old route (requests that took it and have not gone out yet
// included): its idle upstream connections are closed, and open tunnels
// and WebSockets (which would keep using the old route) are cut, so
// clients reconnect through the new one.
func (p *Proxy) SetRoute(r Route) {
	nr := p.newRoute(r)
	old, _ := p.change(func(s *state) { s.route = nr })
	p.replaced(old.route, nr)
}

// ResetConnections drops every upstream connection and cuts open tunnels
// and WebSockets, keeping the route in force (after a new Tor identity, or
// when Tor died under them). Unlike SetRoute(Route()), it can never put
// back a route that was replaced at the same moment. Requests that took
// the old pools still go out.
func (p *Proxy) ResetConnections() {
	old, _ := p.change(func(s *state) { s.route = p.newRoute(s.route.Route) })
	old.route.close()
	p.conns.closeHijacked()
	p.afterDrain(old.route.close)
}

// ResetSite drops the upstream connections of one first-party site on an
// isolating route (after a new Tor circuit for that site), so that its next
// requests open new ones; other sites keep theirs. Requests in flight on
// the dropped connections are answered first. The site's tunnels (HTTPS
// Polaris does not look into, WebSockets) carry no requests Polaris could
// wait for: they are cut, and the browser reconnects on a new circuit.
// Without isolation there is nothing of the site's own to drop.
func (p *Proxy) ResetSite(site string) {
	rt := p.state.Load().route
	if !rt.Isolate {
		return
	}
	var drop []*upstream
	rt.mu.Lock()
	for _, key := range []string{site, "\x00lan " + site} {
		if e, ok := rt.sites[key]; ok {
			rt.lru.Remove(e)
			delete(rt.sites, key)
			drop = append(drop, e.Value.(*sitePool).up)
		}
	}
	tunnels := rt.tunnels[site]
	delete(rt.tunnels, site)
	rt.mu.Unlock()
	for _, up := range drop {
		up.close(false)
		p.afterDrain(func() { up.close(true) })
	}
	for t := range tunnels {
		t.Close()
	}
}

// dialTunnel opens the upstream side of a tunnel for the CONNECT req: dialled
// for the site it goes to (Tor's isolation), able to be half-closed
// (tunnel.go), and noted by that site on an isolating route (ResetSite).
func (rt *route) dialTunnel(req *http.Request, network, addr string) (net.Conn, error) {
	site := connectSite(req)
	c, err := rt.dial(withSite(req.Context(), site), network, addr)
	if err != nil {
		return nil, err
	}
	return rt.trackTunnel(site, newTunnelConn(c, rt.p.cfg.HalfClosedTimeout)), nil
}

// trackTunnel notes the upstream side of a tunnel dialled for site on an
// isolating route (see ResetSite) until it closes; c keeps its ability to
// be half-closed.
func (rt *route) trackTunnel(site string, c net.Conn) net.Conn {
	if !rt.Isolate {
		return c
	}
	t := &siteTunnel{Conn: c, rt: rt, site: site}
	rt.mu.Lock()
	if rt.tunnels == nil {
		rt.tunnels = map[string]map[*siteTunnel]struct{}{}
	}
	if rt.tunnels[site] == nil {
		rt.tunnels[site] = map[*siteTunnel]struct{}{}
	}
	rt.tunnels[site][t] = struct{}{}
	rt.mu.Unlock()
	if hc, ok := c.(halfClosable); ok {
		return &halfSiteTunnel{siteTunnel: t, hc: hc}
	}
	return t
}

// siteTunnel is the upstream side of a tunnel of an isolating route.
type siteTunnel struct {
	net.Conn
	rt   *route
	site string
	once sync.Once
}

func (t *siteTunnel) Close() error {
	t.once.Do(func() {
		t.rt.mu.Lock()
		if m := t.rt.tunnels[t.site]; m != nil {
			delete(m, t)
			if len(m) == 0 {
				delete(t.rt.tunnels, t.site)
			}
		}
		t.rt.mu.Unlock()
	})
	return t.Conn.Close()
}

// halfSiteTunnel is a siteTunnel that can be half-closed.
type halfSiteTunnel struct {
	*siteTunnel
	hc halfClosable
}

func (t *halfSiteTunnel) CloseWrite() error { return t.hc.CloseWrite() }
func (t *halfSiteTunnel) CloseRead() error  { return t.hc.CloseRead() }

// afterDrain runs f once the requests in flight now have drained
// (oldRouteDrain).
func (p *Proxy) afterDrain(f func()) { time.AfterFunc(oldRouteDrain, f) }

// Route returns the route in force.
func (p *Proxy) Route() Route { return p.state.Load().route.Route }

// settingsChanged refuses a request whose route another replaced after
// the request started (Tor turned on or off): it is not sent by the old
// route, nor by a route its other settings were not made for.
var settingsChanged = &Refusal{
	Code:  503,
	Title: "Polaris's settings changed",
	Text:  "Polaris's settings changed while this request was on its way (Tor was turned on or off), so it was not sent. Reload the page.",
}

// isOnion reports whether host is a Tor onion service name.
func isOnion(host string) bool {
	return strings.HasSuffix(strings.TrimSuffix(strings.ToLower(host), "."), ".onion")
}

// onionRefusal is the page for an .onion address without Tor.
var onionRefusal = &Refusal{
	Code:  502,
	Title: "This is a Tor onion address",
	Text:  "Addresses ending in .onion can only be reached through Tor. Turn on Tor in Polaris to open it. Nothing was sent: Polaris did not look the name up.",
}
