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
	"net/http"
	"strings"
	"syscall"

	"github.com/elazarl/goproxy"

	"polaris/blocklist"
)

// Refusal is an error a dialer returns to refuse a connection on purpose
// (e.g. Tor mode on but Tor not connected). The proxy shows its text to the
// user as is, with the given status code.
type Refusal struct {
	Code  int    // HTTP status, e.g. 503
	Title string // short headline
	Text  string // what happened and what to do, in plain words
	// NewCircuit: the page offers new Tor circuits for the site (a site
	// Tor could not reach may be reachable through other relays).
	NewCircuit bool
}

func (r *Refusal) Error() string { return r.Title + ": " + r.Text }

// failure classifies an upstream error into a status code and plain words.
func failure(host string, err error) (int, pageData) {
	d := pageData{Host: host, Detail: err.Error()}
	var ref *Refusal
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var netErr net.Error
	var weak *weakKeyError
	switch {
	case errors.As(err, &ref):
		return ref.Code, refusalPage(host, ref)
	case errors.Is(err, errSlowBody):
		d.Title = "The request was sent too slowly"
		d.Text = fmt.Sprintf("What was being sent to %s stopped coming (or came too slowly), so Polaris gave up on it.", host)
		d.Hint = "Try again. If this computer's network is very slow or busy, wait until it is not."
		return http.StatusRequestTimeout, d
	case errors.As(err, &dnsErr):
		d.Title = "Site not found"
		d.Text = fmt.Sprintf("Polaris could not find the server %s: its name does not resolve to an address.", host)
		d.Hint = "Check the address for typing mistakes, and that this computer is connected."
		return http.StatusBadGateway, d
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid), errors.As(err, &weak):
		return http.StatusBadGateway, certFailurePage(host, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout(),
		strings.Contains(err.Error(), "timeout awaiting response headers"):
		d.Title = "The site took too long to answer"
		d.Text = fmt.Sprintf("%s did not answer in time.", host)
		d.Hint = "The site may be overloaded or down. Try again later."
		return http.StatusGatewayTimeout, d
	case errors.Is(err, syscall.ECONNREFUSED):
		d.Title = "The site refused the connection"
		d.Text = fmt.Sprintf("%s refused the connection: nothing is listening there.", host)
		return http.StatusBadGateway, d
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		d.Title = "The site closed the connection"
		d.Text = fmt.Sprintf("%s closed the connection without answering.", host)
		return http.StatusBadGateway, d
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		d.Title = "The site cannot be reached"
		d.Text = fmt.Sprintf("There is no network route to %s.", host)
		return http.StatusBadGateway, d
	}
	d.Title = "The site could not be reached"
	d.Text = fmt.Sprintf("Polaris could not get an answer from %s.", host)
	return http.StatusBadGateway, d
}

// upstreamErrorResponse is the page for a request whose upstream failed.
func (p *Proxy) upstreamErrorResponse(r *http.Request, err error) *http.Response {
	if err == nil {
		err = errors.New("no response")
	}
	host := r.URL.Hostname()
	err = p.routeExplains(err)
	code, d := failure(host, err)
	var ref *Refusal
	if errors.As(err, &ref) && ref.NewCircuit && p.blk.cfg.NewCircuit != nil && p.state.Load().route.Tor {
		// A link to the confirmation page: the page of a failure is shown
		// at the site's address, so it holds no token.
		d.ActionURL = p.confirmURL(r, "newcircuit", blocklist.Site(strings.ToLower(host)), r.URL.String())
		d.ActionText = "Try new Tor circuits for this site"
	}
	if p.state.Load().route.Tor {
		d.Onion = p.OnionOf(host)
	}
	p.cfg.Logf("upstream %s: %v", host, err)
	return p.pageResponse(r, code, d)
}

// routeExplains replaces an upstream error with the route's own refusal
// when the route itself is down (e.g. Tor died under an open connection):
// the user is told what really happened.
func (p *Proxy) routeExplains(err error) error {
	var ref *Refusal
	if errors.As(err, &ref) {
		return err
	}
	if down := p.state.Load().route.Down; down != nil {
		if ref := down(); ref != nil {
			return ref
		}
	}
	return err
}

// writeConnectError answers a CONNECT whose upstream dial failed. The
// client connection is raw here (hijacked), so the response is written
// by hand; goproxy closes the connection afterwards.
func (p *Proxy) writeConnectError(w io.Writer, ctx *goproxy.ProxyCtx, err error) {
	var de *dialError
	if !errors.As(err, &de) {
		// goproxy also reports errors of an established tunnel here; the
		// client's stream is not HTTP any more, so write nothing.
		return
	}
	err = de.err
	host, _, _ := net.SplitHostPort(ctx.Req.Host)
	code, d := failure(host, p.routeExplains(err))
	p.cfg.Logf("CONNECT %s: %v", ctx.Req.Host, err)
	resp := p.pageResponse(ctx.Req, code, d)
	resp.Close = true
	resp.Header.Set("Connection", "close")
	resp.Write(w)
}

// dialError marks an error from dialing a CONNECT upstream, before the
// tunnel exists.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func refusalPage(host string, r *Refusal) pageData {
	return pageData{Host: host, Title: r.Title, Text: r.Text}
}
