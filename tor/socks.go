// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// A minimal SOCKS5 client (RFC 1928, RFC 1929) for Tor's SOCKS port. Our
// own rather than x/net/proxy's so that Tor's reply codes, including the
// onion-service codes of "ExtendedErrors", reach the caller as a typed
// DialError with a plain-words reason. Host names are always sent as names:
// the resolution happens at the exit (or, for .onion, nowhere).

// DialError is Tor's refusal to open a stream: Tor is connected, but the
// destination could not be reached through it.
type DialError struct {
	Addr string // host:port asked for
	// Code is the SOCKS5 reply code from Tor (1-8, or 0xF0-0xF7 for onion
	// services).
	Code int
	// Reason says in plain words what happened.
	Reason string
}

func (e *DialError) Error() string {
	return fmt.Sprintf("Tor could not connect to %s: %s", e.Addr, e.Reason)
}

// Onion reports whether the failure is specific to an onion service.
func (e *DialError) Onion() bool { return e.Code >= 0xF0 && e.Code <= 0xF7 }

var socksReasons = map[int]string{
	0x01: "the site could not be reached through Tor: it may be down or refusing connections, or the circuit failed",
	0x02: "no Tor exit allows connections to this address",
	0x03: "the network of the site is unreachable from the Tor exit",
	0x04: "the site could not be found or reached from the Tor exit",
	0x05: "the site refused the connection",
	0x06: "the connection timed out",
	0x07: "Tor does not support this kind of request",
	0x08: "Tor does not support this kind of address",
	0xF0: "the onion site cannot be found: it may be offline or the address may be wrong",
	0xF1: "the onion site published an invalid descriptor",
	0xF2: "the onion site could not be reached (introduction failed): it may be offline or overloaded",
	0xF3: "the onion site could not be reached (rendezvous failed)",
	0xF4: "the onion site requires client authorization",
	0xF5: "the onion site rejected the client authorization",
	0xF6: "the onion address is not valid",
	0xF7: "the onion site did not answer in time (introduction timed out)",
}

// socksConnect performs a SOCKS5 CONNECT to addr (host:port) over conn,
// authenticating with user/pass when user is not "". It honours ctx.
func socksConnect(ctx context.Context, conn net.Conn, addr, user, pass string) (err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return fmt.Errorf("address %q: bad port", addr)
	}
	if host == "" || len(host) > 255 {
		return fmt.Errorf("address %q: bad host", addr)
	}
	if len(user) > 255 || len(pass) > 255 {
		return errors.New("SOCKS credentials longer than 255 bytes")
	}
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
		defer conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() && err == nil {
			err = ctx.Err() // cancelled as we finished: the connection's deadline is spoiled
		}
		if err != nil && ctx.Err() != nil {
			err = ctx.Err() // report the cancellation, not the i/o timeout it caused
		}
	}()

	method := byte(0x00)
	if user != "" {
		method = 0x02
	}
	if _, err := conn.Write([]byte{5, 1, method}); err != nil {
		return fmt.Errorf("SOCKS greeting: %w", err)
	}
	var b [4]byte
	if _, err := io.ReadFull(conn, b[:2]); err != nil {
		return fmt.Errorf("SOCKS greeting: %w", err)
	}
	if b[0] != 5 || b[1] != method {
		return fmt.Errorf("SOCKS greeting: server answered version %d method %d", b[0], b[1])
	}
	if user != "" {
		msg := append([]byte{1, byte(len(user))}, user...)
		msg = append(append(msg, byte(len(pass))), pass...)
		if _, err := conn.Write(msg); err != nil {
			return fmt.Errorf("SOCKS authentication: %w", err)
		}
		if _, err := io.ReadFull(conn, b[:2]); err != nil {
			return fmt.Errorf("SOCKS authentication: %w", err)
		}
		if b[1] != 0 {
			return errors.New("SOCKS authentication refused")
		}
	}
	req := []byte{5, 1, 0}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Zone() == "" {
		if ip.Is4() {
			req = append(append(req, 1), ip.AsSlice()...)
		} else {
			req = append(append(req, 4), ip.AsSlice()...)
		}
	} else {
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := conn.Write(req); err != nil {
		return fmt.Errorf("SOCKS request: %w", err)
	}
	if _, err := io.ReadFull(conn, b[:4]); err != nil {
		return fmt.Errorf("SOCKS reply: %w", err)
	}
	if b[0] != 5 {
		return fmt.Errorf("SOCKS reply: version %d", b[0])
	}
	if b[1] != 0 {
		reason, ok := socksReasons[int(b[1])]
		if !ok {
			reason = fmt.Sprintf("Tor answered with error code %d", b[1])
		}
		return &DialError{Addr: addr, Code: int(b[1]), Reason: reason}
	}
	var skip int
	switch b[3] {
	case 1:
		skip = 4
	case 4:
		skip = 16
	case 3:
		if _, err := io.ReadFull(conn, b[:1]); err != nil {
			return fmt.Errorf("SOCKS reply: %w", err)
		}
		skip = int(b[0])
	default:
		return fmt.Errorf("SOCKS reply: address type %d", b[3])
	}
	if _, err := io.CopyN(io.Discard, conn, int64(skip+2)); err != nil {
		return fmt.Errorf("SOCKS reply: %w", err)
	}
	return nil
}
