// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/ca"
	"polaris/internal/lists"
	"polaris/internal/resolver"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
)

// DNS: in direct mode every name Polaris looks up goes through one
// resolver (internal/resolver): the system's by default, or the encrypted
// resolver the user chose, which fails closed. In Tor mode it is not used:
// Tor resolves at the exit.

// dnsPart is the App's part for DNS: the resolver of direct connections.
type dnsPart struct {
	*core
	dns dnsState
}

// dnsState is the resolver in use for direct connections.
type dnsState struct {
	mu  sync.Mutex // serialises building resolvers
	cur atomic.Pointer[dnsInUse]
	// uncloak: blocking decides requests on their CNAME chains too
	// (blocking.cname-uncloaking, with protection on).
	uncloak atomic.Bool
}

// dnsInUse is a resolver and what it was built from; it is never changed.
type dnsInUse struct {
	res  *resolver.Resolver
	key  string // the configuration res was built with
	name string // the resolver's name for people ("Quad9"), "" for the system's
}

// dnsKey identifies the settings a resolver depends on.
func dnsKey(s settings.Settings) string {
	if !s.DNS.Encrypted {
		return "system " + fmt.Sprint(wantChains(s))
	}
	u, addrs := s.DNS.Server()
	extra := s.HTTPS.UpstreamCA
	if extra != "" {
		extra += "|" + fileSig(extra)
	}
	return strings.Join([]string{u, strings.Join(addrs, ","), extra, fmt.Sprint(s.HTTPS.Filter)}, "\x00")
}

// resolverFor returns the resolver for settings s, building a new one when
// they changed; the one it replaces is shut down a little later (lookups in
// flight may still use it).
func (d *dnsPart) resolverFor(s settings.Settings) *dnsInUse {
	d.dns.mu.Lock()
	defer d.dns.mu.Unlock()
	key := dnsKey(s)
	if cur := d.dns.cur.Load(); cur != nil && key == cur.key {
		return cur
	}
	res, name, err := d.newResolver(s)
	if err != nil {
		// Settings are validated before they are stored, so this is an
		// address the resolver refuses: fail closed rather than fall back.
		d.noticef(status.Error, "Encrypted DNS cannot be used: %v. Nothing is looked up until this is fixed, or until you turn encrypted DNS off.", err)
		res, _ = resolver.New(resolver.Config{Server: resolver.Server{URL: "tls://unusable.invalid"}, System: refusingResolver})
		name = s.DNS.ResolverName()
	}
	in := &dnsInUse{res: res, key: key, name: name}
	if old := d.dns.cur.Swap(in); old != nil {
		time.AfterFunc(time.Minute, func() { old.res.Shutdown(context.Background()) })
		if old.res.Encrypted() != res.Encrypted() || old.name != name {
			d.log.Printf("DNS for direct connections: %s", in.describe())
		}
	}
	return in
}

func (d *dnsInUse) describe() string {
	if !d.res.Encrypted() {
		return "the system's resolver"
	}
	return "encrypted, " + d.name
}

// refusingResolver never looks anything up (a resolver whose configuration
// is unusable must not bootstrap in the clear).
var refusingResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no lookup")
}}

// wantChains says whether lookups need CNAME chains (for uncloaking).
func wantChains(s settings.Settings) bool { return s.Protection && s.Blocking.UncloakCNAMEs }

func (d *dnsPart) newResolver(s settings.Settings) (*resolver.Resolver, string, error) {
	cfg := resolver.Config{System: d.opts.Resolver, Chains: wantChains(s), Logf: d.log.Printf, OnChange: d.hub.poke}
	if !s.DNS.Encrypted {
		res, err := resolver.New(cfg)
		return res, "", err
	}
	u, addrs := s.DNS.Server()
	cfg.Server.URL = u
	// ECH upstream needs the sites' HTTPS records, and only Polaris's own
	// TLS (HTTPS filtering) can use them.
	cfg.HTTPSRecords = s.HTTPS.Filter
	for _, v := range addrs {
		if ip, err := netip.ParseAddr(v); err == nil {
			cfg.Server.Addrs = append(cfg.Server.Addrs, ip)
		}
	}
	if pool, err := ca.ExtraRoots(s.HTTPS.UpstreamCA); err == nil {
		cfg.RootCAs = pool
	}
	res, err := resolver.New(cfg)
	return res, s.DNS.ResolverName(), err
}

