// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	utls "github.com/refraction-networking/utls"
)

// Upstream TLS with the browser's own ClientHello. A site that compares the
// TLS handshake with the User-Agent (bot detection does) sees the browser
// behind an intercepted connection, not Polaris: the upstream connection
// repeats the ClientHello the browser sent Polaris on its tunnel — cipher
// suites, extensions in the browser's order with the browser's values,
// groups, signature algorithms, ALPN, GREASE where it had GREASE — built
// with uTLS. What belongs to one connection is new, as the browser's own
// next connection would have it: random, session ID, key shares, GREASE
// values; Polaris's own session with the browser is not repeated, Polaris's
// session with the site is offered instead (resumption). Certificates are
// verified exactly as with Go's TLS (uTLS runs the same crypto/x509
// verification against the same roots and name); a hello that cannot be
// mirrored, or a handshake uTLS cannot complete, falls back to Go's TLS
// with a log line.

// mirrorSpec builds the uTLS ClientHello that repeats h for serverName (a
// host name, or an IP address: no SNI then). h1 restricts ALPN to
// http/1.1 (a WebSocket handshake needs HTTP/1.1). The spec is new on each
// call: uTLS keeps per-connection state in it.
func mirrorSpec(h *clientHello, serverName string, h1 bool) (spec *utls.ClientHelloSpec, err error) {
	defer func() {
		if p := recover(); p != nil {
			spec, err = nil, fmt.Errorf("mirroring the ClientHello: %v", p)
		}
	}()
	spec = &utls.ClientHelloSpec{
		CipherSuites:       slices.Clone(h.cipherSuites),
		CompressionMethods: slices.Clone(h.compression),
	}
	if _, ok := h.ext(extSupportedVersions); !ok {
		spec.TLSVersMin, spec.TLSVersMax = tls.VersionTLS12, tls.VersionTLS12
	}
	_, isIP := netip.ParseAddr(serverName)
	resumable := false
	for _, e := range h.extensions {
		ext, err := mirrorExt(e, serverName, isIP == nil, h1)
		if err != nil {
			return nil, err
		}
		if ext != nil {
			spec.Extensions = append(spec.Extensions, ext)
		}
		resumable = resumable || e.typ == extPSKModes
	}
	if resumable {
		// Polaris's own TLS 1.3 session with the site, when it has one;
		// left out when it has none (Config.OmitEmptyPsk). It comes last,
		// as RFC 8446 §4.2.11 requires.
		spec.Extensions = append(spec.Extensions, &utls.UtlsPreSharedKeyExtension{})
	}
	return spec, nil
}

// mirrorExt returns the uTLS extension that repeats e, nil to leave it out.
func mirrorExt(e helloExt, serverName string, isIP, h1 bool) (utls.TLSExtension, error) {
	switch {
	case isGREASE(e.typ):
		return &utls.UtlsGREASEExtension{}, nil
	case e.typ == extServerName:
		if isIP {
			return nil, nil
		}
		return &utls.SNIExtension{ServerName: serverName}, nil
	case e.typ == extPreSharedKey, e.typ == extEarlyData, e.typ == extCookie:
		// The browser's session with Polaris (replaced above), 0-RTT data
		// Polaris does not send, a cookie that belongs to a retry.
		return nil, nil
	case e.typ == extSessionTicket:
		return &utls.SessionTicketExtension{}, nil // Polaris's TLS 1.2 ticket, if any
	case e.typ == extPadding:
		return &utls.UtlsPaddingExtension{GetPaddingLen: utls.BoringPaddingStyle}, nil
	case e.typ == extALPN && h1:
		return &utls.ALPNExtension{AlpnProtocols: []string{"http/1.1"}}, nil
	}
	ext := utls.ExtensionFromID(e.typ)
	w, ok := ext.(utls.TLSExtensionWriter)
	if ext == nil || !ok {
		// An extension uTLS does not know is repeated byte for byte.
		return &utls.GenericExtension{Id: e.typ, Data: slices.Clone(e.data)}, nil
	}
	if _, err := w.Write(slices.Clone(e.data)); err != nil {
		return nil, fmt.Errorf("mirroring extension %#04x: %w", e.typ, err)
	}
	return w, nil
}

