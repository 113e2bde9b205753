// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Leaf certificate lifetime. Leaves live only in memory and are reissued a
// day before they expire; a short life keeps them well inside every
// browser's limit (398 days).
const (
	leafValidity = 90 * 24 * time.Hour
	leafRefresh  = 24 * time.Hour
)

// LeafFor returns a certificate for host, issued by the CA and cached. host
// is a DNS name or an IP address, optionally with a port and, for IPv6,
// brackets ("example.com:443", "[::1]:8443"); case and a trailing dot do not
// matter. The certificate has host as its only subject alternative name, an
// ECDSA P-256 key, NotBefore an hour back and a 90-day life (never past the
// CA's). Concurrent first calls for one host issue it once. The result is
// shared: callers must not modify it. Errors: ErrBadHost, ErrExpired.
func (c *CA) LeafFor(host string) (*tls.Certificate, error) {
	e, err := c.leaf(host)
	if err != nil {
		return nil, err
	}
	return e.cert, nil
}

// TLSConfigForHost returns a TLS server configuration that presents
// LeafFor(host): h2 and HTTP/1.1 by ALPN (the proxy serves both), TLS 1.2
// or later with AEAD cipher suites only, and
// session tickets shared by all hosts of this CA so that clones resume each
// other's sessions. It is what the proxy's MITM hook needs (goproxy's
// ConnectAction.TLSConfig clones it per connection). The config is cached
// and shared: callers must Clone it before changing anything.
func (c *CA) TLSConfigForHost(host string) (*tls.Config, error) {
	e, err := c.leaf(host)
	if err != nil {
		return nil, err
	}
	return e.cfg, nil
}

func (c *CA) leaf(host string) (*leafEntry, error) {
	key, ip, err := normalizeHost(host)
	if err != nil {
		return nil, fmt.Errorf("certificate for %q: %w", host, err)
	}
	now := c.now()
	e, err := c.leaves.get(key, now, func() (leafResult, error) { return c.issue(key, ip, now) })
	if err != nil {
		return nil, fmt.Errorf("certificate for %q: %w", host, err)
	}
	return e, nil
}

// issue signs a new leaf for name (a normalized DNS name, or the text of ip
// when ip is valid).
func (c *CA) issue(name string, ip netip.Addr, now time.Time) (leafResult, error) {
	notBefore := now.Add(-backdate)
	if notBefore.Before(c.cert.NotBefore) {
		notBefore = c.cert.NotBefore
	}
	notAfter := now.Add(leafValidity)
	if notAfter.After(c.cert.NotAfter) {
		notAfter = c.cert.NotAfter
	}
	if !now.Before(notAfter) {
		return leafResult{}, ErrExpired
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return leafResult{}, fmt.Errorf("generating key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return leafResult{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if len(name) <= 64 { // ub-common-name; the SAN is what clients check
		tmpl.Subject = pkix.Name{CommonName: name}
	}
	if ip.IsValid() {
		tmpl.IPAddresses = []net.IP{ip.AsSlice()}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		return leafResult{}, fmt.Errorf("signing: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return leafResult{}, fmt.Errorf("parsing the new certificate: %w", err)
	}
	cert := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	refreshAt := notAfter.Add(-leafRefresh)
	if refreshAt.Before(now) {
		refreshAt = notAfter
	}
	return leafResult{cert: cert, cfg: c.leafTLSConfig(cert), refreshAt: refreshAt}, nil
}

// normalizeHost strips a port and IPv6 brackets, converts an
// internationalized name to its ASCII form, lowercases, drops one trailing
// dot and checks the result. It returns the cache key and, for an IP
// address, the parsed address. It does not allocate for an already
// lowercase ASCII name with or without a port.
func normalizeHost(h string) (string, netip.Addr, error) {
	var none netip.Addr
	h, bracketed, ok := stripPort(h)
	if !ok || h == "" {
		return "", none, ErrBadHost
	}
	if bracketed || strings.IndexByte(h, ':') >= 0 {
		ip, err := netip.ParseAddr(h)
		if err != nil || !ip.Is6() {
			return "", none, ErrBadHost
		}
		ip = ip.WithZone("")
		return ip.String(), ip, nil
	}
	if !isASCII(h) {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", none, ErrBadHost
		}
		h = a
	}
	h = strings.TrimSuffix(h, ".")
	if isDottedDecimal(h) {
		ip, err := netip.ParseAddr(h)
		if err != nil {
			return "", none, ErrBadHost
		}
		return h, ip, nil
	}
	h = strings.ToLower(h)
	if !validDNSName(h) {
		return "", none, ErrBadHost
	}
	return h, none, nil
}

// stripPort removes ":port" and IPv6 brackets. ok is false for a malformed
// port or bracket.
func stripPort(h string) (host string, bracketed, ok bool) {
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", false, false
		}
		rest := h[end+1:]
		if rest != "" && (rest[0] != ':' || !isPort(rest[1:])) {
			return "", false, false
		}
		return h[1:end], true, true
	}
	i := strings.IndexByte(h, ':')
	if i < 0 || strings.IndexByte(h[i+1:], ':') >= 0 {
		return h, false, true // no port, or a bare IPv6 address
	}
	if !isPort(h[i+1:]) {
		return "", false, false
	}
	return h[:i], false, true
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isDottedDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

// validDNSName accepts lowercase names of labels of 1-63 letters, digits,
// hyphens and underscores (seen in real host names), 253 bytes at most.
func validDNSName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case 'a' <= b && b <= 'z', '0' <= b && b <= '9', b == '-', b == '_':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}
