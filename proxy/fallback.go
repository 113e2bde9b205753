// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"syscall"
)

// Browsers try https:// on port 443 on their own (Chromium's HTTPS
// upgrades, Firefox's HTTPS-first) and fall back to http:// only when that
// attempt fails at the network level; any answer, even Polaris's error
// page, is a success to them, and an HTTP-only site would never load. So a
// request on an intercepted tunnel to port 443 whose site's HTTPS does not
// work — nothing listens, the connection is reset, the port does not speak
// TLS, the certificate does not verify — ends without an answer (the
// browser's connection or HTTP/2 stream is cut), as the site's own port
// would have ended it, and the reason goes to Polaris's log. Where the
// browser does not fall back (an https:// address typed or linked) it shows
// its own error instead of Polaris's page. Other ports, names that do not
// resolve, slow answers and a route that refuses (Tor not ready) keep
// Polaris's pages.

// siteHTTPSBroken reports whether r, which failed with err, came through an
// intercepted tunnel to port 443 and failed because the site's HTTPS does
// not work.
func siteHTTPSBroken(r *http.Request, err error) bool {
	mc, _ := r.Context().Value(mitmConnKey{}).(*mitmConn)
	if mc == nil || err == nil {
		return false
	}
	if _, port, perr := net.SplitHostPort(mc.authority); perr == nil && port != "443" {
		return false
	}
	var ref *Refusal
	var dnsErr *net.DNSError
	if errors.As(err, &ref) || errors.As(err, &dnsErr) {
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	var opErr *net.OpError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid),
		errors.As(err, &recErr), errors.As(err, &alert):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return true
	}
	return false
}

// abortForFallback ends the request on r without an answer when its site's
// HTTPS does not work (see siteHTTPSBroken); it returns otherwise.
func (p *Proxy) abortForFallback(r *http.Request, err error) {
	if !siteHTTPSBroken(r, err) {
		return
	}
	p.cfg.Logf("HTTPS of %s does not work, so the browser's request fails as it would without Polaris (a browser that tried https:// by itself goes back to http://): %v", r.URL.Hostname(), err)
	panic(http.ErrAbortHandler)
}
