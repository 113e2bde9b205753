// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/tls"
	"errors"
	"net"
	"reflect"
	"sync"
	"time"
)

// handshakeFailed looks at why a client broke off our TLS handshake: a
// client that rejects the certificate while others accept it pins its
// certificate, and the host is passed through from now on. sniff saw the
// client's side of the handshake.
func (p *Proxy) handshakeFailed(host string, err error, sniff *alertSniffer) {
	if !isCertRejection(err) && !sniff.certRejected() {
		p.cfg.Logf("HTTPS filtering: handshake with the client for %s: %v", host, err)
		return
	}
	remembered := p.pins.rejected(host, time.Now())
	if remembered {
		p.cfg.Logf("HTTPS filtering: the client rejected Polaris's certificate for %s (certificate pinning); %s is passed through untouched from now on", host, host)
	} else {
		p.cfg.Logf("HTTPS filtering: the client rejected Polaris's certificate for %s; it probably does not trust Polaris's CA", host)
	}
	if f := p.cfg.OnCertRejected; f != nil {
		go f(host, remembered)
	}
}

// certRejectionAlerts are the TLS alerts a client sends when it does not
// accept a certificate (RFC 8446 §6.2).
var certRejectionAlerts = map[uint8]bool{
	42: true, // bad_certificate
	43: true, // unsupported_certificate
	44: true, // certificate_revoked
	45: true, // certificate_expired
	46: true, // certificate_unknown
	48: true, // unknown_ca
}

// isCertRejection reports whether err is a TLS alert from the peer saying
// it does not accept our certificate.
func isCertRejection(err error) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return certRejectionAlerts[uint8(ae)]
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return false
	}
	// crypto/tls reports a received alert as an unexported uint8 type.
	v := reflect.ValueOf(op.Err)
	if v.Kind() != reflect.Uint8 {
		return false
	}
	return certRejectionAlerts[uint8(v.Uint())]
}

// alertSniffer watches the client's bytes during our TLS handshake for a
// certificate rejection crypto/tls cannot read. In TLS 1.3 everything after
// the ServerHello is encrypted, alerts included, but OpenSSL (curl, openssl
// s_client, Python and many apps) checks the certificate before it switches
// to the handshake keys and sends its alert in clear: 15 03 03 00 02 02 30
// is a fatal unknown_ca. crypto/tls tries to decrypt that record and reports
// "bad record MAC", never the alert (TLS 1.2 alerts are in clear anyway and
// crypto/tls reads them).
//
// A rejection is recognised only when the client's answer to our latest
// flight (the one with the certificate; crypto/tls's own alert, sent when it
// fails to decrypt, comes after the answer and does not count) starts with
// that record: a well-formed fatal alert whose code refuses the certificate,
// optionally after the ChangeCipherSpec record of TLS 1.3's middlebox
// compatibility mode. Corruption on the way does not forge that, so one
// such alert counts, like an alert crypto/tls reads; pinTracker's limits
// apply to both.
type alertSniffer struct {
	net.Conn
	first []byte   // what the client sent before the server's first write: its ClientHello
	wrote bool     // the server has sent a flight
	after [16]byte // the first bytes read after the server's latest write
	n     int      // of after
	prev  [16]byte // the client's answer before that write
	prevN int      // of prev
	done  bool     // the handshake is over: nothing more to watch
}

func (c *alertSniffer) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	switch {
	case c.done || n == 0:
	case c.wrote:
		c.n += copy(c.after[c.n:], b[:n])
	case len(c.first) < maxHelloBytes:
		c.first = append(c.first, b[:min(n, maxHelloBytes-len(c.first))]...)
	}
	return n, err
}

func (c *alertSniffer) Write(b []byte) (int, error) {
	if !c.done {
		if c.n > 0 {
			c.prev, c.prevN = c.after, c.n
		}
		c.wrote, c.n = true, 0
	}
	return c.Conn.Write(b)
}

// certRejected reports whether the client answered our latest flight with
// an unencrypted alert refusing the certificate. nil reports false.
func (c *alertSniffer) certRejected() bool {
	if c == nil {
		return false
	}
	b := c.after[:c.n]
	if c.n == 0 {
		b = c.prev[:c.prevN]
	}
	// ChangeCipherSpec: type 20, version 3.x, length 1, value 1.
	if len(b) >= 6 && b[0] == 20 && b[1] == 3 && b[3] == 0 && b[4] == 1 && b[5] == 1 {
		b = b[6:]
	}
	// Alert: type 21, version 3.x, length 2, level fatal (2), description.
	return len(b) >= 7 && b[0] == 21 && b[1] == 3 && b[3] == 0 && b[4] == 2 && b[5] == 2 && certRejectionAlerts[b[6]]
}

// pinTracker learns which hosts pin their certificate. A rejection counts
// only while the CA demonstrably works (another intercepted handshake
// succeeded recently) and only a few hosts a hour: a client that rejects
// everything does not trust the CA at all, which is not pinning.
type pinTracker struct {
	mu      sync.Mutex
	lastOK  time.Time
	hosts   map[string]struct{} // learned this session
	learnAt []time.Time         // when, for the hourly cap
}

// Limits of pinning detection.
const (
	pinTrustWindow = 30 * time.Minute
	pinMaxPerHour  = 10
	pinMaxHosts    = 4096
)

func (t *pinTracker) succeeded(now time.Time) {
	t.mu.Lock()
	t.lastOK = now
	t.mu.Unlock()
}

// reset forgets the hosts learned this session: the policy's PassThrough,
// which the owner keeps from OnCertRejected, is what counts from then on.
func (t *pinTracker) reset() {
	t.mu.Lock()
	clear(t.hosts)
	t.mu.Unlock()
}

func (t *pinTracker) learned(host string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.hosts[host]
	return ok
}

// rejected records a certificate rejection for host and reports whether the
// host is now passed through.
func (t *pinTracker) rejected(host string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.hosts[host]; ok {
		return true
	}
	if t.lastOK.IsZero() || now.Sub(t.lastOK) > pinTrustWindow || len(t.hosts) >= pinMaxHosts {
		return false
	}
	recent := t.learnAt[:0]
	for _, at := range t.learnAt {
		if now.Sub(at) < time.Hour {
			recent = append(recent, at)
		}
	}
	t.learnAt = recent
	if len(recent) >= pinMaxPerHour {
		return false
	}
	if t.hosts == nil {
		t.hosts = map[string]struct{}{}
	}
	t.hosts[host] = struct{}{}
	t.learnAt = append(t.learnAt, now)
	return true
}
