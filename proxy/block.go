// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"crypto/rand"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"

	"polaris/blocklist"
	"polaris/internal/status"
)

// Tracker blocking: every request the proxy forwards is decided by the
// matcher in force when it arrives. Plain HTTP (and HTTPS once intercepted)
// is decided on the full URL, its site (Origin, Referer, Sec-Fetch-Site) and
// its type (Sec-Fetch-Dest, else Accept); an HTTPS tunnel that is not
// intercepted is decided on its CONNECT host alone. A blocked page load gets
// the block page, a blocked subresource a fast empty answer of its kind, a
// blocked tunnel a 403.

// BlockConfig configures tracker blocking. The zero value is valid: no
// events, no "always allow" button, a random action key.
type BlockConfig struct {
	// Decisions receives every decision, on the request's goroutine: it
	// must return quickly and never block. nil drops them.
	Decisions func(status.Decision)
	// AllowSite is called by the block page's "always allow this site"
	// button with the site's registrable domain; it turns protections off
	// on that site and returns once the change is in force. nil hides the
	// button.
	AllowSite func(ctx context.Context, site string) error
	// NewCircuit, if set, gives one site new Tor circuits (the Tor route's
	// "new circuits for this site"); it is offered on a confirmation page
	// of the reserved host, only while the route is Tor, and acts only
	// from that page's button, like AllowSite.
	NewCircuit func(ctx context.Context, site string) error
	// ActionKey signs the block page's buttons (at least 16 bytes). Give
	// every proxy of one run the same key so pages outlive a restart of the
	// listener; nil draws a random key.
	ActionKey []byte
	// HoldTimeout bounds how long a request waits while the proxy holds
	// traffic (see Hold) before it gets a "still loading" answer. Default
	// DefaultHoldTimeout.
	HoldTimeout time.Duration
	// AllowOnceFor is how long "allow once" lets a host through. Default
	// DefaultAllowOnce.
	AllowOnceFor time.Duration
	// Exempt, if set, is asked about a host that a rule blocks on a
	// request that leaves with "DNT: 1"; a non-empty answer lets it
	// through and is the reason shown. nil: the proxy answers itself from
	// its state (Policy.HonorDNTPolicy and the sites known to post the EFF
	// Do Not Track policy, see SetDNTPolicySites), which is a promise about
	// such requests. It is never asked for an HTTPS tunnel Polaris does
	// not open. It runs on the request path: it must be fast and never
	// block.
	Exempt func(host string) string
}

// Defaults for BlockConfig's zero values.
const (
	DefaultHoldTimeout = 15 * time.Second
	DefaultAllowOnce   = 5 * time.Minute
)

// blockState is the proxy's blocking state; every field is safe for
// concurrent use.
type blockState struct {
	cfg  BlockConfig
	hold atomic.Pointer[holdGate]
	// paused is the end of a pause in Unix nanoseconds; 0 when not paused,
	// math.MaxInt64 until restart.
	paused atomic.Int64
	once   allowOnce
	frames allowOnce // hosts whose frames the user loaded once
	reqs   sync.Pool // *blocklist.Request
	page   *blockPages
}

// holdGate is closed when the hold ends.
type holdGate struct {
	done   chan struct{}
	reason string
}

func (b *blockState) init(cfg BlockConfig) error {
	if cfg.HoldTimeout <= 0 {
		cfg.HoldTimeout = DefaultHoldTimeout
	}
	if cfg.AllowOnceFor <= 0 {
		cfg.AllowOnceFor = DefaultAllowOnce
	}
	if len(cfg.ActionKey) < 16 {
		cfg.ActionKey = make([]byte, 32)
		if _, err := rand.Read(cfg.ActionKey); err != nil {
			return err
		}
	}
	b.cfg = cfg
	b.reqs.New = func() any { return &blocklist.Request{} }
	pg, err := loadBlockPages()
	if err != nil {
		return err
	}
	b.page = pg
	return nil
}

// SetMatcher installs the matcher that decides new requests; requests in
// flight keep the one they started with. nil blocks nothing. The matcher
// must be complete: it is used as soon as SetMatcher returns. What its
// lists say about links (Matcher.DDGLinks: exceptions to HTTPS upgrades,
// Referer trimming, tracking parameters and AMP links, more parameters and
// AMP formats) applies from the same moment, on top of the HTTPSPolicy.
// The rest of the state stays as it is (the app changes the whole state
// with SetState).
func (p *Proxy) SetMatcher(m *blocklist.Matcher) {
	lm := p.loadMatcher(m)
	p.change(func(s *state) { s.matcher = lm })
}

