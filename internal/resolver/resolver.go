// SPDX-License-Identifier: GPL-3.0-or-later

// Package resolver looks host names up for Polaris's direct connections: the
// system's resolver by default, or an encrypted resolver the user chose
// (DNS over HTTPS, RFC 8484, or DNS over TLS, RFC 7858), which it never falls
// back from. Answers are cached per TTL in a bounded cache, together with the
// CNAME chain that led to them (for CNAME uncloaking) and, when asked for,
// the ECH configuration of the host's HTTPS record (RFC 9460). DialContext
// connects to a host through the cache (Happy Eyeballs over its addresses).
//
// It is an adapter over github.com/miekg/dns: no type of that library is
// visible outside this package.
package resolver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults for the zero values of Config.
const (
	DefaultCacheSize = 4096
	DefaultTimeout   = 5 * time.Second
	// systemTTL is how long an answer of the system resolver is kept: it
	// gives no TTL (browsers keep such answers about a minute too).
	systemTTL = time.Minute
	// minTTL and maxTTL bound the TTL of a cached answer: a TTL of 0 or 1 s
	// would send a query for every connection, and a day-long one would keep
	// an address long after the site moved.
	minTTL = 30 * time.Second
	maxTTL = time.Hour
	// negTTL bounds how long "no such host" and other failures are kept.
	negTTL = 30 * time.Second
	// maxStale is how long past its TTL a chain may still decide a request
	// while the answer is refreshed in the background (RFC 8767).
	maxStale = time.Hour
)

// Server is an encrypted resolver.
type Server struct {
	// URL is "https://host[:port]/path" for DNS over HTTPS or
	// "tls://host[:port]" for DNS over TLS (port 853 by default).
	URL string
	// Addrs are the server's own addresses. When set, its name is never
	// looked up; otherwise it is looked up once with the system resolver
	// (the only name that ever is), and again when none of its addresses
	// answers.
	Addrs []netip.Addr
}

// Config configures a Resolver. The zero value uses the system resolver.
type Config struct {
	// Server is the encrypted resolver; a zero Server (no URL) uses the
	// system resolver.
	Server Server
	// System is the system resolver: it answers in system mode, and looks
	// up the encrypted server's own name when Server.Addrs is empty. nil
	// uses net.DefaultResolver.
	System *net.Resolver
	// RootCAs verifies the encrypted server's certificate; nil uses the
	// system roots.
	RootCAs *x509.CertPool
	// HTTPSRecords: an encrypted lookup also asks for the host's HTTPS
	// record, for its ECH configuration (Answer.ECH).
	HTTPSRecords bool
	// Chains: in system mode, a lookup also asks the system for the host's
	// canonical name (Answer.CNAMEs), at the same time as its addresses.
	// An encrypted lookup always has the whole chain.
	Chains bool
	// CacheSize bounds the number of host names cached (default
	// DefaultCacheSize).
	CacheSize int
	// Timeout bounds one query to the encrypted server (default
	// DefaultTimeout).
	Timeout time.Duration
	// OnChange, if set, is called when the encrypted server stops or
	// starts answering (see Status.LastErr). It runs on the lookup's
	// goroutine: it must return quickly.
	OnChange func()
	// Logf receives operational messages; nil discards them.
	Logf func(format string, args ...any)
	// Control, if set, is the ControlContext of the dialer of DialContext:
	// it sees each address DialContext is about to connect to, after the
	// lookup, and may refuse it (its error is returned). It is not used
	// for the encrypted server's own connections.
	Control func(ctx context.Context, network, address string, c syscall.RawConn) error
}

// Answer is what a lookup found. Its slices belong to the cache: callers
// must not change them.
type Answer struct {
	// Addrs are the host's addresses, IPv6 and IPv4.
	Addrs []netip.Addr
	// CNAMEs is the chain of canonical names the host is an alias of, in
	// order (the last is the name that holds the addresses); empty when
	// the host is not an alias. The system resolver gives the last one only.
	CNAMEs []string
	// ECH is the ECHConfigList of the host's HTTPS record (RFC 9460 "ech"),
	// nil when there is none or HTTPS records were not asked for.
	ECH []byte
}

// ErrUnreachable matches (errors.Is) the error of a lookup that could not
// be made because the encrypted server did not answer. Nothing was sent in
// the clear instead.
var ErrUnreachable = errors.New("the encrypted DNS server cannot be reached")

// UnreachableError is the error of a lookup the encrypted server did not
// answer.
type UnreachableError struct {
	Server string // the server's URL
	Err    error  // why
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the encrypted DNS server %s cannot be reached: %v", e.Server, e.Err)
}

// Unwrap lets errors.Is match ErrUnreachable and the cause.
func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// Status is the resolver's state.
type Status struct {
	// Encrypted: names go to Server over DoH or DoT.
	Encrypted bool
	// Server is the encrypted server's URL ("" in system mode).
	Server string
	// Queries counts the queries sent (system lookups in system mode).
	Queries uint64
	// Hits and Misses count cache lookups.
	Hits, Misses uint64
	// Failures counts lookups the server did not answer.
	Failures uint64
	// LastErr is the last failure to reach the server, "" once it answered
	// again.
	LastErr string
}

