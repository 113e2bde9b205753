// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"

	"polaris/blocklist"
	"polaris/internal/status"
)

// What sites answer about Do Not Track and Global Privacy Control: the Tk
// response header (W3C Tracking Preference Expression), the tracking status
// resource /.well-known/dnt/, /.well-known/gpc.json (GPC specification §4.1)
// and /.well-known/dnt-policy.txt (the EFF DNT policy).

// effPolicyHashes are the SHA-1 hashes of the published versions of the EFF
// "Do Not Track Compliance Policy" text, as Privacy Badger recognises them.
// Source: EFF's list https://www.eff.org/files/dnt-policies.json, as shipped
// in Privacy Badger's data/dnt-policies.json (EFForg/privacybadger; Debian
// package webext-privacy-badger 2020.10.7). EFF has published no new version
// since v1.0 (2015).
var effPolicyHashes = map[string]string{
	"41ae62ddfee360fe1e0e7dbae0f35b2dc06212eb": "Preliminary DNT Policy",
	"96297930e450cb795004ae5b1fcc88290a2fe982": "Discussion Draft DNT Policy v0.1",
	"76d89351d48f10c633fd1b5273587913f0851367": "Discussion Draft v0.2 in progress feb 2015",
	"a18e8dba6848d3fc241b03b88291cb75a3cfec3b": "DNT Policy v1.0",
	"5b8972a0e8df8236bb28061ddc462767d4366218": "DNT Policy v1.0 no-trailing-space",
	"c09f71363bb29d0250a1f5524eef36f9ab07669b": "DNT Policy v1.0 dos-line-endings",
	"7861462d500fbb6ccb74c614782f4937377bec76": "DNT Policy v1.0 no-eof-newline",
}

// effPolicyVersion returns the name of the EFF DNT policy version body is,
// or "" when it is none of them (byte for byte, as the hashes require).
func effPolicyVersion(body []byte) string {
	sum := sha1.Sum(body)
	return effPolicyHashes[hex.EncodeToString(sum[:])]
}

// trackingStatusValues are the tracking status values of the W3C Tracking
// Preference Expression (§6.2): under construction, dynamic, gateway, not
// tracking, tracking, consent, potential consent, disregarding, updated.
const trackingStatusValues = "!?GNTCPDU"

// parseTk parses a Tk response header: a tracking status value, optionally
// followed by ";" and a status-id. It returns the value.
func parseTk(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ";,"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if len(v) != 1 || !strings.Contains(trackingStatusValues, v) {
		return "", false
	}
	return v, true
}

// Size limits of the well-known resources.
const (
	maxWellKnownJSON = 64 << 10
	maxDNTPolicy     = 128 << 10
)

// parseTrackingStatus parses a tracking status resource (/.well-known/dnt/)
// and returns its "tracking" value.
func parseTrackingStatus(body []byte) (string, error) {
	var doc struct {
		Tracking *string `json:"tracking"`
	}
	if err := strictJSONObject(body, &doc); err != nil {
		return "", fmt.Errorf("tracking status resource: %w", err)
	}
	if doc.Tracking == nil {
		return "", errors.New(`tracking status resource: no "tracking" member`)
	}
	v, ok := parseTk(*doc.Tracking)
	if !ok || len(*doc.Tracking) != 1 {
		return "", fmt.Errorf("tracking status resource: %q is not a tracking status value", *doc.Tracking)
	}
	return v, nil
}

// parseGPCJSON parses /.well-known/gpc.json and returns its "gpc" member.
func parseGPCJSON(body []byte) (bool, error) {
	var doc struct {
		GPC *bool `json:"gpc"`
	}
	if err := strictJSONObject(body, &doc); err != nil {
		return false, fmt.Errorf("gpc.json: %w", err)
	}
	if doc.GPC == nil {
		return false, errors.New(`gpc.json: no boolean "gpc" member`)
	}
	return *doc.GPC, nil
}

