// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// attemptDelay is how long a connection attempt runs alone before the next
// address is tried too (RFC 8305's recommended 250 ms).
const attemptDelay = 250 * time.Millisecond

// DialContext connects to addr ("host:port") over network ("tcp", "tcp4"
// or "tcp6"), looking the host up through the cache. Lookup errors are
// returned as they are (*net.DNSError, *UnreachableError).
func (r *Resolver) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ans, err := r.Lookup(ctx, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	addrs := ans.Addrs
	switch network {
	case "tcp4":
		addrs = only(addrs, true)
	case "tcp6":
		addrs = only(addrs, false)
	}
	if len(addrs) == 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no suitable address", Name: host, IsNotFound: true}}
	}
	return dialAddrs(ctx, network, addrs, port, r.cfg.Control)
}

func only(addrs []netip.Addr, v4 bool) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		if a.Is4() == v4 {
			out = append(out, a)
		}
	}
	return out
}

// dialAddrs connects to the first of addrs that answers, Happy Eyeballs
// style (RFC 8305): the families alternate, starting with the first
// address's, and each attempt gets attemptDelay (or until it fails) before
// the next one starts alongside it.
func dialAddrs(ctx context.Context, network string, addrs []netip.Addr, port string, control func(context.Context, string, string, syscall.RawConn) error) (net.Conn, error) {
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, errors.New("bad port " + port)
	}
	order := interleave(addrs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan dialResult, len(order))
	var d net.Dialer
	d.KeepAlive = 30 * time.Second
	d.ControlContext = control
	start := func(a netip.Addr) {
		go func() {
			c, err := d.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(p)).String())
			results <- dialResult{c, err}
		}()
	}
	next, running := 0, 0
	var firstErr error
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if next < len(order) && running == 0 {
			start(order[next])
			next, running = next+1, running+1
			timer.Reset(attemptDelay)
		}
		select {
		case res := <-results:
			running--
			if res.err == nil {
				cancel()
				go drain(results, running)
				return res.c, nil
			}
			if firstErr == nil {
				firstErr = res.err
			}
			if next >= len(order) && running == 0 {
				return nil, firstErr
			}
		case <-timer.C:
			if next < len(order) {
				start(order[next])
				next, running = next+1, running+1
				timer.Reset(attemptDelay)
			}
		case <-ctx.Done():
			go drain(results, running)
			if firstErr == nil {
				firstErr = ctx.Err()
			}
			return nil, firstErr
		}
	}
}

type dialResult struct {
	c   net.Conn
	err error
}

// drain closes the connections of attempts that finish after a winner.
func drain(results chan dialResult, n int) {
	for ; n > 0; n-- {
		if c := (<-results).c; c != nil {
			c.Close()
		}
	}
}

// interleave orders addresses by alternating families, starting with the
// family of the first one, keeping the order within a family.
func interleave(addrs []netip.Addr) []netip.Addr {
	if len(addrs) < 2 {
		return addrs
	}
	firstV4 := addrs[0].Is4()
	var a, b []netip.Addr
	for _, x := range addrs {
		if x.Is4() == firstV4 {
			a = append(a, x)
		} else {
			b = append(b, x)
		}
	}
	out := make([]netip.Addr, 0, len(addrs))
	for i := 0; i < len(a) || i < len(b); i++ {
		if i < len(a) {
			out = append(out, a[i])
		}
		if i < len(b) {
			out = append(out, b[i])
		}
	}
	return out
}
