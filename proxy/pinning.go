// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/tls"
	"errors"
	"net"
	"reflect"
	"time"

	"polaris/internal/status"
)

// handshakeFailed looks at why a client broke off our TLS handshake on mc:
// a refusal of the certificate is learned for this kind of client alone
// (clientBook.rejected): it does not trust the CA, or it pins the host.
func (p *Proxy) handshakeFailed(mc *mitmConn, err error) {
	host := mc.host
	if !isCertRejection(err) && (mc.done || !mc.alertSniffer.certRejected()) {
		p.cfg.Logf("HTTPS filtering: handshake with the client for %s: %v", host, err)
		return
	}
	pinning := p.clients.rejected(mc.id, host, time.Now())
	who := mc.id.words()
	if pinning {
		p.cfg.Logf("HTTPS filtering: %s rejected Polaris's certificate for %s while it accepts it elsewhere (certificate pinning); %s is passed through untouched for %s from now on", who, host, host, who)
	} else {
		p.cfg.Logf("HTTPS filtering: %s rejected Polaris's certificate for %s: it does not trust Polaris's CA; its HTTPS passes through untouched from now on", who, host)
	}
	if f := p.cfg.OnCertRejected; f != nil {
		go f(CertRejection{Host: host, Client: mc.id.client(), Pinning: pinning, Entry: host + "\t" + mc.id.key()})
	}
}

// CertRejection is a client's refusal of Polaris's certificate during the
// TLS handshake (Config.OnCertRejected).
type CertRejection struct {
	Host string
	// Client is the kind of client (Family, Version, Name).
	Client status.Client
	// Pinning: the client accepts Polaris's CA elsewhere, so it pins Host's
	// certificate; Host passes through untouched for this kind of client
	// from now on. false: the client does not trust Polaris's CA; all its
	// HTTPS passes through untouched from now on, unfiltered.
	Pinning bool
	// Entry is the HTTPSPolicy.PassThrough entry that keeps Host passed
	// through for this kind of client (when Pinning).
	Entry string
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