// strictJSONObject decodes one JSON object (and nothing after it) into v.
func strictJSONObject(body []byte, v any) error {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // a UTF-8 BOM is common
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// honorsDNT says whether answers claim to honour DNT: the EFF policy, or a
// tracking status of not tracking (N) or tracking only with consent (C, P).
func honorsDNT(tsv string, eff bool) bool {
	return eff || tsv == "N" || tsv == "C" || tsv == "P"
}

// afterResponse is the HTTPS policy's part of the response hook: it
// records the Tk header and sends AMP pages to their canonical page.
func (p *Proxy) afterResponse(resp *http.Response, ctx *goproxy.ProxyCtx) *http.Response {
	if ctx.Req == nil {
		return resp
	}
	p.recordTk(resp, ctx.Req)
	if r := p.onionLocation(resp, ctx.Req); r != nil {
		return r
	}
	p.tightenSearchReferrer(resp, ctx.Req)
	if r := p.ampCanonical(resp, ctx.Req); r != nil {
		return r
	}
	return resp
}

// recordTk records the Tk header of a response to req.
func (p *Proxy) recordTk(resp *http.Response, req *http.Request) {
	if p.cfg.OnTk == nil || !p.stateOf(req).https.pol.CheckSites {
		return
	}
	v := resp.Header.Get("Tk")
	if v == "" {
		return
	}
	if tsv, ok := parseTk(v); ok {
		p.cfg.OnTk(blocklist.Site(normHost(req.URL.Hostname())), tsv)
	}
}

// Limits of the site checker.
const (
	checkWorkers    = 2
	checkQueue      = 64
	checkMaxSites   = 20000
	checkTimeout    = 15 * time.Second
	checkMaxRetries = 2
	checkRedirects  = 3
)

// siteChecker fetches the well-known resources of sites, at most once per
// site and session, a few at a time, off the request path.
type siteChecker struct {
	p *Proxy
	// browser holds the identifying headers of the last navigation, for
	// the checks no navigation asked for (CheckSite).
	browser atomic.Pointer[http.Header]
	mu      sync.Mutex
	seen    map[string]*checkEntry
	queued  int
	slots   chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// checkEntry is a site's checks this session.
type checkEntry struct {
	attempts int
	active   bool // queued, running, or answered (never checked again)
}

func (c *siteChecker) init(p *Proxy) {
	c.p = p
	c.seen = map[string]*checkEntry{}
	c.slots = make(chan struct{}, checkWorkers)
	c.ctx, c.cancel = context.WithCancel(context.Background())
}

func (c *siteChecker) stop() {
	c.cancel()
	c.wg.Wait()
}

// visit notes a navigation to u (whose host is host): its site is checked
// unless it was this session.
func (c *siteChecker) visit(u *url.URL, host string, h http.Header) {
	if isIPLiteral(host) || neverUpgrade(host) {
		return // local names have no public answer to give
	}
	bh := identityOf(h)
	c.browser.Store(&bh)
	origin := u.Scheme + "://" + u.Host
	c.enqueue(origin, blocklist.Site(host), bh)
}

// browserIdentity are the request headers that say which browser asks:
// a site check sends the browser's, so that it looks like the browser's own
// request rather than a program's.
var browserIdentity = []string{"User-Agent", "Accept-Language", "Accept-Encoding", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform"}

// identityOf returns the browser's identifying headers of a
// navigation, and Sec-Fetch-Dest when the browser sends the Sec-Fetch
// headers.
func identityOf(h http.Header) http.Header {
	out := make(http.Header, len(browserIdentity)+1)
	for _, k := range browserIdentity {
		if v := h[k]; len(v) > 0 {
			out[k] = v
		}
	}
	if v := h["Sec-Fetch-Dest"]; len(v) > 0 {
		out["Sec-Fetch-Dest"] = v
	}
	return out
}

// setCheckHeaders makes a site check's request look like a same-origin
// fetch() by the browser b (identityOf): its identity, its language,
// its encodings and, when it sends them, the Sec-Fetch headers of such a
// fetch. No cookie, no credentials, no Referer.
func setCheckHeaders(h, b http.Header) {
	for _, k := range browserIdentity {
		if v := b[k]; len(v) > 0 {
			h[k] = v
		}
	}
	if len(h["User-Agent"]) == 0 {
		h["User-Agent"] = []string{""} // Go's own name would stand out more than none
	}
	h.Set("Accept", "*/*")
	if len(b["Sec-Fetch-Dest"]) > 0 {
		h.Set("Sec-Fetch-Site", "same-origin")
		h.Set("Sec-Fetch-Mode", "cors")
		h.Set("Sec-Fetch-Dest", "empty")
	}
}

// CheckSite asks for the well-known DNT/GPC resources of host (over HTTPS)
// to be fetched, unless its site was checked this session. It returns at
// once; the answer arrives through Config.OnSiteChecked. The blocking code
// uses it to learn whether a third party posts the EFF DNT policy.
func (p *Proxy) CheckSite(host string) {
	host = normHost(host)
	if host == "" || isIPLiteral(host) || neverUpgrade(host) || !validHostPattern(host) {
		return
	}
	var bh http.Header
	if b := p.checker.browser.Load(); b != nil {
		bh = *b
	}
	p.checker.enqueue("https://"+host, blocklist.Site(host), bh)
}

// enqueue queues the checks of site at origin, made as the browser whose
// headers are b (identityOf). Nothing is checked over Tor.
func (c *siteChecker) enqueue(origin, site string, b http.Header) {
	if c.p.cfg.OnSiteChecked == nil || c.ctx.Err() != nil || c.p.state.Load().route.Tor {
		return
	}
	c.mu.Lock()
	e := c.seen[site]
	if (e != nil && (e.active || e.attempts >= checkMaxRetries)) || c.queued >= checkQueue ||
		(e == nil && len(c.seen) >= checkMaxSites) {
		c.mu.Unlock()
		return
	}
	if e == nil {
		e = &checkEntry{}
		c.seen[site] = e
	}
	e.attempts++
	e.active = true
	c.queued++
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				c.p.cfg.Logf("site check of %s: panic: %v", site, r)
			}
		}()
		select {
		case c.slots <- struct{}{}:
		case <-c.ctx.Done():
			c.done(site, false)
			return
		}
		a, ok := c.check(origin, site, b)
		<-c.slots
		c.done(site, ok)
		if ok {
			c.p.dntSites.learn(a.Site, a.EFFPolicy)
			c.p.cfg.OnSiteChecked(a)
		}
	}()
}

