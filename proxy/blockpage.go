// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/elazarl/goproxy"

	"polaris/assets"
	"polaris/blocklist"
)

// The answers to blocked requests, the block page and its two buttons.
//
// The buttons post to http(s)://polaris.invalid/blocked/allow-once and
// /blocked/allow-site. The block page is shown at the blocked address, so
// another page cannot read it; each button carries a token that is an HMAC,
// under a key drawn at start, of the action and the host or site it acts
// on, so a token read from one block page cannot allow anything else.
// Actions must be POSTs whose Origin (or Referer) is the blocked host and
// that a browser made as a navigation (Sec-Fetch-Mode, when sent).

type blockPages struct {
	page *template.Template
}

func loadBlockPages() (*blockPages, error) {
	t, err := template.ParseFS(assets.Pages, "pages/base.html", "pages/blocked.html")
	if err != nil {
		return nil, fmt.Errorf("loading page blocked.html: %w", err)
	}
	return &blockPages{page: t.Lookup("blocked.html")}, nil
}

// transparentGIF is a 1×1 transparent GIF (43 bytes).
var transparentGIF, _ = base64.StdEncoding.DecodeString("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

// blockedResponse is the answer to a blocked request: the block page for a
// page load, the surrogate for a redirect, an empty answer of the right
// kind for anything else.
func (p *Proxy) blockedResponse(r *http.Request, m *blocklist.Matcher, d decision, info *requestInfo) *http.Response {
	if d.v.Action == blocklist.Redirect {
		if ctype, body, ok := m.Surrogate(d.v.Redirect); ok {
			return quickResponse(r, http.StatusOK, ctype, body)
		}
	}
	switch d.typ {
	case blocklist.TypeDocument:
		return p.blockPageResponse(r, d.v, info)
	case blocklist.TypeImage:
		return quickResponse(r, http.StatusOK, "image/gif", transparentGIF)
	case blocklist.TypeStylesheet:
		return quickResponse(r, http.StatusOK, "text/css", nil)
	case blocklist.TypeScript:
		return quickResponse(r, http.StatusOK, "application/javascript", nil)
	case blocklist.TypeSubdocument:
		return quickResponse(r, http.StatusOK, "text/html; charset=utf-8", []byte("<!DOCTYPE html>\n"))
	case blocklist.TypeWebSocket:
		return quickResponse(r, http.StatusForbidden, "text/plain; charset=utf-8", []byte("blocked by Polaris\n"))
	}
	return quickResponse(r, http.StatusNoContent, "", nil)
}

// quickResponse is a small answer made by the proxy, never cached.
func quickResponse(r *http.Request, code int, ctype string, body []byte) *http.Response {
	resp := &http.Response{
		StatusCode: code,
		Status:     strconv.Itoa(code) + " " + http.StatusText(code),
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{},
		Request: r,
	}
	if r.Method == http.MethodHead || code == http.StatusNoContent {
		body = nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	if ctype != "" {
		resp.Header.Set("Content-Type", ctype)
	}
	if code != http.StatusNoContent {
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	resp.Header.Set("Cache-Control", "no-store")
	resp.Header.Set("X-Content-Type-Options", "nosniff")
	return resp
}

// blockPageData fills blocked.html.
type blockPageData struct {
	Title    string
	URL      string // the blocked address, shortened for display
	Host     string
	Site     string
	Rule     string
	List     string
	Category string
	Owner    string
	CNAME    string // the tracker Host is an alias of, when that was blocked
	Action   string // scheme://reserved-host the buttons post to
	Return   string // the blocked address, where the buttons lead back to
	Once     string // token for allow-once
	SiteTok  string // token for allow-site; "" hides the button
	Minutes  int
}

// blockPageResponse is the page shown instead of a blocked page load.
func (p *Proxy) blockPageResponse(r *http.Request, v blocklist.Verdict, info *requestInfo) *http.Response {
	scheme := r.URL.Scheme
	if scheme != "https" {
		scheme = "http"
	}
	full := r.URL.String()
	d := blockPageData{
		Title:    "Polaris blocked this page",
		URL:      shorten(full, 300),
		Host:     info.host,
		Site:     registrableDomain(info.host),
		Rule:     v.Rule,
		List:     v.List,
		Category: v.Category,
		Owner:    v.Owner,
		CNAME:    v.CNAME,
		Action:   scheme + "://" + p.cfg.ReservedHost,
		Return:   full,
		Once:     p.actionToken("once", info.host),
		Minutes:  int(p.blk.cfg.AllowOnceFor / time.Minute),
	}
	if p.blk.cfg.AllowSite != nil {
		d.SiteTok = p.actionToken("site", d.Site)
	}
	var buf bytes.Buffer
	if !wantsHTML(r) || p.blk.page.page.Execute(&buf, d) != nil {
		buf.Reset()
		fmt.Fprintf(&buf, "403 Polaris blocked this address\n%s\nrule: %s\nlist: %s\n", full, v.Rule, v.List)
		resp := quickResponse(r, http.StatusForbidden, "text/plain; charset=utf-8", buf.Bytes())
		return resp
	}
	resp := quickResponse(r, http.StatusForbidden, "text/html; charset=utf-8", buf.Bytes())
	h := resp.Header
	h.Set("Content-Security-Policy", fmt.Sprintf("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action http://%[1]s https://%[1]s", p.cfg.ReservedHost))
	// The buttons' POST must carry the page's origin (checked by the
	// action handler); never more than the origin.
	h.Set("Referrer-Policy", "strict-origin")
	h.Set("X-Frame-Options", "DENY")
	return resp
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// holdResponse answers a request that waited too long for the lists.
func (p *Proxy) holdResponse(r *http.Request, g *holdGate) *http.Response {
	resp := p.pageResponse(r, http.StatusServiceUnavailable, holdPage(r.URL.Hostname(), g))
	resp.Header.Set("Retry-After", "5")
	resp.Header.Set("Refresh", "5")
	return resp
}

func holdPage(host string, g *holdGate) pageData {
	text := "Polaris holds traffic until its tracker lists are loaded, so that nothing gets through unprotected, and they are not ready yet."
	if g.reason != "" {
		text += " (" + g.reason + ")"
	}
	return pageData{
		Title: "Polaris is still loading its blocklists",
		Text:  text,
		Host:  host,
		Hint:  "This page tries again by itself in a few seconds. To stop holding traffic at start-up, turn off blocking.hold-until-loaded.",
	}
}

// refuseBlockedConnect refuses a tunnel to a blocked host with a short
// explanation (browsers do not show it, other clients do).
func (p *Proxy) refuseBlockedConnect(ctx *goproxy.ProxyCtx, host string, v blocklist.Verdict) *goproxy.ConnectAction {
	var b strings.Builder
	fmt.Fprintf(&b, "Polaris blocked the connection to %s (a tracker).\nrule: %s\nlist: %s\n", host, v.Rule, v.List)
	if v.CNAME != "" {
		fmt.Fprintf(&b, "alias of: %s (a tracker behind the site's name)\n", v.CNAME)
	}
	if v.Category != "" {
		fmt.Fprintf(&b, "category: %s\n", v.Category)
	}
	resp := quickResponse(ctx.Req, http.StatusForbidden, "text/plain; charset=utf-8", []byte(b.String()))
	resp.Close = true
	resp.Header.Set("Connection", "close")
	ctx.Resp = resp
	return &goproxy.ConnectAction{Action: goproxy.ConnectReject}
}

// actionToken signs an action on a host or site.
func (p *Proxy) actionToken(action, target string) string {
	mac := hmac.New(sha256.New, p.blk.cfg.ActionKey)
	mac.Write([]byte(action))
	mac.Write([]byte{0})
	mac.Write([]byte(target))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (p *Proxy) validToken(action, target, tok string) bool {
	want := p.actionToken(action, target)
	return hmac.Equal([]byte(want), []byte(tok))
}

// serveBlockAction answers the block page's buttons; it reports false for a
// path that is not one of them.
func (p *Proxy) serveBlockAction(w http.ResponseWriter, r *http.Request) bool {
	var action string
	switch r.URL.Path {
	case "/blocked/allow-once":
		action = "once"
	case "/blocked/allow-site":
		action = "site"
	default:
		return false
	}
	refuse := func(code int, text string) {
		p.writePage(w, r, code, pageData{Title: "Refused", Text: text})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "This address only takes the buttons of Polaris's block page.")
		return true
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, "The request could not be read.")
		return true
	}
	target := strings.ToLower(r.PostForm.Get("target"))
	if target == "" || !p.validToken(action, target, r.PostForm.Get("token")) {
		refuse(http.StatusForbidden, "This request did not come from a Polaris block page, so Polaris ignored it.")
		return true
	}
	if !fromBlockPage(r, target) {
		refuse(http.StatusForbidden, "This request came from another page than the block page, so Polaris ignored it.")
		return true
	}
	back := safeReturn(r.PostForm.Get("return"), target)
	switch action {
	case "once":
		p.AllowOnce(target, time.Now().Add(p.blk.cfg.AllowOnceFor))
		p.cfg.Logf("allowed %s once", target)
	case "site":
		if p.blk.cfg.AllowSite == nil {
			refuse(http.StatusNotFound, "This Polaris cannot change its allowlist from here.")
			return true
		}
		if err := p.blk.cfg.AllowSite(r.Context(), target); err != nil {
			p.writePage(w, r, http.StatusInternalServerError, pageData{Title: "The site could not be allowed", Text: err.Error(), Host: target})
			return true
		}
	}
	if back == "" {
		p.writePage(w, r, http.StatusOK, pageData{Title: "Done", Text: "Polaris lets " + target + " through. Go back and reload the page."})
		return true
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, back, http.StatusSeeOther)
	return true
}

// fromBlockPage checks that an action request comes from the block page of
// target (a host, or a site and its subdomains): the browser says where a
// POST comes from in Origin (Referer when Origin is missing), and that it is
// a navigation in Sec-Fetch-Mode/-Dest when it sends them.
func fromBlockPage(r *http.Request, target string) bool {
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" && m != "navigate" {
		return false
	}
	if d := r.Header.Get("Sec-Fetch-Dest"); d != "" && d != "document" {
		return false
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s == "same-origin" || s == "none" {
		return false
	}
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	u, err := url.Parse(from)
	if from == "" || from == "null" || err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == target || strings.HasSuffix(h, "."+target)
}

// safeReturn returns where to send the browser after an action: the
// blocked address, if it is an http(s) address on target; else "".
func safeReturn(raw, target string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	if h != target && !strings.HasSuffix(h, "."+target) {
		return ""
	}
	return u.String()
}
