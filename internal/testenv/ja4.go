// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// JA4 computes the JA4 fingerprint of the ClientHello at the start of
// records (the TLS records a client sent first), as FoxIO defines it
// (github.com/FoxIO-LLC/ja4, technical_details/JA4.md), for TLS over TCP:
//
//	t  TLS version  d|i (SNI or not)  cipher count  extension count  ALPN
//	_  SHA-256 of the sorted cipher suites, 12 hex digits
//	_  SHA-256 of the sorted extensions (SNI and ALPN left out) "_" the
//	   signature algorithms in the client's order, 12 hex digits
//
// GREASE values are left out everywhere; counts are two digits, at most 99.
// It has its own small parser, apart from the proxy's, so that a test
// fingerprinting both ends checks the proxy's parser too.
func JA4(records []byte) (string, error) {
	h, err := parseHello(records)
	if err != nil {
		return "", err
	}
	var suites, exts, hashed, algs []string
	for _, s := range h.suites {
		if !grease(s) {
			suites = append(suites, fmt.Sprintf("%04x", s))
		}
	}
	version, sni, alpn := ja4Version(h.version), "i", "00"
	for _, e := range h.exts {
		if grease(e.typ) {
			continue
		}
		exts = append(exts, fmt.Sprintf("%04x", e.typ))
		switch e.typ {
		case 0x0000:
			sni = "d"
		case 0x0010:
			alpn = ja4ALPN(e.data)
		case 0x002b:
			version = ja4Version(highest(u16s(e.data, 1)))
		case 0x000d:
			for _, a := range u16s(e.data, 2) {
				if !grease(a) {
					algs = append(algs, fmt.Sprintf("%04x", a))
				}
			}
		}
		if e.typ != 0x0000 && e.typ != 0x0010 {
			hashed = append(hashed, fmt.Sprintf("%04x", e.typ))
		}
	}
	a := fmt.Sprintf("t%s%s%02d%02d%s", version, sni, min(len(suites), 99), min(len(exts), 99), alpn)
	slices.Sort(suites)
	slices.Sort(hashed)
	c := strings.Join(hashed, ",")
	if len(algs) > 0 && c != "" {
		c += "_" + strings.Join(algs, ",")
	}
	return a + "_" + ja4Hash(strings.Join(suites, ",")) + "_" + ja4Hash(c), nil
}

type helloExt struct {
	typ  uint16
	data []byte
}

type hello struct {
	version uint16
	suites  []uint16
	exts    []helloExt
}

// parseHello reads the first ClientHello from TLS records (fragments
// reassembled).
func parseHello(rec []byte) (*hello, error) {
	var msg []byte
	size := func() int { return 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])) }
	for len(msg) < 4 || len(msg) < size() {
		if len(rec) < 5 || rec[0] != 22 {
			return nil, errors.New("not a TLS handshake record")
		}
		n := int(rec[3])<<8 | int(rec[4])
		if len(rec) < 5+n {
			return nil, errors.New("truncated record")
		}
		msg, rec = append(msg, rec[5:5+n]...), rec[5+n:]
	}
	if msg[0] != 1 {
		return nil, errors.New("not a ClientHello")
	}
	b := msg[4:size()]
	h := &hello{}
	take := func(n int) []byte {
		if n > len(b) {
			n = len(b)
		}
		out := b[:n]
		b = b[n:]
		return out
	}
	vec := func(lenBytes int) []byte {
		l := take(lenBytes)
		n := 0
		for _, c := range l {
			n = n<<8 | int(c)
		}
		return take(n)
	}
	v := take(2)
	if len(v) < 2 {
		return nil, errors.New("truncated ClientHello")
	}
	h.version = uint16(v[0])<<8 | uint16(v[1])
	take(32)
	vec(1)
	h.suites = u16s(append([]byte{0, 0}, vec(2)...), 2)
	vec(1)
	ext := vec(2)
	for len(ext) >= 4 {
		typ, n := uint16(ext[0])<<8|uint16(ext[1]), int(ext[2])<<8|int(ext[3])
		if len(ext) < 4+n {
			return nil, errors.New("truncated extension")
		}
		h.exts = append(h.exts, helloExt{typ, ext[4 : 4+n]})
		ext = ext[4+n:]
	}
	return h, nil
}

// u16s reads the big-endian 16-bit values after a length prefix of
// prefix bytes (the prefix itself is not checked beyond its size).
func u16s(b []byte, prefix int) []uint16 {
	if len(b) < prefix {
		return nil
	}
	b = b[prefix:]
	var out []uint16
	for i := 0; i+1 < len(b); i += 2 {
		out = append(out, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return out
}

func highest(vs []uint16) uint16 {
	best := uint16(0)
	for _, v := range vs {
		if !grease(v) && v > best {
			best = v
		}
	}
	return best
}

func grease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	}
	return "00"
}

// ja4ALPN is the first and last character of the first ALPN protocol, or
// of its hex form when either is not a letter or a digit; "00" for none.
func ja4ALPN(data []byte) string {
	if len(data) < 3 || int(data[2]) == 0 || len(data) < 3+int(data[2]) {
		return "00"
	}
	p := data[3 : 3+int(data[2])]
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
	if !alnum(p[0]) || !alnum(p[len(p)-1]) {
		x := hex.EncodeToString(p)
		return x[:1] + x[len(x)-1:]
	}
	return string(p[:1]) + string(p[len(p)-1:])
}

// ja4Hash is the first 12 hex digits of SHA-256, "000000000000" for "".
func ja4Hash(s string) string {
	if s == "" {
		return "000000000000"
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}
