// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"polaris/assets"
)

type pages struct {
	error, status *template.Template
}

func loadPages() (*pages, error) {
	load := func(name string) (*template.Template, error) {
		t, err := template.ParseFS(assets.Pages, "pages/base.html", "pages/"+name)
		if err != nil {
			return nil, fmt.Errorf("loading page %s: %w", name, err)
		}
		return t.Lookup(name), nil
	}
	var pg pages
	var err error
	if pg.error, err = load("error.html"); err != nil {
		return nil, err
	}
	if pg.status, err = load("status.html"); err != nil {
		return nil, err
	}
	return &pg, nil
}

// pageData fills the error page.
type pageData struct {
	Code   int
	Title  string
	Text   string
	Host   string
	Detail string
	Hint   string
	// ActionURL and ActionText: a button to one of Polaris's confirmation
	// pages on the reserved host ("" none).
	ActionURL, ActionText string
	// Onion is the onion address the site announced (Onion-Location), ""
	// if none: the page says the site has one.
	Onion string
}

// wantsHTML reports whether the client is likely a browser showing a page.
func wantsHTML(r *http.Request) bool {
	if r == nil {
		return false
	}
	a := r.Header.Get("Accept")
	return strings.Contains(a, "text/html") || a == ""
}

// renderPage returns the error page body and its content type: HTML for
// browsers, plain text for other clients.
func (p *Proxy) renderPage(r *http.Request, code int, d pageData) ([]byte, string) {
	d.Code = code
	if !wantsHTML(r) {
		var b strings.Builder
		fmt.Fprintf(&b, "%d %s\n%s\n", code, d.Title, d.Text)
		if d.Host != "" {
			fmt.Fprintf(&b, "site: %s\n", d.Host)
		}
		if d.Detail != "" {
			fmt.Fprintf(&b, "details: %s\n", d.Detail)
		}
		if d.Hint != "" {
			fmt.Fprintf(&b, "%s\n", d.Hint)
		}
		return []byte(b.String()), "text/plain; charset=utf-8"
	}
	var buf bytes.Buffer
	if err := p.pages.error.Execute(&buf, d); err != nil {
		return []byte(d.Title + "\n" + d.Text + "\n"), "text/plain; charset=utf-8"
	}
	return buf.Bytes(), "text/html; charset=utf-8"
}

func setPageHeaders(h http.Header, ctype string, n int) {
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(n))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// Polaris's pages are for the user: no other origin may load them as a
	// resource (a cross-site no-cors fetch of an error page then fails as
	// it would without Polaris) or frame them.
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
}

// writePage answers r with an error page.
func (p *Proxy) writePage(w http.ResponseWriter, r *http.Request, code int, d pageData) {
	body, ctype := p.renderPage(r, code, d)
	setPageHeaders(w.Header(), ctype, len(body))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// pageResponse builds an *http.Response carrying an error page, for the
// goproxy hooks that answer with a response value.
func (p *Proxy) pageResponse(r *http.Request, code int, d pageData) *http.Response {
	body, ctype := p.renderPage(r, code, d)
	resp := &http.Response{
		StatusCode:    code,
		Status:        strconv.Itoa(code) + " " + http.StatusText(code),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
	setPageHeaders(resp.Header, ctype, len(body))
	return resp
}

func (p *Proxy) writeStatusPage(w http.ResponseWriter, r *http.Request) {
	type row struct{ Name, Value string }
	pol := p.state.Load().policy
	protection := "off"
	if pol.Protection {
		protection = "on"
	}
	gpc := "off"
	if pol.GPC {
		gpc = "on (Sec-GPC: 1)"
	}
	dnt := map[string]string{"unset": "not sent (no preference)", "1": "DNT: 1 (do not track)", "0": "DNT: 0 (tracking allowed)"}[pol.DNT.String()]
	data := struct {
		Title  string
		Listen string
		Rows   []row
		Links  []struct{ Href, Text, Note string }
		HTTPS  *httpsStatus
	}{
		Title:  "Status",
		Listen: p.Addr(),
		Rows: []row{
			{"Protection", protection},
			{"Do Not Track", dnt},
			{"Global Privacy Control", gpc},
			{"Tracker blocking", p.blockingSummary(pol.Protection)},
			{"Requests handled", strconv.FormatUint(p.requests.Load(), 10)},
		},
		HTTPS: p.httpsStatus(),
	}
	for _, c := range p.clients.list() {
		data.Rows = append(data.Rows, row{"Seen: " + c.Words(), clientWords(c)})
	}
	if p.state.Load().route.Tor {
		data.Rows = append(data.Rows, row{"Tor", "on: every connection goes through Tor"})
		// The page the user came from, when the browser says (a link, a
		// bookmark opened from it over HTTPS).
		if ref, err := url.Parse(r.Header.Get("Referer")); err == nil && ref.Hostname() != "" && !p.reserved(ref.Host) {
			if onion := p.OnionOf(ref.Hostname()); onion != "" {
				data.Rows = append(data.Rows, row{"This site has an onion address", onion})
			}
		}
	}
	var buf bytes.Buffer
	if err := p.pages.status.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	setPageHeaders(w.Header(), "text/html; charset=utf-8", buf.Len())
	// Its download links tell Polaris (by the Referer) that the user asked
	// for the file (downloadAsked); no other origin gets a Referer.
	w.Header().Set("Referrer-Policy", "same-origin")
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}
