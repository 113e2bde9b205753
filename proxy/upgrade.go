// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"polaris/assets"
)

// HTTPS upgrades of plain-HTTP requests. Search engines (and hosts the
// policy knows serve HTTPS) are redirected straight away; with HTTPS-first,
// a navigation to any other site is redirected once a verified TLS handshake
// with the site succeeds through the current route, and otherwise answered
// with a warning page from which the user may continue over HTTP.

// Limits of HTTPS-first.
const (
	probeTimeout    = 10 * time.Second
	probeOKTTL      = time.Hour
	probeFailTTL    = 10 * time.Minute
	maxProbeEntries = 4096
	maxTokens       = 1024
	tokenTTL        = 30 * time.Minute
	maxAllowedHTTP  = 4096
)

// upgrade returns a redirect to HTTPS for a plain-HTTP request that should
// be upgraded, a warning page when HTTPS-first cannot upgrade it, or nil.
func (p *Proxy) upgrade(r *http.Request, info *requestInfo, st *httpsState, links *linkRules) *http.Response {
	if r.URL.Scheme != "http" || (!st.pol.SearchEngines && !st.pol.First && st.pol.KnownHTTPS == nil) {
		return nil
	}
	host := info.host
	if port := r.URL.Port(); port != "" && port != "80" {
		return nil // HTTPS is never on the same non-standard port
	}
	if neverUpgrade(host) || st.exempt(host, info.site) || links.upgradeExempt(host, info.site) {
		return nil
	}
	target := httpsURL(r.URL)
	if (st.pol.SearchEngines && isSearchEngine(host)) || (st.pol.KnownHTTPS != nil && st.pol.KnownHTTPS(host)) {
		return p.redirect(r, target, "Polaris sent this request over HTTPS.")
	}
	if !st.pol.First || !info.navigation || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return nil
	}
	if p.first.allowedHTTP(host) {
		return nil
	}
	err := p.first.probe(r.Context(), p, host, info.siteDomain())
	if err == nil {
		return p.redirect(r, target, "Polaris sent this page over HTTPS (HTTPS-first).")
	}
	var ref *Refusal
	if errors.As(err, &ref) {
		return p.pageResponse(r, ref.Code, refusalPage(host, ref))
	}
	return p.httpOnlyPage(r, host, err)
}

// neverUpgrade reports whether host is local or reserved: loopback and
// private addresses, single-label names, and the special-use domains
// (localhost, test, example, invalid, local, onion, home.arpa, ...). IP
// addresses are never upgraded at all: certificates for them are rare, so
// HTTPS-first would only warn.
func neverUpgrade(host string) bool {
	if host == "" || isIPLiteral(host) || !strings.Contains(host, ".") {
		return true
	}
	for _, tld := range specialTLDs {
		if host == tld || strings.HasSuffix(host, "."+tld) {
			return true
		}
	}
	return false
}

// specialTLDs are names that never point to a public site (RFC 6761, RFC
// 6762, RFC 7686, RFC 8375 and names common on home and office networks).
var specialTLDs = []string{"localhost", "test", "example", "invalid", "local", "onion", "home.arpa",
	"lan", "home", "internal", "intranet", "corp", "localdomain", "private"}

// httpsURL is u over HTTPS on the default port.
func httpsURL(u *url.URL) string {
	v := *u
	v.Scheme = "https"
	v.User = nil
	v.Host = u.Hostname()
	if strings.Contains(v.Host, ":") {
		v.Host = "[" + v.Host + "]"
	}
	return v.String()
}

// redirect answers r with a 307 to location (method and body are kept).
func (p *Proxy) redirect(r *http.Request, location, why string) *http.Response {
	body := []byte("Moved to " + location + "\n" + why + "\n")
	resp := &http.Response{
		StatusCode: http.StatusTemporaryRedirect, Status: "307 Temporary Redirect",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
	resp.Header.Set("Location", location)
	setPageHeaders(resp.Header, "text/plain; charset=utf-8", len(body))
	return resp
}

// firstState is HTTPS-first's memory for the session.
type firstState struct {
	mu      sync.Mutex
	probes  map[string]probeResult
	flight  map[string]*probeCall
	tokens  map[string]httpToken
	allowed map[string]time.Time // hosts the user chose to visit over HTTP
	now     func() time.Time
	page    *template.Template
}

type probeResult struct {
	err error
	at  time.Time
}

type probeCall struct {
	done chan struct{}
	err  error
}

type httpToken struct {
	host, url string
	expires   time.Time
}

func (f *firstState) init() {
	t, err := template.ParseFS(assets.Pages, "pages/base.html", "pages/https-first.html")
	if err != nil {
		panic(err) // embedded and tested: a broken build
	}
	f.page = t.Lookup("https-first.html")
	f.probes = map[string]probeResult{}
	f.flight = map[string]*probeCall{}
	f.tokens = map[string]httpToken{}
	f.allowed = map[string]time.Time{}
	f.now = time.Now
}

func (f *firstState) allowedHTTP(host string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.allowed[host]
	return ok
}

// probe checks, through the current route, that host completes a verified
// TLS handshake on port 443. Results are cached; concurrent probes of one
// host share one handshake.
func (f *firstState) probe(ctx context.Context, p *Proxy, host, site string) error {
	f.mu.Lock()
	if res, ok := f.probes[host]; ok {
		ttl := probeOKTTL
		if res.err != nil {
			ttl = probeFailTTL
		}
		if f.now().Sub(res.at) < ttl {
			f.mu.Unlock()
			return res.err
		}
	}
	if c, ok := f.flight[host]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := &probeCall{done: make(chan struct{})}
	f.flight[host] = c
	f.mu.Unlock()

	c.err = p.probeTLS(host, site)
	f.mu.Lock()
	delete(f.flight, host)
	var ref *Refusal
	if !errors.As(c.err, &ref) { // a refusal says nothing about the site
		if len(f.probes) >= maxProbeEntries {
			clear(f.probes)
		}
		f.probes[host] = probeResult{err: c.err, at: f.now()}
	}
	f.mu.Unlock()
	close(c.done)
	return c.err
}

// probeTLS does one verified TLS handshake with host:443.
func (p *Proxy) probeTLS(host, site string) error {
	ctx, cancel := context.WithTimeout(withSite(context.Background(), site), probeTimeout)
	defer cancel()
	conn, err := p.state.Load().route.dial(ctx, "tcp", net.JoinHostPort(host, "443"))
	if err != nil {
		return err
	}
	defer conn.Close()
	tc := tls.Client(conn, &tls.Config{
		ServerName:       host,
		RootCAs:          p.upstreamRoots(),
		MinVersion:       tls.VersionTLS12,
		NextProtos:       []string{"http/1.1"},
		VerifyConnection: verifyGo,
	})
	return tc.HandshakeContext(ctx)
}

// newToken remembers that the user may continue to rawURL over HTTP.
func (f *firstState) newToken(host, rawURL string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return ""
	}
	tok := hex.EncodeToString(b[:])
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.tokens) >= maxTokens {
		for k, t := range f.tokens {
			if now.After(t.expires) {
				delete(f.tokens, k)
			}
		}
		if len(f.tokens) >= maxTokens {
			clear(f.tokens)
		}
	}
	f.tokens[tok] = httpToken{host: host, url: rawURL, expires: now.Add(tokenTTL)}
	return tok
}