// done ends a check; a check that reached nothing may be tried again later.
func (c *siteChecker) done(site string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queued--
	if e := c.seen[site]; e != nil && !ok {
		e.active = false
	}
}

// check fetches the three resources of origin. ok is false when none could
// be fetched at all (network down, Tor not ready): that says nothing about
// the site.
func (c *siteChecker) check(origin, site string, b http.Header) (status.SiteAnswer, bool) {
	a := status.SiteAnswer{Site: site, Checked: time.Now().UTC()}
	reached := false
	if body, err := c.fetch(origin+"/.well-known/dnt/", site, b, maxWellKnownJSON); err == nil {
		reached = true
		if v, err := parseTrackingStatus(body); err == nil {
			a.TrackingStatus = v
		}
	} else if !errors.Is(err, errUnreachable) {
		reached = true
	}
	if body, err := c.fetch(origin+"/.well-known/gpc.json", site, b, maxWellKnownJSON); err == nil {
		reached = true
		a.HonorsGPC, _ = parseGPCJSON(body)
	} else if !errors.Is(err, errUnreachable) {
		reached = true
	}
	if body, err := c.fetch(origin+"/.well-known/dnt-policy.txt", site, b, maxDNTPolicy); err == nil {
		reached = true
		a.EFFPolicy = effPolicyVersion(body) != ""
	} else if !errors.Is(err, errUnreachable) {
		reached = true
	}
	a.HonorsDNT = honorsDNT(a.TrackingStatus, a.EFFPolicy)
	return a, reached
}

// readDecoded reads at most limit bytes of resp's body, decoded.
func readDecoded(resp *http.Response, limit int64) ([]byte, error) {
	coding, ok := contentCoding(resp.Header.Get("Content-Encoding"))
	if !ok {
		return nil, errUnknownCoding
	}
	d, err := decoder(coding, resp.Body)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return io.ReadAll(io.LimitReader(d, limit))
}

// errUnreachable marks a fetch that got no HTTP answer at all.
var errUnreachable = errors.New("no answer")

// fetch GETs rawURL through the current route, as a request of site made
// by the browser b (setCheckHeaders), without cookies or credentials,
// following up to three redirects within the site (never from HTTPS to
// HTTP). Only a 200 answer is a body. Over Tor nothing is fetched.
func (c *siteChecker) fetch(rawURL, site string, b http.Header, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(withSite(c.ctx, site), checkTimeout)
	defer cancel()
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return nil, err
		}
		setCheckHeaders(req.Header, b)
		// The user's signals, as for any request of this site.
		// One state for the whole check: its signals and its route.
		st := c.p.state.Load()
		info := requestInfo{st: st, host: normHost(req.URL.Hostname()), navigation: true}
		info.site = info.host
		st.policy.applySignals(req.Header, &info)
		rt := st.route
		if rt.Tor {
			return nil, fmt.Errorf("%w: Tor is on", errUnreachable)
		}
		resp, err := rt.transport(site, false).RoundTrip(req)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUnreachable, err)
		}
		body, rerr := readDecoded(resp, limit+1)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			if rerr != nil {
				return nil, rerr
			}
			if int64(len(body)) > limit {
				return nil, fmt.Errorf("%s: larger than %d bytes", rawURL, limit)
			}
			return body, nil
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			next, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil || hop >= checkRedirects || (next.Scheme != "https" && next.Scheme != "http") ||
				(req.URL.Scheme == "https" && next.Scheme != "https") ||
				blocklist.Site(normHost(next.Hostname())) != site {
				return nil, fmt.Errorf("%s: redirect not followed", rawURL)
			}
			rawURL = next.String()
		default:
			return nil, fmt.Errorf("%s: status %d", rawURL, resp.StatusCode)
		}
	}
}