// upstreamTLS opens TLS connections to servers for one pool of upstream
// connections (one route, one site when the route isolates sites): its
// session caches are its own, so that no session ticket links two sites.
type upstreamTLS struct {
	p      *Proxy
	goTLS  tls.ClientSessionCache
	uTLS   utls.ClientSessionCache
	noMirr sync.Map // host -> time.Time until which its hello is not mirrored
}

func newUpstreamTLS(p *Proxy) *upstreamTLS {
	return &upstreamTLS{p: p, goTLS: tls.NewLRUClientSessionCache(64), uTLS: utls.NewLRUClientSessionCache(64)}
}

// noMirrorFor is how long a server whose handshake failed with the
// browser's hello gets Go's instead.
const noMirrorFor = 10 * time.Minute

// handshake runs TLS over raw to host (the name the client asked for) and
// returns the connection and the protocol chosen by ALPN. hello is the
// browser's ClientHello, nil to use Go's TLS; h1 asks for HTTP/1.1 only.
// ech is the server's ECH configuration list (nil: none; see echConfigs).
// A mirrored handshake that fails for another reason than the network or
// the certificate is retried once with Go's TLS over a new connection
// from redial.
func (u *upstreamTLS) handshake(ctx context.Context, raw net.Conn, host string, hello *clientHello, h1 bool, ech []byte, redial func() (net.Conn, error)) (net.Conn, string, error) {
	if hello != nil && !u.mirrorOff(host) {
		c, proto, err := u.mirrored(ctx, raw, host, hello, h1, ech)
		if ech != nil && isCertError(err) {
			// uTLS reports a server's rejection of ECH as a certificate
			// error (the outer certificate, for the public name, checked
			// against the inner name); Go's TLS tells a rejection, with
			// the server's retry configurations, from a bad certificate.
			if raw, err = redial(); err != nil {
				return nil, "", err
			}
			return u.goHandshake(ctx, raw, host, hello, h1, ech)
		}
		if err == nil || !mirrorFailure(err) {
			return c, proto, err
		}
		u.noMirr.Store(host, time.Now().Add(noMirrorFor))
		u.p.cfg.Logf("HTTPS filtering: %s: the browser's TLS hello could not be repeated (%v); using Go's TLS for it for %v", host, err, noMirrorFor)
		if raw, err = redial(); err != nil {
			return nil, "", err
		}
	}
	return u.goHandshake(ctx, raw, host, hello, h1, ech)
}

func (u *upstreamTLS) mirrorOff(host string) bool {
	v, ok := u.noMirr.Load(host)
	if !ok {
		return false
	}
	if time.Now().Before(v.(time.Time)) {
		return true
	}
	u.noMirr.Delete(host)
	return false
}

// mirrorError marks an error of the mirroring itself (building the hello,
// or a uTLS handshake failure that is not about the network or the
// certificate): Go's TLS is tried instead.
type mirrorError struct{ err error }

func (e *mirrorError) Error() string { return e.err.Error() }
func (e *mirrorError) Unwrap() error { return e.err }

func mirrorFailure(err error) bool {
	var me *mirrorError
	return errors.As(err, &me)
}