// Matcher returns the matcher in force, or nil.
func (p *Proxy) Matcher() *blocklist.Matcher { return p.state.Load().matcher.matcher() }

// Hold makes new requests wait until Release (fail closed while the lists
// load at start-up): each waits at most BlockConfig.HoldTimeout, then gets a
// "still loading" answer that names reason. Requests to Polaris itself are
// never held. Hold while holding changes nothing.
func (p *Proxy) Hold(reason string) {
	p.blk.hold.CompareAndSwap(nil, &holdGate{done: make(chan struct{}), reason: reason})
}

// Release ends a hold: waiting requests go on at once.
func (p *Proxy) Release() {
	if g := p.blk.hold.Swap(nil); g != nil {
		close(g.done)
	}
}

// Holding reports whether requests are held.
func (p *Proxy) Holding() bool { return p.blk.hold.Load() != nil }

// Pause stops blocking until the given time; the zero time resumes, and
// PauseUntilRestart pauses with no end.
func (p *Proxy) Pause(until time.Time) {
	switch {
	case until.IsZero():
		p.blk.paused.Store(0)
	case until.Equal(PauseUntilRestart):
		p.blk.paused.Store(math.MaxInt64)
	default:
		p.blk.paused.Store(until.UnixNano())
	}
}

// PauseUntilRestart is the time Pause takes for a pause with no end.
var PauseUntilRestart = time.Unix(0, math.MaxInt64)

func (b *blockState) isPaused(now time.Time) bool {
	u := b.paused.Load()
	return u != 0 && now.UnixNano() < u
}

// AllowOnce lets host through blocking until the given time, as the block
// page's "allow once" button does.
func (p *Proxy) AllowOnce(host string, until time.Time) { p.blk.once.add(host, until) }

// AllowFrame lets host's frames (and page loads) through blocking until
// the given time, as a blocked frame's "load once" button does; its
// scripts, images and other requests stay blocked.
func (p *Proxy) AllowFrame(host string, until time.Time) { p.blk.frames.add(host, until) }

// allowOnce holds hosts the user let through for a while.
type allowOnce struct {
	mu    sync.Mutex
	hosts map[string]time.Time
}

const maxAllowOnce = 1000

func (a *allowOnce) add(host string, until time.Time) {
	host = strings.ToLower(host)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hosts == nil {
		a.hosts = map[string]time.Time{}
	}
	if len(a.hosts) >= maxAllowOnce {
		now := time.Now()
		for h, t := range a.hosts {
			if !now.Before(t) {
				delete(a.hosts, h)
			}
		}
	}
	if len(a.hosts) < maxAllowOnce {
		a.hosts[host] = until
	}
}

func (a *allowOnce) allowed(host string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.hosts[host]
	if ok && !now.Before(t) {
		delete(a.hosts, host)
		return false
	}
	return ok
}

// waitHold waits while requests are held; it returns the gate that timed
// out, or nil when the request may go on.
func (b *blockState) waitHold(ctx context.Context) *holdGate {
	g := b.hold.Load()
	if g == nil {
		return nil
	}
	t := time.NewTimer(b.cfg.HoldTimeout)
	defer t.Stop()
	select {
	case <-g.done:
		return nil
	case <-t.C:
		return g
	case <-ctx.Done():
		return g
	}
}

// decision is what blocking made of one request.
type decision struct {
	v       blocklist.Verdict
	typ     blocklist.ResourceType
	blocked bool
}

