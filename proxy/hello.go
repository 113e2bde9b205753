// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"errors"
	"fmt"
)

// The ClientHello a browser sent on an intercepted tunnel, parsed from the
// bytes of its first TLS records (RFC 8446 §4.1.2 and §5.1) so that the
// upstream connection can be opened with the same parameters (mirror.go).
// The bytes come from the client: every length is checked, and anything
// that does not parse is an error (the upstream then gets Go's own hello).

// clientHello is what the upstream handshake mirrors of a ClientHello.
type clientHello struct {
	version      uint16   // legacy_version
	cipherSuites []uint16 // in the client's order, GREASE included
	compression  []byte
	extensions   []helloExt // in the client's order, GREASE included
}

// helloExt is one extension of a ClientHello. data aliases the parsed
// message.
type helloExt struct {
	typ  uint16
	data []byte
}

// TLS numbers the parser and the mirror use.
const (
	recordHandshake      = 22
	handshakeClientHello = 1

	extServerName          = 0x0000
	extALPN                = 0x0010
	extPadding             = 0x0015
	extSessionTicket       = 0x0023
	extPreSharedKey        = 0x0029
	extEarlyData           = 0x002a
	extSupportedVersions   = 0x002b
	extCookie              = 0x002c
	extPSKModes            = 0x002d
	extSignatureAlgorithms = 0x000d
	extKeyShare            = 0x0033
	extECH                 = 0xfe0d
)

// maxHelloBytes bounds what is kept of a tunnel's first records: real
// ClientHellos are 0.5-2 KiB (a post-quantum key share included); one
// record holds up to 16 KiB.
const maxHelloBytes = 16<<10 + 5

var (
	errHelloShort = errors.New("ClientHello: truncated")
	errNotHello   = errors.New("ClientHello: not a TLS handshake starting with a ClientHello")
)

// parseClientHello parses the ClientHello at the start of records, the
// bytes a client sent first (TLS records, possibly fragmented; bytes past
// the message are ignored).
func parseClientHello(records []byte) (*clientHello, error) {
	msg, err := handshakeMessage(records)
	if err != nil {
		return nil, err
	}
	return parseHelloBody(msg)
}

// handshakeMessage reassembles the first handshake message from records,
// which must be handshake records, and returns its body after checking
// that it is a ClientHello.
func handshakeMessage(records []byte) ([]byte, error) {
	var msg []byte
	need := -1 // the message's length with its 4-byte header, once known
	for need < 0 || len(msg) < need {
		if len(records) < 5 {
			return nil, errHelloShort
		}
		if records[0] != recordHandshake || records[1] != 3 {
			return nil, errNotHello
		}
		n := int(records[3])<<8 | int(records[4])
		if n == 0 || n > 1<<14 {
			return nil, fmt.Errorf("ClientHello: record of %d bytes", n)
		}
		if len(records) < 5+n {
			return nil, errHelloShort
		}
		msg = append(msg, records[5:5+n]...)
		records = records[5+n:]
		if need < 0 && len(msg) >= 4 {
			if msg[0] != handshakeClientHello {
				return nil, errNotHello
			}
			need = 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
			if need > maxHelloBytes {
				return nil, fmt.Errorf("ClientHello: %d bytes, more than %d", need, maxHelloBytes)
			}
		}
	}
	return msg[4:need], nil
}

// parseHelloBody parses the body of a ClientHello message.
func parseHelloBody(b []byte) (*clientHello, error) {
	r := helloReader(b)
	h := &clientHello{}
	var random, session, suites, ext []byte
	if !r.u16(&h.version) || !r.bytes(32, &random) || !r.vec8(&session) || len(session) > 32 ||
		!r.vec16(&suites) || len(suites)%2 != 0 || !r.vec8(&h.compression) {
		return nil, errHelloShort
	}
	for i := 0; i < len(suites); i += 2 {
		h.cipherSuites = append(h.cipherSuites, uint16(suites[i])<<8|uint16(suites[i+1]))
	}
	if len(r) == 0 {
		return h, nil // no extensions (TLS 1.2 and older may send none)
	}
	if !r.vec16(&ext) || len(r) != 0 {
		return nil, errors.New("ClientHello: bad extensions block")
	}
	er := helloReader(ext)
	seen := map[uint16]bool{}
	for len(er) > 0 {
		var e helloExt
		if !er.u16(&e.typ) || !er.vec16(&e.data) {
			return nil, errors.New("ClientHello: truncated extension")
		}
		if seen[e.typ] {
			return nil, fmt.Errorf("ClientHello: extension %#04x twice", e.typ)
		}
		seen[e.typ] = true
		h.extensions = append(h.extensions, e)
	}
	return h, nil
}

// ext returns the data of the extension of type t.
func (h *clientHello) ext(t uint16) ([]byte, bool) {
	for _, e := range h.extensions {
		if e.typ == t {
			return e.data, true
		}
	}
	return nil, false
}

// alpn returns the protocols the client offered, in its order; nil when it
// sent no ALPN extension or a malformed one.
func (h *clientHello) alpn() []string {
	data, ok := h.ext(extALPN)
	if !ok {
		return nil
	}
	r := helloReader(data)
	var list []byte
	if !r.vec16(&list) || len(r) != 0 {
		return nil
	}
	var out []string
	lr := helloReader(list)
	for len(lr) > 0 {
		var p []byte
		if !lr.vec8(&p) || len(p) == 0 {
			return nil
		}
		out = append(out, string(p))
	}
	return out
}

// isGREASE reports whether v is a GREASE value (RFC 8701): 0x?a?a with
// both bytes equal.
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// helloReader reads big-endian TLS vectors; each method reports whether
// the bytes were there.
type helloReader []byte

func (r *helloReader) u16(v *uint16) bool {
	if len(*r) < 2 {
		return false
	}
	*v = uint16((*r)[0])<<8 | uint16((*r)[1])
	*r = (*r)[2:]
	return true
}

func (r *helloReader) bytes(n int, out *[]byte) bool {
	if len(*r) < n {
		return false
	}
	*out = (*r)[:n:n]
	*r = (*r)[n:]
	return true
}

func (r *helloReader) vec8(out *[]byte) bool {
	if len(*r) < 1 {
		return false
	}
	n := int((*r)[0])
	*r = (*r)[1:]
	return r.bytes(n, out)
}

func (r *helloReader) vec16(out *[]byte) bool {
	var n uint16
	return r.u16(&n) && r.bytes(int(n), out)
}
