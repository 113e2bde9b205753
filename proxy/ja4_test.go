// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// ja4 computes the JA4 fingerprint of a ClientHello sent over TCP, as FoxIO
// defines it (github.com/FoxIO-LLC/ja4, technical_details/JA4.md):
//
//	t  TLS version  d|i (SNI or not)  cipher count  extension count  ALPN
//	_  SHA-256 of the sorted cipher suites, 12 hex digits
//	_  SHA-256 of the sorted extensions (without SNI and ALPN) "_" the
//	   signature algorithms in the client's order, 12 hex digits
//
// GREASE values are left out everywhere; counts are two digits, at most 99.
// It is written for the tests from the published definition: the origin of
// TestMirroredJA4 and the browser tests fingerprint what they receive.
func ja4(h *clientHello) string {
	version := ja4Version(h.version)
	if data, ok := h.ext(extSupportedVersions); ok && len(data) > 0 {
		best := uint16(0)
		for i := 1; i+1 < len(data) && i < 1+int(data[0]); i += 2 {
			if v := uint16(data[i])<<8 | uint16(data[i+1]); !isGREASE(v) && v > best {
				best = v
			}
		}
		version = ja4Version(best)
	}
	sni := "i"
	if _, ok := h.ext(extServerName); ok {
		sni = "d"
	}
	var suites, exts, hashed []string
	for _, s := range h.cipherSuites {
		if !isGREASE(s) {
			suites = append(suites, fmt.Sprintf("%04x", s))
		}
	}
	for _, e := range h.extensions {
		if isGREASE(e.typ) {
			continue
		}
		exts = append(exts, fmt.Sprintf("%04x", e.typ))
		if e.typ != extServerName && e.typ != extALPN {
			hashed = append(hashed, fmt.Sprintf("%04x", e.typ))
		}
	}
	a := fmt.Sprintf("t%s%s%02d%02d%s", version, sni, min(len(suites), 99), min(len(exts), 99), ja4ALPN(h))

	slices.Sort(suites)
	b := ja4Hash(strings.Join(suites, ","))

	slices.Sort(hashed)
	c := strings.Join(hashed, ",")
	if algs := ja4SigAlgs(h); len(algs) > 0 {
		c += "_" + strings.Join(algs, ",")
	}
	if len(hashed) == 0 {
		c = ""
	}
	return a + "_" + b + "_" + ja4Hash(c)
}

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

// ja4ALPN is the first and last character of the first ALPN protocol
// ("h2", "h1" for http/1.1), "00" without ALPN; a protocol that starts or
// ends with a byte that is not a letter or a digit gives the first and
// last hex digit of its bytes instead.
func ja4ALPN(h *clientHello) string {
	protos := h.alpn()
	if len(protos) == 0 {
		return "00"
	}
	p := protos[0]
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
	if !alnum(p[0]) || !alnum(p[len(p)-1]) {
		x := hex.EncodeToString([]byte(p))
		return x[:1] + x[len(x)-1:]
	}
	return p[:1] + p[len(p)-1:]
}

func ja4SigAlgs(h *clientHello) []string {
	data, ok := h.ext(extSignatureAlgorithms)
	if !ok || len(data) < 2 {
		return nil
	}
	n := int(data[0])<<8 | int(data[1])
	var out []string
	for i := 2; i+1 < len(data) && i < 2+n; i += 2 {
		if v := uint16(data[i])<<8 | uint16(data[i+1]); !isGREASE(v) {
			out = append(out, fmt.Sprintf("%04x", v))
		}
	}
	return out
}

// ja4Hash is the first 12 hex digits of SHA-256, "000000000000" for "".
func ja4Hash(s string) string {
	if s == "" {
		return "000000000000"
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}
