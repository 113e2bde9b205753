// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/elazarl/goproxy"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"polaris/internal/settings"
)

// In-page signals: consent managers read navigator.globalPrivacyControl
// and navigator.doNotTrack, not the headers. With filtering on (plain
// HTTP, filtered HTTPS), an HTML document whose request carried Sec-GPC: 1
// or a DNT header gets, before any script of its own, a tiny script that
// makes those properties say what the headers said, then removes itself.
// The page's Content-Security-Policy is respected (csp.go): the script
// carries the page's nonce, or its hash is added to a hash-only policy, or
// nothing is needed ('unsafe-inline'); a policy that allows no inline
// script is left alone and the script is not added. The body streams: only
// the bytes up to the insertion point are looked at (golang.org/x/net/html
// tokenizer), the rest is copied as it comes. Not for other content types,
// downloads, UTF-16 pages, or sites excepted by the user.

// maxInjectScan bounds how far into a document the insertion point is
// looked for; past it the script goes where the scan stopped.
const maxInjectScan = 64 << 10

// signalScript is the script that sets the properties; "" when the
// request carried no signal.
func signalScript(gpc bool, dnt string) string {
	if !gpc && dnt == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(`(function(){try{var p=Navigator.prototype,d=function(k,v){Object.defineProperty(p,k,{get:function(){return v},configurable:true,enumerable:true})};`)
	if gpc {
		b.WriteString(`d("globalPrivacyControl",true);`)
	}
	if dnt != "" {
		b.WriteString(`d("doNotTrack","` + dnt + `");`)
	}
	b.WriteString(`var s=document.currentScript;if(s)s.remove()}catch(e){}})();`)
	return b.String()
}

// injectSignals adds the in-page signals to the HTML answer resp of the
// request in ctx, when everything above allows it.
func (p *Proxy) injectSignals(resp *http.Response, ctx *goproxy.ProxyCtx) {
	req := ctx.Req
	if req == nil {
		return
	}
	state := p.stateOf(req)
	pol := state.policy
	if !pol.Protection || !pol.Stealth.PageSignals || !isDocumentRequest(req) {
		return
	}
	gpc := header(req.Header, hdrGPC) == "1"
	dnt := header(req.Header, hdrDNT)
	if dnt != "0" && dnt != "1" {
		dnt = ""
	}
	script := signalScript(gpc, dnt)
	if script == "" || !injectableAnswer(resp) {
		return
	}
	host := normHost(req.URL.Hostname())
	site := host
	if header(req.Header, "Sec-Fetch-Dest") != "document" {
		if h := refererHostOf(req); h != "" {
			site = h
		}
	}
	if state.https.exempt(host, site) || pol.stealth.excepted(host, site)&settings.FeaturePageSignals != 0 {
		return
	}
	nonce, ok := cspNonceFor(resp.Header)
	if !ok {
		return
	}
	coding, ok := contentCoding(resp.Header.Get("Content-Encoding"))
	if !ok {
		return
	}
	body, err := decoder(coding, resp.Body)
	if err != nil {
		return
	}
	sum := sha256.Sum256([]byte(script))
	hash := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	for _, name := range []string{"Content-Security-Policy", "Content-Security-Policy-Report-Only"} {
		for i, v := range resp.Header[name] {
			resp.Header[name][i] = addCSPHash(v, hash, nonce)
		}
	}
	tag := "<script"
	if nonce != "" {
		tag += ` nonce="` + nonce + `"`
	}
	tag += ">" + script + "</script>"
	br := bufio.NewReaderSize(body, 4096)
	fixCharset(resp.Header, br)
	resp.Body = &injector{src: br, orig: resp.Body, dec: body, tag: []byte(tag)}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
}

// isDocumentRequest reports whether req loads a document into a tab or a
// frame.
func isDocumentRequest(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodPost {
		return false
	}
	switch header(req.Header, "Sec-Fetch-Dest") {
	case "document", "iframe", "frame":
		return true
	case "":
		return isNavigation(req)
	}
	return false
}

