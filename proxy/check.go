// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"polaris/internal/status"
)

// The self-test page, http://polaris.invalid/check and
// https://polaris.invalid/check (issue 16 item 3). Opened in a browser, it
// says what Polaris sees of that browser: that it goes through Polaris (the
// page loads: nothing else answers polaris.invalid), which browser it is,
// whether it trusts Polaris's certificate authority (the https variant
// loads; over plain HTTP, what its connections showed), which privacy
// signals its requests carry, and whether WebRTC gives its addresses away
// (a script gathers ICE candidates with no STUN server: nothing leaves the
// computer). The script reports to the running Polaris with a POST to
// /check/report that carries a one-use token of the page (the block page's
// tokens), from Polaris's own origin only; a page of another site can
// neither read the token nor send the report (nor load the page as a
// resource: local pages refuse that), so it can neither drive Polaris nor
// tell that it is there. The results go into the client's record
// (status.Client.Check), which the window's Browsers list shows.

// checkAction is the token action of the report.
const checkAction = "check"

// serveCheck answers /check and /check/report; false for other paths.
func (p *Proxy) serveCheck(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/check":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			p.writePage(w, r, http.StatusMethodNotAllowed, pageData{Title: "Refused", Text: "This page is only for looking at."})
			return true
		}
		p.writeCheckPage(w, r)
		return true
	case "/check/report":
		p.checkReport(w, r)
		return true
	}
	return false
}

// checkSecure reports whether r came over HTTPS to Polaris's own name
// (an intercepted tunnel): the browser accepted Polaris's certificate.
func checkSecure(r *http.Request) bool {
	mc, _ := r.Context().Value(mitmConnKey{}).(*mitmConn)
	return mc != nil
}

// writeCheckPage renders the page.
func (p *Proxy) writeCheckPage(w http.ResponseWriter, r *http.Request) {
	id, known := clientOfUA(r.Header.Get("User-Agent"))
	who := "a program that does not say which it is"
	if known {
		who = id.words()
	}
	secure := checkSecure(r)
	trust := p.clients.trust(id)
	var ca string
	switch {
	case secure:
		ca = "Yes: this page came over HTTPS with Polaris's certificate, and this browser accepted it. Its secure pages are filtered."
	case trust == status.TrustNo:
		ca = "No: this browser refused Polaris's certificate. Its secure (https://) pages pass through Polaris untouched, without your signals. Set up HTTPS filtering for it from Polaris's window."
	default:
		ca = `Not known yet from this page: open <a href="https://` + html.EscapeString(p.cfg.ReservedHost) + `/check">the secure version of this page</a>. If the browser warns about a certificate, it does not trust Polaris's certificate authority.`
	}
	pol := p.state.Load().policy
	sent := func(h string) string {
		if v := r.Header.Get(h); v != "" {
			return html.EscapeString(v)
		}
		return "nothing"
	}
	adds := []string{}
	if v := pol.DNT.Header(); v != "" && pol.Protection {
		adds = append(adds, "DNT: "+v)
	}
	if pol.GPC && pol.Protection {
		adds = append(adds, "Sec-GPC: 1")
	}
	addWords := "no signal (none is chosen, or protection is off)"
	if len(adds) > 0 {
		addWords = strings.Join(adds, " and ")
	}
	nonce := checkNonce()
	tok := p.confirmToken(checkAction, id.key(), "", time.Now())
	page := fmt.Sprintf(checkHTML, nonce,
		html.EscapeString(who), ca, sent("DNT"), sent("Sec-GPC"), addWords,
		html.EscapeString(tok), html.EscapeString(id.key()), boolWord(secure),
		html.EscapeString(limit(r.Header.Get("DNT"))), html.EscapeString(limit(r.Header.Get("Sec-GPC"))), nonce)
	h := w.Header()
	setPageHeaders(h, "text/html; charset=utf-8", len(page))
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"+nonce+"'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write([]byte(page))
	}
}

// limit bounds a header value kept from the browser.
func limit(s string) string { return s[:min(len(s), 16)] }

