// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elazarl/goproxy"

	"polaris/assets"
	"polaris/blocklist"
)

// The answers to blocked requests, the block page and its two buttons.
//
// The block page is shown at the blocked address, so the blocked site's own
// scripts can read it (a window of their own origin): it carries no secret.
// Its buttons are links to a confirmation page on the reserved host
// (http(s)://polaris.invalid/blocked/confirm), an origin no site can read,
// frame or script. Only that page holds a token, bound to the action, its
// target host or site and the return address, valid for confirmTTL and
// spent by its first use; and only a POST from that page's own origin
// (Origin, else Referer, and Sec-Fetch-* when sent) to
// /blocked/allow-once or /blocked/allow-site acts.

type blockPages struct {
	page, confirm, frame *template.Template
	spent                spentTokens
}

func loadBlockPages() (*blockPages, error) {
	var pg blockPages
	for name, dst := range map[string]**template.Template{"blocked.html": &pg.page, "confirm.html": &pg.confirm, "frame.html": &pg.frame} {
		t, err := template.ParseFS(assets.Pages, "pages/base.html", "pages/"+name)
		if err != nil {
			return nil, fmt.Errorf("loading page %s: %w", name, err)
		}
		*dst = t.Lookup(name)
	}
	return &pg, nil
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
		return p.framePlaceholder(r, info)
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
	OnceURL  string // the confirmation page of "allow once"
	FrameURL string // the frame page of "load once", for a framed block page
	SiteURL  string // the confirmation page of "always allow"; "" hides the button
	Minutes  int
	// Destination is where the blocked link was going (a click tracker's
	// destination), "" when it names none.
	Destination string
	// Onion is the onion address the site announced on the Tor route.
	Onion string
}