// Resolver looks names up and dials through its cache. Its methods are safe
// for concurrent use.
type Resolver struct {
	cfg      Config
	system   *net.Resolver
	hosts    *net.Resolver // /etc/hosts only: never sends a query
	upstream exchanger     // nil in system mode
	cache    *cache
	flight   singleflight.Group

	ctx    context.Context // ends at Shutdown; owns background refreshes
	cancel context.CancelFunc
	bg     sync.WaitGroup

	queries, failures atomic.Uint64
	lastErr           atomic.Pointer[string]
}

// exchanger sends one query to an encrypted server.
type exchanger interface {
	exchange(ctx context.Context, query []byte) ([]byte, error)
	close()
}

// New builds a resolver. An encrypted server's URL is checked here; nothing
// is sent before the first lookup.
func New(cfg Config) (*Resolver, error) {
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	r := &Resolver{cfg: cfg, system: cfg.System, cache: newCache(cfg.CacheSize)}
	if r.system == nil {
		r.system = net.DefaultResolver
	}
	r.hosts = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errHostsOnly
	}}
	if cfg.Server.URL != "" {
		up, err := r.newUpstream(cfg.Server)
		if err != nil {
			return nil, err
		}
		r.upstream = up
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

var errHostsOnly = errors.New("hosts file only")

// newUpstream builds the client of an encrypted server.
func (r *Resolver) newUpstream(s Server) (exchanger, error) {
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("encrypted DNS server %q: want https://host/path or tls://host", s.URL)
	}
	b := &bootstrap{host: u.Hostname(), addrs: unmapAll(s.Addrs), given: len(s.Addrs) > 0, system: r.system, logf: r.cfg.Logf}
	if ip, err := netip.ParseAddr(b.host); err == nil {
		b.addrs, b.given = []netip.Addr{ip.Unmap()}, true
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Path == "" {
			u.Path = "/dns-query"
		}
		return newDoH(u, b, r.cfg.RootCAs), nil
	case "tls":
		if u.Path != "" && u.Path != "/" {
			return nil, fmt.Errorf("encrypted DNS server %q: a tls:// address has no path", s.URL)
		}
		return newDoT(u, b, r.cfg.RootCAs), nil
	}
	return nil, fmt.Errorf("encrypted DNS server %q: want https:// (DNS over HTTPS) or tls:// (DNS over TLS)", s.URL)
}

// Encrypted reports whether names go to an encrypted server.
func (r *Resolver) Encrypted() bool { return r.upstream != nil }

// Shutdown stops background refreshes and closes the connections to the
// encrypted server. Lookups after it fail.
func (r *Resolver) Shutdown(ctx context.Context) error {
	r.cancel()
	done := make(chan struct{})
	go func() { r.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.upstream != nil {
		r.upstream.close()
	}
	return nil
}

// Status returns the resolver's state.
func (r *Resolver) Status() Status {
	st := Status{Encrypted: r.upstream != nil, Server: r.cfg.Server.URL, Queries: r.queries.Load(),
		Failures: r.failures.Load()}
	st.Hits, st.Misses = r.cache.hits.Load(), r.cache.misses.Load()
	if e := r.lastErr.Load(); e != nil {
		st.LastErr = *e
	}
	return st
}

// Lookup returns the addresses of host and the CNAME chain that led to
// them, from the cache while the answer's TTL lasts. Concurrent lookups of
// one host share one query. A host that does not exist gives a
// *net.DNSError with IsNotFound; an encrypted server that does not answer
// an *UnreachableError (ErrUnreachable) — never a plain lookup instead.
func (r *Resolver) Lookup(ctx context.Context, host string) (Answer, error) {
	host = normalize(host)
	if ip, ok := parseIP(host); ok {
		return Answer{Addrs: []netip.Addr{ip.Unmap()}}, nil
	}
	if e, fresh := r.cache.get(host, time.Now()); e != nil && fresh {
		return e.ans, e.err
	}
	return r.refresh(ctx, host)
}

// CNAMEs returns the chain of canonical names of host (see Answer.CNAMEs)
// for deciding a request: a cached chain serves up to maxStale past its
// TTL while a fresh one is fetched in the background, so a request on an
// open connection never waits for DNS. Failures give nil.
func (r *Resolver) CNAMEs(ctx context.Context, host string) []string {
	host = normalize(host)
	if _, ok := parseIP(host); ok {
		return nil
	}
	now := time.Now()
	if e, fresh := r.cache.get(host, now); e != nil {
		if !fresh && now.Before(e.expires.Add(maxStale)) {
			r.refreshLater(host)
			return e.ans.CNAMEs
		}
		if fresh {
			return e.ans.CNAMEs
		}
	}
	ans, _ := r.refresh(ctx, host)
	return ans.CNAMEs
}

// refresh looks host up now (one query for concurrent callers) and caches
// the answer. The query runs on the resolver's context, bounded by the
// timeout, so that a caller giving up does not fail the others.
func (r *Resolver) refresh(ctx context.Context, host string) (Answer, error) {
	ch := r.flight.DoChan(host, func() (any, error) {
		qctx, cancel := context.WithTimeout(r.ctx, 2*r.cfg.Timeout)
		defer cancel()
		ans, ttl, err := r.resolve(qctx, host)
		if !isUnreachable(err) {
			r.cache.put(host, ans, err, ttl, time.Now())
		}
		return ans, err
	})
	select {
	case res := <-ch:
		ans, _ := res.Val.(Answer)
		return ans, res.Err
	case <-ctx.Done():
		return Answer{}, ctx.Err()
	}
}

// refreshLater refreshes host in the background (at most one at a time per
// host, owned by the resolver's context).
func (r *Resolver) refreshLater(host string) {
	if r.ctx.Err() != nil {
		return
	}
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		r.refresh(r.ctx, host)
	}()
}

