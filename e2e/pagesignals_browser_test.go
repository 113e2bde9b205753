// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// In-page signals (issue 17 item 5): with GPC on and filtering on, a
// page's own script reads navigator.globalPrivacyControl === true, under
// every kind of Content-Security-Policy a page uses, and the page's own
// inline and external scripts still run with no CSP violation reported.

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestPageSignalsUnderCSP(t *testing.T) {
	w := sharedWeb(t)
	px := browserPolaris(t, "https.filter", "on", "gpc", "on", "dnt", "1")
	const nonce = "cGFnZS1ub25jZS0xMjM0"
	// The page's own inline script: it records what it reads and that it
	// ran; its external script records that it ran too.
	inline := `window.seen = {gpc: navigator.globalPrivacyControl, dnt: navigator.doNotTrack, inline: true};`
	sum := sha256.Sum256([]byte(inline))
	inlineHash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	listen := `<script nonce="` + nonce + `">window.violations = []; document.addEventListener("securitypolicyviolation", e => window.violations.push(e.violatedDirective + " " + e.blockedURI));</script>`
	listenSum := sha256.Sum256([]byte(listen[len(`<script nonce="`+nonce+`">`) : len(listen)-len(`</script>`)]))
	listenHash := "'sha256-" + base64.StdEncoding.EncodeToString(listenSum[:]) + "'"
	cases := []struct{ name, csp string }{
		{"no CSP", ""},
		{"unsafe-inline", "script-src 'self' 'unsafe-inline'"},
		{"nonces", "script-src 'self' 'nonce-" + nonce + "'"},
		{"hashes", "script-src 'self' " + inlineHash + " " + listenHash},
		{"strict-dynamic", "script-src 'nonce-" + nonce + "' 'strict-dynamic'; object-src 'none'; base-uri 'none'"},
	}
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		for _, scheme := range []string{"http", "https"} {
			for _, c := range cases {
				s := w.newSite(t, "csp", sitePlain)
				page := `<!doctype html><html><head><meta charset="utf-8">` + listen +
					`<script nonce="` + nonce + `">` + inline + `</script>` +
					`<script nonce="` + nonce + `" src="/app.js"></script></head><body><p>csp test</p></body></html>`
				csp := c.csp
				s.Handle("/", func(rw http.ResponseWriter, r *http.Request) {
					rw.Header().Set("Content-Type", "text/html; charset=utf-8")
					rw.Header().Set("Cache-Control", "no-store")
					if csp != "" {
						rw.Header().Set("Content-Security-Policy", csp)
					}
					fmt.Fprint(rw, page)
				})
				s.Handle("/app.js", func(rw http.ResponseWriter, r *http.Request) {
					rw.Header().Set("Content-Type", "text/javascript")
					fmt.Fprint(rw, `window.external_ran = true;`)
				})
				p.Navigate(s.URL(scheme, "/"))
				p.WaitFor(`window.external_ran === true && window.seen !== undefined`, 20*time.Second)
				var got struct {
					GPC        any
					DNT        any
					Inline     bool
					Violations []string
					Scripts    int
				}
				p.Eval(`new Promise(r => setTimeout(() => r({GPC: window.seen.gpc, DNT: window.seen.dnt, Inline: window.seen.inline,
					Violations: window.violations, Scripts: document.scripts.length}), 200))`, &got)
				if got.GPC != true || got.DNT != "1" || !got.Inline || len(got.Violations) != 0 {
					p.Errorf("%s %s: the page read globalPrivacyControl %v, doNotTrack %v; inline ran %v; violations %q",
						scheme, c.name, got.GPC, got.DNT, got.Inline, got.Violations)
				}
				if got.Scripts != 3 {
					p.Errorf("%s %s: %d scripts in the page, want its own 3 (Polaris's removes itself)", scheme, c.name, got.Scripts)
				}
			}
		}
	})
}