func boolWord(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func checkNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkReport takes the page's report: a POST from Polaris's own origin
// with the page's token, spent once.
func (p *Proxy) checkReport(w http.ResponseWriter, r *http.Request) {
	refuse := func(code int, text string) {
		p.writePage(w, r, code, pageData{Title: "Refused", Text: text})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "This address only takes the report of Polaris's check page.")
		return
	}
	if !p.fromOwnOrigin(r) {
		refuse(http.StatusForbidden, "This report did not come from Polaris's check page, so Polaris ignored it.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, "The report could not be read.")
		return
	}
	key := r.PostForm.Get("client")
	id, ok := parseClientKey(key)
	if !ok || !p.spendToken(checkAction, key, "", r.PostForm.Get("token"), time.Now()) {
		refuse(http.StatusForbidden, "This report was already sent or is too old.")
		return
	}
	webrtc := r.PostForm.Get("webrtc")
	dnt, gpc := limit(r.PostForm.Get("dnt")), limit(r.PostForm.Get("gpc"))
	switch webrtc {
	case "hidden", "exposed", "unavailable":
	default:
		webrtc = "unavailable"
	}
	c := status.ClientCheck{
		Time:    time.Now(),
		Secure:  checkSecure(r),
		WebRTC:  webrtc,
		SentDNT: dnt, SentGPC: gpc,
	}
	p.clients.checked(id, c)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// fromOwnOrigin reports whether r was sent by a page of Polaris's own name
// (a same-origin fetch): fetch metadata says same-origin, or, where the
// browser sends none (plain HTTP), the Origin is Polaris's name.
func (p *Proxy) fromOwnOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "same-origin"
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	o = strings.TrimPrefix(strings.TrimPrefix(o, "http://"), "https://")
	return p.reserved(o)
}

// checked records what the check page found in a browser of kind id.
func (b *clientBook) checked(id clientID, c status.ClientCheck) {
	b.mu.Lock()
	r, _ := b.record(id, c.Time)
	r.c.Check = &c
	if c.Secure {
		r.c.Trust, r.lastOK = status.TrustYes, c.Time
	}
	b.mu.Unlock()
	b.tell()
}

// checkHTML is the page: nonce, browser, CA, sent DNT, sent GPC, what
// Polaris adds, token, client key, secure, nonce.
const checkHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Polaris check</title>
<meta name="viewport" content="width=device-width">
<style nonce="%s">body{font:16px/1.5 system-ui,sans-serif;max-width:44em;margin:2em auto;padding:0 1em}dt{font-weight:bold;margin-top:.8em}</style>
</head><body>
<h1>Polaris check</h1>
<dl>
<dt>Goes through Polaris</dt><dd id="proxy">Yes: only Polaris answers this address.</dd>
<dt>Browser</dt><dd id="browser">%s</dd>
<dt>Trusts Polaris's certificate authority</dt><dd id="ca">%s</dd>
<dt>Privacy signals</dt><dd id="signals">This browser itself sent DNT: %s, Sec-GPC: %s. Polaris adds %s to its requests over plain HTTP and to its secure pages when they are filtered.</dd>
<dt>WebRTC</dt><dd id="webrtc">Checking…</dd>
<dt>Reported to Polaris</dt><dd id="report">Not yet.</dd>
</dl>
<form id="f" hidden><input name="token" value="%s"><input name="client" value="%s"><input name="secure" value="%s"><input name="dnt" value="%s"><input name="gpc" value="%s"></form>
<script nonce="%s">
(async () => {
  const out = (id, text) => { document.getElementById(id).textContent = text; };
  let webrtc = "unavailable";
  try {
    const pc = new RTCPeerConnection({iceServers: []});
    pc.createDataChannel("polaris-check");
    const found = [];
    const done = new Promise(res => {
      pc.onicecandidate = e => { if (e.candidate) found.push(e.candidate.candidate); else res(); };
      setTimeout(res, 3000);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await done;
    pc.close();
    const exposed = found.some(c => { const a = (c.split(" ")[4] || ""); return a !== "" && !a.endsWith(".local"); });
    webrtc = exposed ? "exposed" : "hidden";
    out("webrtc", exposed
      ? "WebRTC gives this computer's own network addresses to pages that ask (addresses Polaris does not show). Turn it off or limit it in the browser's settings."
      : "WebRTC shows no address of this computer to pages (" + found.length + " candidates, none with an address).");
  } catch (e) {
    out("webrtc", "WebRTC is off or unavailable in this browser: it gives nothing away.");
  }
  const f = new FormData(document.getElementById("f"));
  f.append("webrtc", webrtc);
  try {
    const resp = await fetch("/check/report", {method: "POST", body: new URLSearchParams(f), referrerPolicy: "same-origin", credentials: "omit"});
    out("report", resp.ok ? "Yes: Polaris's window lists this browser with these results." : "No: Polaris refused the report (" + resp.status + "). Reload the page.");
  } catch (e) {
    out("report", "No: " + e);
  }
  document.documentElement.dataset.done = "1";
})();
</script>
</body></html>
`
