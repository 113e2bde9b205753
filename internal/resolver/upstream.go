// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// bootstrap knows how to reach the encrypted server: its addresses, given
// or looked up once with the system resolver. That lookup is the only name
// ever sent in the clear, and only when the user gave no address.
type bootstrap struct {
	host   string
	system *net.Resolver
	logf   func(string, ...any)

	mu     sync.Mutex
	addrs  []netip.Addr
	given  bool // addrs came from the configuration: never looked up
	looked time.Time
}

// dial connects to the server's port, looking its name up first if needed.
func (b *bootstrap) dial(ctx context.Context, port string) (net.Conn, error) {
	addrs, err := b.resolve(ctx)
	if err != nil {
		return nil, err
	}
	c, err := dialAddrs(ctx, "tcp", addrs, port, nil)
	if err != nil {
		b.forget()
	}
	return c, err
}

// resolve returns the server's addresses.
func (b *bootstrap) resolve(ctx context.Context) ([]netip.Addr, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.addrs) > 0 {
		return b.addrs, nil
	}
	addrs, err := b.system.LookupNetIP(ctx, "ip", b.host)
	if err != nil {
		return nil, fmt.Errorf("looking up the server's own name %s: %w", b.host, err)
	}
	b.addrs, b.looked = unmapAll(addrs), time.Now()
	b.logf("encrypted DNS: %s is at %v", b.host, b.addrs)
	return b.addrs, nil
}

// forget drops looked-up addresses after none of them answered, so the next
// connection looks the name up again (at most once a minute).
func (b *bootstrap) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.given && !b.looked.IsZero() && time.Since(b.looked) > time.Minute {
		b.addrs = nil
	}
}

func tlsConfig(host string, roots *x509.CertPool, protos []string) *tls.Config {
	return &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: protos}
}

// maxAnswer bounds a DNS answer (the largest DNS message).
const maxAnswer = 65535

// doh is a DNS-over-HTTPS client (RFC 8484): POSTs over HTTP/2 on pooled
// connections, without cookies or a User-Agent.
type doh struct {
	url string
	tr  *http.Transport
}

func newDoH(u *url.URL, b *bootstrap, roots *x509.CertPool) *doh {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return b.dial(ctx, port)
		},
		TLSClientConfig:     tlsConfig(b.host, roots, []string{"h2", "http/1.1"}),
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: DefaultTimeout,
		MaxIdleConns:        4,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}
	return &doh{url: u.String(), tr: tr}
}

func (d *doh) exchange(ctx context.Context, query []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(query))
	if err != nil {
		return nil, err
	}
	req.Header = http.Header{
		"Content-Type": {"application/dns-message"},
		"Accept":       {"application/dns-message"},
		"User-Agent":   {""}, // none
	}
	resp, err := d.tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/dns-message" {
		return nil, fmt.Errorf("the server answered %q, not a DNS message", ct)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxAnswer {
		return nil, errors.New("the server's answer is too long")
	}
	return body, nil
}

func (d *doh) close() { d.tr.CloseIdleConnections() }

// dot is a DNS-over-TLS client (RFC 7858): a few TLS connections kept open
// and reused, one query at a time on each.
type dot struct {
	port   string
	boot   *bootstrap
	tlsCfg *tls.Config
	idle   chan idleConn

	mu     sync.Mutex
	closed bool
}

// idleConn is a kept connection and when it was last used.
type idleConn struct {
	co   *dns.Conn
	used time.Time
}

// dotIdle bounds the connections kept open; dotIdleTime is how long one is
// kept unused (servers close theirs after about 10 s).
const (
	dotIdle     = 4
	dotIdleTime = 8 * time.Second
)

func newDoT(u *url.URL, b *bootstrap, roots *x509.CertPool) *dot {
	port := u.Port()
	if port == "" {
		port = "853"
	}
	return &dot{port: port, boot: b, tlsCfg: tlsConfig(b.host, roots, []string{"dot"}), idle: make(chan idleConn, dotIdle)}
}

func (d *dot) exchange(ctx context.Context, query []byte) ([]byte, error) {
	m := new(dns.Msg)
	if err := m.Unpack(query); err != nil {
		return nil, err
	}
	m.Id = dns.Id()
	// A kept connection may have been closed by the server meanwhile: one
	// more try on a new connection.
	for try := 0; ; try++ {
		co, reused, err := d.conn(ctx, try == 0)
		if err != nil {
			return nil, err
		}
		ans, err := d.roundTrip(ctx, co, m)
		if err == nil {
			d.put(co)
			ans.Id = 0
			return ans.Pack()
		}
		co.Close()
		if !reused || try > 0 || ctx.Err() != nil {
			return nil, err
		}
	}
}

func (d *dot) roundTrip(ctx context.Context, co *dns.Conn, m *dns.Msg) (*dns.Msg, error) {
	if dl, ok := ctx.Deadline(); ok {
		co.SetDeadline(dl)
	}
	if err := co.WriteMsg(m); err != nil {
		return nil, err
	}
	for {
		ans, err := co.ReadMsg()
		if err != nil {
			return nil, err
		}
		if ans.Id == m.Id {
			return ans, nil
		}
	}
}

// conn takes a kept connection (when reuse) or opens one.
func (d *dot) conn(ctx context.Context, reuse bool) (*dns.Conn, bool, error) {
	for reuse {
		select {
		case ic := <-d.idle:
			if time.Since(ic.used) < dotIdleTime {
				return ic.co, true, nil
			}
			ic.co.Close()
			continue
		default:
		}
		break
	}
	raw, err := d.boot.dial(ctx, d.port)
	if err != nil {
		return nil, false, err
	}
	tc := tls.Client(raw, d.tlsCfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, false, err
	}
	return &dns.Conn{Conn: tc}, false, nil
}

func (d *dot) put(co *dns.Conn) {
	co.SetDeadline(time.Time{})
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		co.Close()
		return
	}
	select {
	case d.idle <- idleConn{co, time.Now()}:
	default:
		co.Close()
	}
}

func (d *dot) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	for {
		select {
		case ic := <-d.idle:
			ic.co.Close()
		default:
			return
		}
	}
}
