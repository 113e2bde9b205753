// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net"
	"sync/atomic"
	"time"
)

// Half-closed tunnels. When one side of a pass-through tunnel finishes (the
// client closes, say), its end is forwarded as a half-close and the other
// direction goes on, as TCP allows. A peer that then never sends nor
// closes would keep both descriptors forever: thousands of tunnels whose
// client closed and whose upstream stays silent ran Polaris out of file
// descriptors. So once a direction has ended, the other one must keep
// moving: a read that waits longer than Config.HalfClosedTimeout ends the
// tunnel (a slow answer that keeps coming survives; one that stalls does
// not).

// DefaultHalfClosedTimeout is how long a half-closed tunnel may stay
// silent.
const DefaultHalfClosedTimeout = 60 * time.Second

// halfClosed arms a connection's reads with an idle timeout once the
// other direction of its tunnel has ended.
type halfClosed struct {
	idle atomic.Int64 // nanoseconds; 0 while both directions are open
}

// arm starts the timeout on c's reads, the one in progress included.
func (h *halfClosed) arm(c net.Conn, d time.Duration) {
	if d <= 0 {
		return
	}
	h.idle.Store(int64(d))
	c.SetReadDeadline(time.Now().Add(d))
}

// beforeRead renews the timeout for the next read, when armed.
func (h *halfClosed) beforeRead(c net.Conn) {
	if d := h.idle.Load(); d > 0 {
		c.SetReadDeadline(time.Now().Add(time.Duration(d)))
	}
}

// tunnelConn is the upstream side of a tunnel whose connection can be
// half-closed: when the client's direction ends (CloseWrite), reading the
// upstream's answer gets the idle timeout.
type tunnelConn struct {
	halfClosable
	half halfClosed
	idle time.Duration
}

type halfClosable interface {
	net.Conn
	CloseWrite() error
	CloseRead() error
}

// newTunnelConn wraps an upstream connection of a tunnel; one that cannot
// be half-closed is returned as it is (a tunnel over it closes whole).
func newTunnelConn(c net.Conn, idle time.Duration) net.Conn {
	hc, ok := c.(halfClosable)
	if !ok {
		return c
	}
	return &tunnelConn{halfClosable: hc, idle: idle}
}

func (c *tunnelConn) Read(b []byte) (int, error) {
	c.half.beforeRead(c.halfClosable)
	return c.halfClosable.Read(b)
}

func (c *tunnelConn) CloseWrite() error {
	c.half.arm(c.halfClosable, c.idle)
	return c.halfClosable.CloseWrite()
}
