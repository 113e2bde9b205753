// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Clients on the network (Config.Listen on a LAN address, with Auth) use
// Polaris to reach the web, never this computer itself: its loopback
// services (another Polaris without a password would make it an open
// proxy, a database, a development server), its link-local neighbours and
// its own addresses. The destination is checked after the name is
// resolved, when the connection is made, so that a name resolving to
// 127.0.0.1 is refused too, whichever resolver is in use:
//
//   - before the connection attempt, by CheckDial, the Control function of
//     the direct dialer and of the resolver's (no packet is sent);
//   - after it, on the connection's remote address (route.dial), for a
//     dialer that has no such hook.
//
// A route that dials through another proxy (Tor) is left to it: the
// connection goes to Tor's port, and Tor refuses internal addresses at its
// exit. A LAN client's requests use upstream pools of their own, so that
// they never reuse a connection a local client opened to this computer.

// lanRefusal is the page for a LAN client's request to this computer.
var lanRefusal = &Refusal{
	Code:  403,
	Title: "This computer's own services are not reachable from the network",
	Text:  "Polaris lets other computers on your network reach the web through it, not the services of the computer it runs on (its own addresses, loopback and link-local addresses). Nothing was sent.",
}

type lanClientKey struct{}

// withClient marks ctx as a request of a client that is not on this
// computer (remote is its address, host:port).
func withClient(ctx context.Context, remote string) context.Context {
	if ap, err := netip.ParseAddrPort(remote); err == nil && ap.Addr().Unmap().IsLoopback() {
		return ctx
	}
	return context.WithValue(ctx, lanClientKey{}, true)
}

// fromLAN reports whether ctx is a request of a client on the network.
func fromLAN(ctx context.Context) bool {
	v, _ := ctx.Value(lanClientKey{}).(bool)
	return v
}

// CheckDial is a net.Dialer ControlContext: it refuses (with the page
// saying why) a connection of a client on the network to this computer.
// Give it to every dialer that connects for Polaris's requests.
func CheckDial(ctx context.Context, network, address string, _ syscall.RawConn) error {
	if !fromLAN(ctx) {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || closedToLAN(ap.Addr()) {
		return lanRefusal
	}
	return nil
}

// checkConnected refuses a connection made for a client on the network
// whose remote address turned out to be this computer.
func checkConnected(ctx context.Context, c net.Conn) error {
	if !fromLAN(ctx) {
		return nil
	}
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return nil // not TCP: a test's pipe, nothing to check
	}
	a, ok := netip.AddrFromSlice(ta.IP)
	if !ok || closedToLAN(a) {
		return lanRefusal
	}
	return nil
}

// checkLiteral refuses at once a LAN client's request for an address that
// names this computer without a lookup (an IP address, "localhost").
func checkLiteral(ctx context.Context, hostport string) error {
	if !fromLAN(ctx) {
		return nil
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if isLocalhostName(host) {
		return lanRefusal
	}
	if a, err := netip.ParseAddr(host); err == nil && closedToLAN(a) {
		return lanRefusal
	}
	return nil
}

// isLocalhostName reports whether host is "localhost" or a name under it
// (RFC 6761: always this computer).
func isLocalhostName(host string) bool {
	h := normHost(host)
	return h == "localhost" || len(h) > 10 && h[len(h)-10:] == ".localhost"
}

// closedToLAN reports whether a LAN client may not connect to a: this
// computer (loopback, unspecified, one of its own addresses) or a
// link-local address.
func closedToLAN(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || (a.Is4() && a.As4()[0] == 0) {
		return true
	}
	return ownAddrs.has(a)
}

// ownAddrs are this computer's addresses, read again when older than
// ownAddrsFor (addresses come and go with networks).
var ownAddrs addrSet

const ownAddrsFor = 2 * time.Second

type addrSet struct {
	mu  sync.Mutex
	at  time.Time
	set map[netip.Addr]bool
}

func (s *addrSet) has(a netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil || time.Since(s.at) > ownAddrsFor {
		s.set = map[netip.Addr]bool{}
		s.at = time.Now()
		ifaddrs, err := net.InterfaceAddrs()
		if err != nil {
			// Unknown: refuse what cannot be checked.
			s.set = nil
			return true
		}
		for _, ia := range ifaddrs {
			if pf, err := netip.ParsePrefix(ia.String()); err == nil {
				s.set[pf.Addr().Unmap()] = true
			}
		}
	}
	return s.set[a]
}