// blockPageResponse is the page shown instead of a blocked page load.
func (p *Proxy) blockPageResponse(r *http.Request, v blocklist.Verdict, info *requestInfo) *http.Response {
	full := r.URL.String()
	d := blockPageData{
		Title:    "Polaris blocked this page",
		URL:      shorten(full, 300),
		Host:     info.host,
		Site:     blocklist.Site(info.host),
		Rule:     v.Rule,
		List:     v.List,
		Category: v.Category,
		Owner:    v.Owner,
		// Where the link leads, so the user can go there without the tracker.
		Destination: linkDestination(r),
		CNAME:       v.CNAME,
		OnceURL:     p.confirmURL(r, "once", info.host, full),
		Onion:       p.onionShown(info.host),
		FrameURL:    p.confirmURL(r, "frame", info.host, full),
		Minutes:     int(p.blk.cfg.AllowOnceFor / time.Minute),
	}
	if p.blk.cfg.AllowSite != nil {
		d.SiteURL = p.confirmURL(r, "site", d.Site, full)
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
	h.Set("Referrer-Policy", "no-referrer")
	if r.Header.Get("Sec-Fetch-Dest") == "" {
		// Over plain HTTP browsers do not say whether a page load is a
		// frame: the page may be framed (it holds no secret, and its
		// buttons lead to pages that check where they are), and in a small
		// viewport it shows only its "load once" button.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'")
		return resp
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	return resp
}

// framePlaceholder answers a blocked frame (Sec-Fetch-Dest iframe or
// frame): it sends the frame to Polaris's own frame page on the reserved
// host, which says who was blocked and offers "load once". The page lives
// on an origin the blocked site cannot read, so the button's token stays
// out of its scripts' reach.
func (p *Proxy) framePlaceholder(r *http.Request, info *requestInfo) *http.Response {
	if r.Method != http.MethodGet || p.cfg.ReservedHost == "" {
		return quickResponse(r, http.StatusOK, "text/html; charset=utf-8", []byte("<!DOCTYPE html>\n"))
	}
	resp := quickResponse(r, http.StatusFound, "", nil)
	resp.Header.Set("Location", p.confirmURL(r, "frame", info.host, r.URL.String()))
	resp.Header.Set("Referrer-Policy", "no-referrer")
	return resp
}

// confirmURL is the address of the confirmation page of action on target,
// on the reserved host with the scheme of the blocked page.
func (p *Proxy) confirmURL(r *http.Request, action, target, back string) string {
	scheme := "http"
	if r.URL.Scheme == "https" {
		scheme = "https"
	}
	q := url.Values{"action": {action}, "target": {target}, "return": {back}}
	return scheme + "://" + p.cfg.ReservedHost + "/blocked/confirm?" + q.Encode()
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

// confirmTTL is how long a confirmation page's button works.
const confirmTTL = 10 * time.Minute

// confirmToken signs an action on target returning to back, valid until
// now+confirmTTL: expiry (8 bytes) | nonce (12) | HMAC (16), base64url.
func (p *Proxy) confirmToken(action, target, back string, now time.Time) string {
	var b [36]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Add(confirmTTL).Unix()))
	if _, err := rand.Read(b[8:20]); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	copy(b[20:], p.confirmMAC(action, target, back, b[:20]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (p *Proxy) confirmMAC(action, target, back string, head []byte) []byte {
	mac := hmac.New(sha256.New, p.blk.cfg.ActionKey)
	for _, s := range []string{"confirm", action, target, back} {
		mac.Write([]byte(s))
		mac.Write([]byte{0})
	}
	mac.Write(head)
	return mac.Sum(nil)[:16]
}

// spendToken checks a token for action on target returning to back and
// spends it: true once, for a token confirmToken made and not expired.
func (p *Proxy) spendToken(action, target, back, tok string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 36 {
		return false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	if !now.Before(exp) || exp.After(now.Add(confirmTTL+time.Minute)) {
		return false
	}
	if !hmac.Equal(b[20:], p.confirmMAC(action, target, back, b[:20])) {
		return false
	}
	return p.blk.page.spent.spend(string(b[8:20]), exp, now)
}

// spentTokens are the nonces of tokens used and not expired yet.
type spentTokens struct {
	mu    sync.Mutex
	nonce map[string]time.Time
}

func (s *spentTokens) spend(nonce string, exp, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.nonce[nonce]; used {
		return false
	}
	if s.nonce == nil {
		s.nonce = map[string]time.Time{}
	}
	for n, e := range s.nonce {
		if !now.Before(e) {
			delete(s.nonce, n)
		}
	}
	s.nonce[nonce] = exp
	return true
}

// serveBlockAction answers the confirmation page and the buttons on it; it
// reports false for a path that is none of them.
func (p *Proxy) serveBlockAction(w http.ResponseWriter, r *http.Request) bool {
	var action string
	switch r.URL.Path {
	case "/blocked/confirm":
		p.serveConfirm(w, r)
		return true
	case "/blocked/allow-once":
		action = "once"
	case "/blocked/allow-site":
		action = "site"
	case "/blocked/load-frame":
		action = "frame"
	case "/tor/new-circuit":
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			p.serveNewCircuitEntry(w, r)
			return true
		}
		action = "newcircuit"
	default:
		return false
	}
	refuse := func(code int, text string) {
		p.writePage(w, r, code, pageData{Title: "Refused", Text: text})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "This address only takes the buttons of Polaris's confirmation page.")
		return true
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, "The request could not be read.")
		return true
	}
	if !p.fromConfirmPage(r, action == "frame") {
		refuse(http.StatusForbidden, "This request did not come from Polaris's confirmation page, so Polaris ignored it.")
		return true
	}
	target := strings.ToLower(r.PostForm.Get("target"))
	back := r.PostForm.Get("return")
	if target == "" || !p.spendToken(action, target, back, r.PostForm.Get("token"), time.Now()) {
		refuse(http.StatusForbidden, "This button was already used or is too old (it works once, for ten minutes). Go back to the blocked page and choose again.")
		return true
	}
	switch action {
	case "once":
		p.AllowOnce(target, time.Now().Add(p.blk.cfg.AllowOnceFor))
		p.cfg.Logf("allowed %s once", target)
	case "frame":
		p.AllowFrame(target, time.Now().Add(p.blk.cfg.AllowOnceFor))
		p.cfg.Logf("loaded frames of %s once", target)
	case "newcircuit":
		if p.blk.cfg.NewCircuit == nil || !p.state.Load().route.Tor {
			refuse(http.StatusNotFound, "Tor is off in Polaris: there are no circuits to change.")
			return true
		}
		if err := p.blk.cfg.NewCircuit(r.Context(), target); err != nil {
			p.writePage(w, r, http.StatusServiceUnavailable, pageData{Title: "No new circuits", Text: err.Error(), Host: target})
			return true
		}
		if back == "" {
			p.writePage(w, r, http.StatusOK, pageData{Title: "Done", Text: target + " gets new Tor circuits: its next connections leave through other relays. It can still recognise your browser by its cookies and logins."})
			return true
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return true
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

// confirmData fills confirm.html.
type confirmData struct {
	Title, Action, Target, Return, ReturnShort, Token, Post, Button string
	Minutes                                                         int
	Frame                                                           bool // the frame page: framed, compact
}

// serveConfirm answers the confirmation page of a block page's button: a
// page of its own (never in a frame, never to a script) whose form carries
// a fresh token.
func (p *Proxy) serveConfirm(w http.ResponseWriter, r *http.Request) {
	refuse := func(code int, text string) {
		p.writePage(w, r, code, pageData{Title: "Refused", Text: text})
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		refuse(http.StatusMethodNotAllowed, "This page only opens from a Polaris block page.")
		return
	}
	d, ok := p.parseConfirm(r.URL.Query())
	if !isTopLevel(r) && !(ok && d.Frame && isFrameLoad(r)) {
		refuse(http.StatusForbidden, "This page of Polaris only opens as a page of its own.")
		return
	}
	if !ok {
		refuse(http.StatusBadRequest, "This address does not name something Polaris can allow.")
		return
	}
	d.Token = p.confirmToken(d.Action, d.Target, d.Return, time.Now())
	var buf bytes.Buffer
	tmpl := p.blk.page.confirm
	if d.Frame {
		tmpl = p.blk.page.frame
	}
	if err := tmpl.Execute(&buf, d); err != nil {
		refuse(http.StatusInternalServerError, "The page could not be shown.")
		return
	}
	h := w.Header()
	setPageHeaders(h, "text/html; charset=utf-8", buf.Len())
	formAction := "'self'"
	if u, err := url.Parse(d.Return); err == nil && d.Return != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	// The button's POST carries this origin (checked by fromConfirmPage);
	// the site it returns to learns nothing of this page.
	h.Set("Referrer-Policy", "same-origin")
	if d.Frame {
		// The frame page shows in the blocked frame, on any page: its
		// button loads one host's frames for a while, nothing more.
		h.Del("X-Frame-Options")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action "+formAction)
	} else {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action "+formAction+"; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// parseConfirm reads the confirmation page's query: action once (target a
// host) or site (target a registrable domain, if this proxy can allow
// sites), and an optional return address on target.
func (p *Proxy) parseConfirm(q url.Values) (confirmData, bool) {
	d := confirmData{Action: q.Get("action"), Target: strings.ToLower(q.Get("target")), Minutes: int(p.blk.cfg.AllowOnceFor / time.Minute)}
	if !validHostName(d.Target) {
		return d, false
	}
	if raw := q.Get("return"); raw != "" {
		if d.Return = safeReturn(raw, d.Target); d.Return == "" {
			return d, false
		}
		d.ReturnShort = shorten(d.Return, 120)
	}
	switch d.Action {
	case "once":
		d.Title, d.Post, d.Button = "Allow "+d.Target+" once?", "/blocked/allow-once", "Allow once"
	case "frame":
		d.Title, d.Post, d.Button, d.Frame = "Polaris blocked a frame from "+d.Target, "/blocked/load-frame", "Load once", true
		if d.Return == "" {
			return d, false
		}
	case "site":
		if p.blk.cfg.AllowSite == nil || blocklist.Site(d.Target) != d.Target {
			return d, false
		}
		d.Title, d.Post, d.Button = "Always allow "+d.Target+"?", "/blocked/allow-site", "Always allow "+d.Target
	case "newcircuit":
		if p.blk.cfg.NewCircuit == nil || !p.state.Load().route.Tor || blocklist.Site(d.Target) != d.Target {
			return d, false
		}
		d.Title, d.Post, d.Button = "New Tor circuits for "+d.Target+"?", "/tor/new-circuit", "New circuits for "+d.Target
	default:
		return d, false
	}
	return d, true
}

// serveNewCircuitEntry answers GET /tor/new-circuit: the confirmation page
// of new circuits for the site named by ?site= (a host name or address),
// else for the site the browser came from (Referer), returning there. It
// only shows the page; the page's button acts.
func (p *Proxy) serveNewCircuitEntry(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target, back := q.Get("site"), q.Get("return")
	if target == "" {
		if u, err := url.Parse(r.Header.Get("Referer")); err == nil && (u.Scheme == "http" || u.Scheme == "https") && !p.reserved(u.Host) {
			target, back = u.Hostname(), u.String()
		}
	}
	if u, err := url.Parse(target); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		target, back = u.Hostname(), target
	}
	target = strings.TrimSuffix(strings.ToLower(target), ".")
	if target == "" || !validHostName(target) {
		p.writePage(w, r, http.StatusBadRequest, pageData{Title: "Which site?",
			Text: "Open this address as http://" + p.cfg.ReservedHost + "/tor/new-circuit?site=example.com, or from a link on the site's page."})
		return
	}
	site := blocklist.Site(target)
	if safeReturn(back, site) == "" {
		back = ""
	}
	v := url.Values{"action": {"newcircuit"}, "target": {site}}
	if back != "" {
		v.Set("return", back)
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = v.Encode()
	p.serveConfirm(w, r2)
}

// validHostName reports whether h is a plausible host name or IP address.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' || c == '_') {
			return false
		}
	}
	return true
}

// isTopLevel reports whether r may be a top-level page load: browsers say
// what a request is for in Sec-Fetch-Dest/-Mode (over HTTPS); a frame, a
// script's fetch or a subresource says something else.
func isTopLevel(r *http.Request) bool {
	if d := r.Header.Get("Sec-Fetch-Dest"); d != "" && d != "document" {
		return false
	}
	m := r.Header.Get("Sec-Fetch-Mode")
	return m == "" || m == "navigate"
}

// isFrameLoad reports whether r may be a frame's navigation (the frame
// page and its button): Sec-Fetch-Dest iframe or frame, or no fetch
// metadata (plain HTTP).
func isFrameLoad(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Dest") {
	case "iframe", "frame", "":
	default:
		return false
	}
	m := r.Header.Get("Sec-Fetch-Mode")
	return m == "" || m == "navigate"
}

// fromConfirmPage checks that a button's POST comes from the confirmation
// page, on the reserved host: the browser names the page's origin in Origin
// (Referer when Origin is missing), and says same-origin navigation in
// Sec-Fetch-* when it sends them.
func (p *Proxy) fromConfirmPage(r *http.Request, frame bool) bool {
	if !isTopLevel(r) && !(frame && isFrameLoad(r)) {
		return false
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" {
		return false
	}
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	u, err := url.Parse(from)
	if from == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return p.cfg.ReservedHost != "" && strings.EqualFold(u.Host, p.cfg.ReservedHost)
}

// safeReturn returns where to send the browser after an action: the
// blocked address, if it is an http(s) address on target; else "".
func safeReturn(raw, target string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	if h != target && !strings.HasSuffix(h, "."+target) {
		return ""
	}
	return u.String()
}
