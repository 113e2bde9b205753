// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"polaris/blocklist"

	"golang.org/x/net/html"
)

// AMP pages reached directly (amp.example.com/..., /story.amp, ?amp=1): when
// a page navigation to an address that looks like AMP (isAMPCandidate)
// answers with an AMP document (<html amp> or <html ⚡>) that names its
// canonical page (<link rel="canonical">) on the same site, the user is sent
// to the canonical page instead ("deep extraction"). Only the first
// ampPeekBytes of the body are read, before anything is sent to the client;
// the body is passed on untouched otherwise.

// Limits of AMP deep extraction.
const (
	ampPeekBytes  = 32 << 10
	ampLoopWindow = 30 * time.Second
	ampMaxRecent  = 1024
)

// ampLoopGuard remembers recent canonical redirects: a canonical page that
// sends the browser back to its AMP version must not loop.
type ampLoopGuard struct {
	mu     sync.Mutex
	recent map[string]time.Time // canonical URL -> when we redirected to it
}

// allow reports whether a redirect to canonical may be made now, and
// records it.
func (g *ampLoopGuard) allow(canonical string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if at, ok := g.recent[canonical]; ok && now.Sub(at) < ampLoopWindow {
		return false
	}
	if g.recent == nil || len(g.recent) >= ampMaxRecent {
		g.recent = map[string]time.Time{}
	}
	g.recent[canonical] = now
	return true
}

// ampCanonical returns a redirect to the canonical page of an AMP document
// answering a page navigation, or nil.
func (p *Proxy) ampCanonical(resp *http.Response, req *http.Request) *http.Response {
	state := p.stateOf(req)
	st := state.https
	if !st.pol.StripParams || !state.policy.Protection || req.Method != http.MethodGet ||
		resp.StatusCode != http.StatusOK || !isNavigation(req) {
		return nil
	}
	if !strings.HasPrefix(strings.ToLower(resp.Header.Get("Content-Type")), "text/html") {
		return nil
	}
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if enc != "" && enc != "identity" && enc != "gzip" {
		return nil
	}
	host, referrer := normHost(req.URL.Hostname()), refererHostOf(req)
	links := state.matcher.linkRules()
	if st.exempt(host, referrer) || links.ampExempt(host, "", referrer) || !isAMPCandidate(req.URL, &st.unprotected, links) {
		return nil
	}
	head := make([]byte, ampPeekBytes)
	n, err := io.ReadFull(resp.Body, head)
	head = head[:n]
	// Whatever happens, the client gets the whole body.
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil
	}
	doc := head
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(head))
		if err != nil {
			return nil
		}
		doc, _ = io.ReadAll(io.LimitReader(zr, 4*ampPeekBytes)) // a prefix is enough
	}
	canonical := ampDocumentCanonical(doc, req.URL)
	if canonical == "" || canonical == req.URL.String() {
		return nil
	}
	cu, err := url.Parse(canonical)
	if err != nil || blocklist.Site(normHost(cu.Hostname())) != blocklist.Site(host) ||
		(req.URL.Scheme == "https" && cu.Scheme != "https") || ampTarget(cu) != "" {
		return nil
	}
	if !p.ampGuard.allow(canonical, time.Now()) {
		return nil
	}
	resp.Body.Close()
	return p.redirect(req, canonical, "The page was an AMP copy; Polaris went to the page itself.")
}

type readCloser struct {
	io.Reader
	io.Closer
}

// ampDocumentCanonical returns the absolute canonical URL declared by an
// AMP document (whose <html> tag has the amp or ⚡ attribute), or "".
func ampDocumentCanonical(doc []byte, base *url.URL) string {
	z := html.NewTokenizer(bytes.NewReader(doc))
	amp := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "html":
				for hasAttr {
					var k []byte
					k, _, hasAttr = z.TagAttr()
					if s := string(k); s == "amp" || s == "⚡" {
						amp = true
					}
				}
			case "link":
				var rel, href string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "rel":
						rel = strings.ToLower(string(v))
					case "href":
						href = strings.TrimSpace(string(v))
					}
				}
				if amp && href != "" && hasToken(rel, "canonical") {
					u, err := base.Parse(href)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
						return ""
					}
					u.Fragment = ""
					return u.String()
				}
			case "body":
				return ""
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "head" {
				return ""
			}
		}
	}
}

func hasToken(list, token string) bool {
	for _, t := range strings.Fields(list) {
		if t == token {
			return true
		}
	}
	return false
}