// injectableAnswer reports whether resp is an HTML document shown in the
// browser: not a download, not empty, not UTF-16.
func injectableAnswer(resp *http.Response) bool {
	switch {
	case resp.StatusCode < 200, resp.StatusCode == http.StatusNoContent, resp.StatusCode == http.StatusResetContent,
		resp.StatusCode == http.StatusPartialContent, resp.StatusCode == http.StatusNotModified:
		return false
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "text/html" {
		return false
	}
	if cs := strings.ToLower(params["charset"]); strings.HasPrefix(cs, "utf-16") || strings.HasPrefix(cs, "iso-2022") || cs == "utf-7" {
		return false
	}
	if d, _, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && d == "attachment" {
		return false
	}
	return true
}

// cspNonceFor returns the nonce the script must carry ("" for none); ok is
// false when a policy refuses inline scripts (the script is then not
// added: adding it would loosen the policy).
func cspNonceFor(h http.Header) (nonce string, ok bool) {
	for _, name := range []string{"Content-Security-Policy", "Content-Security-Policy-Report-Only"} {
		for _, v := range h[name] {
			for _, p := range parseCSP(v) {
				switch p.verdict {
				case cspRefuses:
					return "", false
				case cspNonce:
					if nonce == "" {
						nonce = p.nonce
					}
				}
			}
		}
	}
	return nonce, true
}

// fixCharset keeps the page's character encoding where it was: a page
// that declares it in a <meta> within its first 1024 bytes (where
// browsers look) gets it in its Content-Type, so that the script pushing
// the <meta> further changes nothing. A page in UTF-16 by its byte order
// mark gets no script (injectableAnswer saw no charset): the body reader
// then passes it through.
func fixCharset(h http.Header, br *bufio.Reader) {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || params["charset"] != "" {
		return
	}
	head, _ := br.Peek(1024)
	name := metaCharset(head)
	if name == "" {
		return
	}
	if params == nil {
		params = map[string]string{}
	}
	params["charset"] = name
	h.Set("Content-Type", mime.FormatMediaType(mt, params))
}

// metaCharset returns the character encoding a document declares in a
// <meta> among its first bytes (the HTML prescan), "" for none or an
// encoding browsers do not know.
func metaCharset(head []byte) string {
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		name, hasAttr := z.TagName()
		if (tt != html.StartTagToken && tt != html.SelfClosingTagToken) || string(name) != "meta" {
			continue
		}
		var cs, content string
		equiv := false
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			switch string(k) {
			case "charset":
				cs = string(v)
			case "http-equiv":
				equiv = strings.EqualFold(string(v), "content-type")
			case "content":
				content = string(v)
			}
		}
		if cs == "" && equiv {
			if _, params, err := mime.ParseMediaType(content); err == nil {
				cs = params["charset"]
			}
		}
		if cs != "" {
			if _, canonical := charset.Lookup(strings.TrimSpace(cs)); canonical != "" {
				return canonical
			}
			return ""
		}
	}
}

// injector is a document body with the script tag inserted before the
// first element of the page (after <head> when that comes first).
type injector struct {
	src  *bufio.Reader // the decoded body
	orig io.Closer     // the upstream body
	dec  io.Closer     // the decoder
	tag  []byte
	out  io.Reader // set on the first Read
}

func (j *injector) Read(b []byte) (int, error) {
	if j.out == nil {
		j.out = j.prepare()
	}
	return j.out.Read(b)
}

func (j *injector) Close() error {
	j.dec.Close()
	return j.orig.Close()
}

// prepare reads up to the insertion point and returns the whole body with
// the tag in place.
func (j *injector) prepare() io.Reader {
	if bom, _ := j.src.Peek(2); len(bom) == 2 && (bom[0] == 0xff && bom[1] == 0xfe || bom[0] == 0xfe && bom[1] == 0xff) {
		return j.src // UTF-16: untouched
	}
	var head bytes.Buffer
	z := html.NewTokenizer(j.src)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			// The document ended (or broke) before any element: add the
			// script at the end of what there was.
			head.Write(j.tag)
			return io.MultiReader(&head, bytes.NewReader(z.Buffered()), j.src)
		}
		raw := z.Raw()
		name, _ := z.TagName()
		skip := tt == html.DoctypeToken || tt == html.CommentToken ||
			(tt == html.TextToken && len(bytes.TrimSpace(raw)) == 0) ||
			(tt == html.StartTagToken && string(name) == "html")
		switch {
		case tt == html.StartTagToken && string(name) == "head":
			head.Write(raw)
			head.Write(j.tag)
		case skip && head.Len() < maxInjectScan:
			head.Write(raw)
			continue
		default:
			head.Write(j.tag)
			head.Write(raw)
		}
		return io.MultiReader(&head, bytes.NewReader(z.Buffered()), j.src)
	}
}