// block decides a proxied request (plain HTTP, or HTTPS inside an
// intercepted tunnel) and returns the answer to give instead of forwarding
// it, or nil to forward it.
// The request was admitted (no hold keeps it) and decides with the state
// it took, whose policy is pol.
func (p *Proxy) block(r *http.Request, pol *Policy, info *requestInfo) *http.Response {
	if !pol.Protection {
		return nil
	}
	b := &p.blk
	st := p.stateFor(info)
	m := st.matcher.matcher()
	if m == nil {
		return nil
	}
	now := time.Now()
	typ := requestType(r, info.navigation)
	d := status.Decision{Time: now, Host: info.host, Type: typ.String()}
	src := sourceURL(r, typ)
	if typ == blocklist.TypeDocument || src != "" {
		d.Site = info.siteDomain()
	}
	req := b.reqs.Get().(*blocklist.Request)
	req.Reset(requestURL(r), src, typ)
	req.Method = r.Method
	v := m.Match(req)
	d.URL = req.URL
	if uncloak := st.route.CNAMEs; uncloak != nil && !v.Action.Blocked() && v.Action != blocklist.Exception && typ != blocklist.TypeDocument {
		if d.CNAMEs = uncloak(r.Context(), info.host); len(d.CNAMEs) > 0 {
			if cv, ok := m.MatchCNAMEs(req, d.CNAMEs); ok {
				v = cv
			}
		}
	}
	b.reqs.Put(req)
	// Cookie and header protections apply to a tracker let through by an
	// exception, its owner, "allow once", its DNT policy or a pause.
	info.tracker = isTracker(v)
	if b.isPaused(now) {
		if b.cfg.Decisions != nil {
			d.Verdict, d.Reason = status.Allowed, "protection paused"
			b.cfg.Decisions(d)
		}
		return nil
	}
	blocked := v.Action.Blocked()
	if blocked {
		// The EFF policy is a promise about requests that carry DNT: 1,
		// and Polaris holds trackers to it only where the user chose it.
		blocked, d.Reason = p.exempt(st, info.host, now, info.sentDNT1)
		if blocked && (typ == blocklist.TypeSubdocument || typ == blocklist.TypeDocument) && b.frames.allowed(info.host, now) {
			blocked, d.Reason = false, "frame loaded once"
		}
	}
	if b.cfg.Decisions != nil {
		b.cfg.Decisions(fillDecision(d, v, blocked))
	}
	if !blocked {
		return nil
	}
	return p.blockedResponse(r, m, decision{v: v, typ: typ, blocked: true}, info)
}

// isTracker reports whether a verdict names a known tracker, blocked or
// not: a rule or a Tracker Data Set matched it (an exception rule, a
// switched-off category, a tracker allowlist, a first-party or "ignore"
// tracker included), or it is a tracker its owner's site loads. A site on
// the user's allowlist is not looked at, so it names none.
func isTracker(v blocklist.Verdict) bool {
	return v.Tracker || (v.Reason != blocklist.ReasonNone && v.Reason != blocklist.ReasonSiteAllowlisted)
}

// exempt decides whether a host a rule blocks is let through anyway, and
// why: "allow once" from the block page, or Config.Exempt.
func (p *Proxy) exempt(st *state, host string, now time.Time, dnt bool) (blocked bool, reason string) {
	b := &p.blk
	if b.once.allowed(host, now) {
		return false, "allowed once"
	}
	if !dnt {
		return true, ""
	}
	why := ""
	if b.cfg.Exempt != nil {
		why = b.cfg.Exempt(host)
	} else {
		why = p.dntPolicyExempt(st, host)
	}
	return why == "", why
}

// blockConnect decides an HTTPS tunnel that will not be intercepted, on its
// host alone, and returns the refusal to answer it with, or nil to open it.
// It decides with st, or with the state in force when a hold lets it go.
func (p *Proxy) blockConnect(ctx *goproxy.ProxyCtx, st *state, hostPort string) *goproxy.ConnectAction {
	a, _ := p.blockConnectFor(ctx, st, hostPort, true)
	return a
}

// blockConnectFor is blockConnect; blocked says the refusal is for a
// blocked host (not a hold), and record false keeps the decision out of
// the statistics (the requests inside will be decided one by one).
func (p *Proxy) blockConnectFor(ctx *goproxy.ProxyCtx, st *state, hostPort string, record bool) (*goproxy.ConnectAction, bool) {
	if !st.policy.Protection {
		return nil, false
	}
	b := &p.blk
	if b.hold.Load() != nil {
		if g := b.waitHold(ctx.Req.Context()); g != nil {
			return p.refuseConnect(ctx, http.StatusServiceUnavailable, holdPage(hostPort, g)), false
		}
		if st = p.state.Load(); !st.policy.Protection {
			return nil, false
		}
	}
	m := st.matcher.matcher()
	if m == nil {
		return nil, false
	}
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		host = hostPort
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	now := time.Now()
	d := status.Decision{Time: now, URL: "https://" + host + "/", Host: host}
	if b.isPaused(now) {
		if b.cfg.Decisions != nil && record {
			d.Verdict, d.Reason = status.Allowed, "protection paused"
			b.cfg.Decisions(d)
		}
		return nil, false
	}
	v := m.MatchHost(host)
	if uncloak := st.route.CNAMEs; uncloak != nil && !v.Action.Blocked() && v.Action != blocklist.Exception {
		if d.CNAMEs = uncloak(ctx.Req.Context(), host); len(d.CNAMEs) > 0 {
			if cv, ok := m.MatchHostCNAMEs(host, d.CNAMEs); ok {
				v = cv
			}
		}
	}
	blocked := v.Action.Blocked()
	if blocked {
		// A tunnel's requests are unseen: nothing says they carry DNT: 1.
		blocked, d.Reason = p.exempt(st, host, now, false)
	}
	if b.cfg.Decisions != nil && (record || !blocked) {
		b.cfg.Decisions(fillDecision(d, v, blocked))
	}
	if !blocked {
		return nil, false
	}
	return p.refuseBlockedConnect(ctx, host, v), true
}