func (u *upstreamTLS) mirrored(ctx context.Context, raw net.Conn, host string, hello *clientHello, h1 bool, ech []byte) (net.Conn, string, error) {
	spec, err := mirrorSpec(hello, host, h1)
	if err != nil {
		return nil, "", &mirrorError{err}
	}
	cfg := &utls.Config{
		ServerName:                         host,
		RootCAs:                            u.p.upstreamRoots(),
		MinVersion:                         minVersion(ech),
		ClientSessionCache:                 u.uTLS,
		OmitEmptyPsk:                       true,
		PreferSkipResumptionOnNilExtension: true,
		EncryptedClientHelloConfigList:     ech,
		VerifyConnection:                   verifyUTLS,
	}
	if ech != nil && !slices.ContainsFunc(spec.Extensions, isECHExt) {
		spec.Extensions = slices.Insert(spec.Extensions, max(0, len(spec.Extensions)-1), utls.TLSExtension(utls.BoringGREASEECH()))
	}
	uc := utls.UClient(raw, cfg, utls.HelloCustom)
	if err := applyPreset(uc, spec); err != nil {
		raw.Close()
		return nil, "", &mirrorError{err}
	}
	if err := uHandshake(ctx, uc); err != nil {
		raw.Close()
		if _, ech := echRejected(err); ech || isCertError(err) || isNetError(err) {
			return nil, "", err
		}
		return nil, "", &mirrorError{err}
	}
	st := uc.ConnectionState()
	if st.Version < tls.VersionTLS12 {
		uc.Close()
		return nil, "", fmt.Errorf("%s: the server offered TLS older than 1.2", host)
	}
	return uc, st.NegotiatedProtocol, nil
}

func isECHExt(e utls.TLSExtension) bool {
	_, ok := e.(utls.EncryptedClientHelloExtension)
	return ok
}

// applyPreset and uHandshake turn a panic inside uTLS into an error.
func applyPreset(uc *utls.UConn, spec *utls.ClientHelloSpec) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("uTLS: %v", p)
		}
	}()
	return uc.ApplyPreset(spec)
}

func uHandshake(ctx context.Context, uc *utls.UConn) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("uTLS handshake: %v", p)
		}
	}()
	return uc.HandshakeContext(ctx)
}

// goHandshake is the handshake with Go's TLS, offering the browser's ALPN
// protocols when there is a hello.
func (u *upstreamTLS) goHandshake(ctx context.Context, raw net.Conn, host string, hello *clientHello, h1 bool, ech []byte) (net.Conn, string, error) {
	protos := []string{"h2", "http/1.1"}
	if hello != nil {
		if p := hello.alpn(); p != nil {
			protos = p
		}
	}
	if h1 {
		protos = []string{"http/1.1"}
	}
	tc := tls.Client(raw, &tls.Config{
		ServerName:                     host,
		RootCAs:                        u.p.upstreamRoots(),
		MinVersion:                     minVersion(ech),
		NextProtos:                     protos,
		ClientSessionCache:             u.goTLS,
		EncryptedClientHelloConfigList: ech,
		VerifyConnection:               verifyGo,
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, "", err
	}
	return tc, tc.ConnectionState().NegotiatedProtocol, nil
}

// minVersion is the oldest TLS upstream: 1.2, or 1.3 with ECH (which
// exists only there).
func minVersion(ech []byte) uint16 {
	if ech != nil {
		return tls.VersionTLS13
	}
	return tls.VersionTLS12
}

// isCertError reports whether err is about the server's certificate.
func isCertError(err error) bool {
	var ucv *utls.CertificateVerificationError
	var cv *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var weak *weakKeyError
	return errors.As(err, &ucv) || errors.As(err, &cv) || errors.As(err, &unknown) || errors.As(err, &hostErr) || errors.As(err, &invalid) || errors.As(err, &weak)
}

// isNetError reports whether err came from the connection rather than
// from TLS. A TLS alert is a *net.OpError too ("remote error", "local
// error"): that is TLS.
func isNetError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "remote error" || op.Op == "local error") {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// echRejected reports whether err is a server's rejection of ECH, with the
// configurations it sent for a retry (nil for none).
func echRejected(err error) ([]byte, bool) {
	var ue *utls.ECHRejectionError
	var ge *tls.ECHRejectionError
	switch {
	case errors.As(err, &ue):
		return nonEmpty(ue.RetryConfigList), true
	case errors.As(err, &ge):
		return nonEmpty(ge.RetryConfigList), true
	}
	return nil, false
}

func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