// redeem uses a token once: the host may be visited over HTTP for the rest
// of the session. It returns the URL to go to.
func (f *firstState) redeem(tok string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tokens[tok]
	delete(f.tokens, tok)
	if !ok || f.now().After(t.expires) {
		return "", false
	}
	if len(f.allowed) >= maxAllowedHTTP {
		clear(f.allowed)
	}
	f.allowed[t.host] = f.now()
	return t.url, true
}

// continuePath is where the warning page's "continue over HTTP" link points
// (on the reserved host).
const continuePath = "/https-first/continue"

// httpOnlyPage is the HTTPS-first warning for a site that failed the probe.
func (p *Proxy) httpOnlyPage(r *http.Request, host string, probeErr error) *http.Response {
	tok := p.first.newToken(host, r.URL.String())
	cont := "http://" + p.cfg.ReservedHost + continuePath + "?t=" + tok
	detail := probeErr.Error()
	if d := failureDetail(host, probeErr); d != "" {
		detail = d
	}
	var body []byte
	ctype := "text/html; charset=utf-8"
	if wantsHTML(r) && p.first.page != nil {
		var buf bytes.Buffer
		err := p.first.page.Execute(&buf, map[string]string{
			"Title": "This site has no secure connection", "Host": host, "URL": r.URL.String(),
			"Detail": detail, "Continue": cont,
		})
		if err == nil {
			body = buf.Bytes()
		}
	}
	if body == nil {
		ctype = "text/plain; charset=utf-8"
		body = []byte("403 This site has no secure connection\n" + host + " did not answer over HTTPS (" + detail +
			"); HTTPS-first is on.\nTo load it over plain HTTP anyway, open " + cont + "\n")
	}
	resp := &http.Response{
		StatusCode: http.StatusForbidden, Status: "403 Forbidden",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
	setPageHeaders(resp.Header, ctype, len(body))
	return resp
}

// failureDetail is the one-line reason of a failed probe.
func failureDetail(host string, err error) string {
	_, d := failure(host, err)
	return d.Title
}

// serveOwn answers the requests to the reserved host that the proxy itself
// handles besides the status page: the CA download and the HTTPS-first
// "continue" link. It reports whether it answered.
func (p *Proxy) serveOwn(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/ca.pem", "/ca.der", "/ca.crt":
		p.serveCA(w, r)
		return true
	case continuePath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return false
		}
		to, ok := p.first.redeem(r.URL.Query().Get("t"))
		if !ok {
			p.writePage(w, r, http.StatusNotFound, pageData{
				Title: "This link has expired",
				Text:  "The link to continue over plain HTTP works once and for a limited time. Open the site again to get a new one.",
			})
			return true
		}
		w.Header().Set("Location", to)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(http.StatusSeeOther)
		return true
	}
	return false
}

// serveCA offers the CA certificate for download: PEM at /ca.pem, DER
// (which browsers offer to import) at /ca.der and /ca.crt.
func (p *Proxy) serveCA(w http.ResponseWriter, r *http.Request) {
	if p.cfg.CACertPEM == nil {
		p.NotFound(w, r)
		return
	}
	if !downloadAsked(r) {
		p.writeStatusPage(w, r)
		return
	}
	pemBytes, err := p.cfg.CACertPEM()
	if err != nil || len(pemBytes) == 0 {
		p.writePage(w, r, http.StatusServiceUnavailable, pageData{
			Title: "Polaris's certificate is not available", Text: "Polaris could not read its certificate authority.", Detail: errText(err),
		})
		return
	}
	body, ctype, name := pemBytes, "application/x-pem-file", "polaris-ca.pem"
	if r.URL.Path != "/ca.pem" {
		der, err := pemToDER(pemBytes)
		if err != nil {
			p.writePage(w, r, http.StatusInternalServerError, pageData{Title: "Polaris's certificate is damaged", Text: err.Error()})
			return
		}
		body, ctype, name = der, "application/x-x509-ca-cert", "polaris-ca"+r.URL.Path[len("/ca"):]
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// pemToDER returns the first certificate of a PEM document in DER form.
func pemToDER(data []byte) ([]byte, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return block.Bytes, nil
}