// requestURL returns the request's absolute URL: as the client sent it
// when it is in absolute form (a plain HTTP request to a proxy: no
// allocation), else rebuilt from the parsed URL.
func requestURL(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		if !strings.ContainsAny(u, "#@") {
			return u
		}
	}
	return r.URL.String()
}

// header is h.Get(key) for a key already in canonical form, without
// canonicalising it again (the server stores keys canonical).
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// fillDecision completes a decision event from a verdict.
func fillDecision(d status.Decision, v blocklist.Verdict, blocked bool) status.Decision {
	d.Rule, d.List, d.Category, d.CNAME = v.Rule, v.List, v.Category, v.CNAME
	switch {
	case blocked && v.Action == blocklist.Redirect:
		d.Verdict = status.Redirected
	case blocked:
		d.Verdict = status.Blocked
	case v.Action.Blocked(): // let through by the user ("allowed once")
		d.Verdict = status.Excepted
	case v.Action == blocklist.Exception:
		d.Verdict = status.Excepted
		d.Reason = v.Reason.String()
	default:
		d.Verdict = status.Allowed
		if v.Reason != blocklist.ReasonNone {
			d.Reason = v.Reason.String()
		}
	}
	return d
}

// requestType tells what a request fetches: from Sec-Fetch-Dest, which
// browsers send to HTTPS and loopback origins, else from the shape of a
// navigation, a WebSocket handshake, or the Accept header.
func requestType(r *http.Request, navigation bool) blocklist.ResourceType {
	if dest := header(r.Header, "Sec-Fetch-Dest"); dest != "" {
		return blocklist.ResourceTypeFromFetchDest(dest)
	}
	if isWebSocket(r.Header) {
		return blocklist.TypeWebSocket
	}
	if navigation {
		return blocklist.TypeDocument
	}
	accept := strings.ToLower(header(r.Header, "Accept"))
	switch {
	case strings.HasPrefix(accept, "image/"):
		return blocklist.TypeImage
	case strings.HasPrefix(accept, "text/css"):
		return blocklist.TypeStylesheet
	case strings.Contains(accept, "javascript") || strings.Contains(accept, "ecmascript"):
		return blocklist.TypeScript
	case strings.HasPrefix(accept, "font/") || strings.HasPrefix(accept, "application/font"):
		return blocklist.TypeFont
	case strings.HasPrefix(accept, "video/") || strings.HasPrefix(accept, "audio/"):
		return blocklist.TypeMedia
	}
	return blocklist.TypeUnknown
}

// sourceURL returns the URL of the page a request comes from, for the
// engine: Origin, else Referer, else the request's own origin when
// Sec-Fetch-Site says it is same-origin or same-site; "" when unknown and
// for page loads (a page is its own site).
func sourceURL(r *http.Request, typ blocklist.ResourceType) string {
	if typ == blocklist.TypeDocument {
		return ""
	}
	if o := header(r.Header, "Origin"); o != "" && o != "null" {
		return o
	}
	if ref := header(r.Header, "Referer"); ref != "" {
		return ref
	}
	switch header(r.Header, "Sec-Fetch-Site") {
	case "same-origin", "same-site":
		return r.URL.Scheme + "://" + r.URL.Host + "/"
	}
	return ""
}

// blockingSummary describes the state of blocking for the status page.
func (p *Proxy) blockingSummary(protection bool) string {
	b := &p.blk
	now := time.Now()
	switch m := p.state.Load().matcher.matcher(); {
	case !protection:
		return "off (protection is off)"
	case b.hold.Load() != nil:
		return "loading the lists (traffic waits)"
	case b.isPaused(now):
		if b.paused.Load() == math.MaxInt64 {
			return "paused until Polaris restarts"
		}
		return "paused until " + time.Unix(0, b.paused.Load()).Format("15:04")
	case m == nil:
		return "on, but no list is loaded"
	default:
		st := m.Stats()
		return "on, " + strconv.Itoa(st.Rules+st.Trackers) + " rules"
	}
}