// directRoute is the route of direct mode. Its dialer takes the resolver
// in force when it dials, so a change of DNS settings applies to the next
// connection without cutting the open ones (none of them carries a name
// lookup). An encrypted resolver that cannot be reached is shown as a
// refusal page.
func (d *dnsPart) directRoute(s settings.Settings) proxy.Route {
	d.resolverFor(s)
	d.dns.uncloak.Store(wantChains(s))
	return proxy.Route{Name: "direct", Dial: d.directDial, CNAMEs: d.cnames, ECHConfigs: d.echConfigs}
}

// echConfigs is host's ECH configuration list from its HTTPS record, when
// the encrypted resolver asks for them (HTTPS filtering on): the lookup
// the connection makes anyway. With the system's resolver there is none:
// hiding the name in TLS while sending it in clear DNS would hide nothing.
func (d *dnsPart) echConfigs(ctx context.Context, host string) []byte {
	in := d.dns.cur.Load()
	if in == nil || !in.res.Encrypted() {
		return nil
	}
	ans, err := in.res.Lookup(ctx, host)
	if err != nil {
		return nil
	}
	return ans.ECH
}

// cnames is the CNAME chain of host for uncloaking: from the resolver's
// cache, the same lookup the connection uses.
func (d *dnsPart) cnames(ctx context.Context, host string) []string {
	in := d.dns.cur.Load()
	if in == nil || !d.dns.uncloak.Load() {
		return nil
	}
	return in.res.CNAMEs(ctx, host)
}

func (d *dnsPart) directDial(ctx context.Context, network, addr string) (net.Conn, error) {
	in := d.dns.cur.Load()
	if in == nil {
		return nil, errors.New("polaris is stopping")
	}
	c, err := in.res.DialContext(ctx, network, addr)
	if errors.Is(err, resolver.ErrUnreachable) {
		return nil, dnsRefusal(in.name)
	}
	return c, err
}

// dnsRefusal is the page for a request whose name the encrypted resolver
// could not look up.
func dnsRefusal(name string) *proxy.Refusal {
	return &proxy.Refusal{
		Code:  503,
		Title: "Encrypted DNS cannot be reached",
		Text: fmt.Sprintf("Polaris could not reach %s, the encrypted DNS resolver you chose, to find this site. "+
			"Nothing was sent: while encrypted DNS is on, Polaris never looks names up in the clear. "+
			"Check that this computer is connected. On a network that blocks encrypted DNS, or a Wi-Fi that wants you to log in first, "+
			"turn encrypted DNS off in Polaris (your network then sees the names of the sites you visit).", name),
	}
}

// dnsStatus reports the resolver in use.
func (d *dnsPart) dnsStatus(s settings.Settings) status.DNS {
	st := status.DNS{Encrypted: s.DNS.Encrypted && !s.Tor.Enabled}
	if st.Encrypted {
		st.Resolver = s.DNS.ResolverName()
		st.Address, _ = s.DNS.Server()
	}
	in := d.dns.cur.Load()
	if in == nil {
		return st
	}
	rs := in.res.Status()
	st.Queries, st.Hits, st.Misses = rs.Queries, rs.Hits, rs.Misses
	if st.Encrypted && in.key == dnsKey(s) {
		st.Err = rs.LastErr
	}
	return st
}

// stopResolver shuts the resolver down when the engine stops.
func (d *dnsPart) stopResolver(ctx context.Context) {
	d.dns.mu.Lock()
	in := d.dns.cur.Swap(nil)
	d.dns.mu.Unlock()
	if in != nil {
		in.res.Shutdown(ctx)
	}
}

// encryptedTransport downloads lists with encrypted DNS when Polaris does
// not run (the CLI): direct, with names looked up by the encrypted
// resolver alone.
func (d *dnsPart) encryptedTransport(s settings.Settings) http.RoundTripper {
	res, _, err := d.newResolver(s)
	return lists.NewDirectTransport(func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err != nil {
			return nil, fmt.Errorf("encrypted DNS cannot be used: %w", err)
		}
		c, err := res.DialContext(ctx, network, addr)
		if errors.Is(err, resolver.ErrUnreachable) {
			return nil, dnsRefusal(s.DNS.ResolverName())
		}
		return c, err
	})
}