// resolve asks the hosts file, then the system or the encrypted server.
func (r *Resolver) resolve(ctx context.Context, host string) (Answer, time.Duration, error) {
	if ans, ok := r.special(ctx, host); ok {
		return ans, maxTTL, nil
	}
	if isOnion(host) || isInvalid(host) {
		return Answer{}, negTTL, notFound(host)
	}
	if r.upstream == nil {
		ans, err := r.resolveSystem(ctx, host)
		return ans, systemTTL, err
	}
	if strings.HasSuffix(host, ".local") {
		// Link-local names (RFC 6762) mean something on this network only;
		// an encrypted server on the Internet cannot know them.
		ans, err := r.resolveSystem(ctx, host)
		return ans, systemTTL, err
	}
	return r.resolveEncrypted(ctx, host)
}

// special answers host from the hosts file (and "localhost"), which never
// sends a query: names listed there stay local, as with the system's
// resolver.
func (r *Resolver) special(ctx context.Context, host string) (Answer, bool) {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return Answer{Addrs: []netip.Addr{netip.IPv6Loopback(), netip.AddrFrom4([4]byte{127, 0, 0, 1})}}, true
	}
	if r.upstream == nil {
		return Answer{}, false // the system resolver reads the hosts file itself
	}
	addrs, err := r.hosts.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return Answer{}, false
	}
	return Answer{Addrs: unmapAll(addrs)}, true
}

// resolveSystem asks the system resolver for the addresses and, at the
// same time, the canonical names.
func (r *Resolver) resolveSystem(ctx context.Context, host string) (Answer, error) {
	r.queries.Add(1)
	var chain []string
	done := make(chan struct{})
	if r.cfg.Chains {
		go func() {
			defer close(done)
			chain = r.systemChain(ctx, host)
		}()
	} else {
		close(done)
	}
	addrs, err := r.system.LookupNetIP(ctx, "ip", host)
	<-done
	if err != nil {
		return Answer{}, err
	}
	return Answer{Addrs: unmapAll(addrs), CNAMEs: chain}, nil
}

// systemChain follows host's canonical names through the system resolver.
// Go's resolver answers LookupCNAME with the chain's last name or, when it
// asks for the CNAME record itself, with the next one only (seen: a.test
// gave b.test of a -> b -> c one time in ten), so it asks again from each
// name until a name is its own canonical name, at most maxChain times.
func (r *Resolver) systemChain(ctx context.Context, host string) []string {
	var chain []string
	name := normalize(host)
	for len(chain) < maxChain {
		c, err := r.system.LookupCNAME(ctx, name)
		if err != nil {
			break
		}
		c = normalize(c)
		if c == "" || c == name || c == normalize(host) || slices.Contains(chain, c) {
			break
		}
		chain = append(chain, c)
		name = c
	}
	return chain
}

func (r *Resolver) failed(err error) {
	r.failures.Add(1)
	msg := err.Error()
	if old := r.lastErr.Swap(&msg); old == nil {
		r.cfg.Logf("encrypted DNS: %v", err)
		r.changed()
	}
}

func (r *Resolver) answered() {
	if r.lastErr.Swap(nil) != nil {
		r.cfg.Logf("encrypted DNS: %s answers again", r.cfg.Server.URL)
		r.changed()
	}
}

func (r *Resolver) changed() {
	if r.cfg.OnChange != nil {
		r.cfg.OnChange()
	}
}

func isUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }

// notFound is the error of a host that does not exist.
func notFound(host string) error {
	return &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// normalize lower-cases host and drops a final dot and IPv6 brackets.
func normalize(host string) string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// parseIP parses host as an IP address, without the cost of an error for
// the names that cannot be one (a name's last label never starts with a
// digit; an IPv6 address has a colon).
func parseIP(host string) (netip.Addr, bool) {
	if i := strings.LastIndexByte(host, '.'); !strings.Contains(host, ":") && (i+1 >= len(host) || host[i+1] < '0' || host[i+1] > '9') {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(host)
	return ip, err == nil
}

func isOnion(host string) bool { return host == "onion" || strings.HasSuffix(host, ".onion") }

func isInvalid(host string) bool { return host == "invalid" || strings.HasSuffix(host, ".invalid") }

func unmapAll(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.Unmap())
	}
	return out
}

func clampTTL(d time.Duration) time.Duration {
	return min(max(d, minTTL), maxTTL)
}
