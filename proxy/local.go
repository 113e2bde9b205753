// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Polaris's own pages (the status page, the CA download, the PAC file, the
// block page's actions) are for the user and the programs set up to use
// Polaris. Web pages must not read them, drive them, or learn from them that
// Polaris is there:
//
//   - DNS rebinding. A page at attacker.test:PORT whose name is then
//     re-pointed at 127.0.0.1 reaches Polaris's port with its own name in
//     Host, and could read the answers as its own. A plain (origin-form)
//     request is answered only when its Host is Polaris's own: "localhost",
//     a loopback address, the listen address or the address the connection
//     came in on — always with Polaris's port — or the reserved host.
//     Anything else gets 421 Misdirected Request, in words that do not name
//     Polaris.
//   - Every local answer carries X-Content-Type-Options: nosniff,
//     Cross-Origin-Resource-Policy: same-origin and X-Frame-Options: DENY, so
//     that no other origin can use it as a script, style, image or frame;
//     a page's no-cors fetch of it fails like a network error, as when
//     nothing is there.
//   - Requests made by other sites are refused unless they are top-level
//     navigations (the block page's buttons lead to polaris.invalid). Where
//     browsers send fetch metadata (secure origins: https://polaris.invalid,
//     http://127.0.0.1:PORT) it decides; over plain HTTP, where they send
//     none, a cross-origin Origin or a browser's request without
//     Upgrade-Insecure-Requests (sent with navigations only, and not a
//     header a script can add without a CORS preflight) is refused.
//   - The PAC file is served only to PAC fetchers (PACFetch), the CA
//     certificate only when the user asked for it (downloadAsked; otherwise
//     the status page, with its download buttons, is shown instead).

// ownAuthority reports whether authority (host[:port], from Host or an
// absolute URL) names this proxy: localhost, a loopback address, the listen
// address or the local address of r's connection, with the proxy's port.
func (p *Proxy) ownAuthority(r *http.Request, authority string) bool {
	if p.ln == nil {
		return false
	}
	host, port, err := net.SplitHostPort(authority)
	if err != nil {
		host, port = authority, "80"
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	la, ok := p.ln.Addr().(*net.TCPAddr)
	if !ok || port != strconv.Itoa(la.Port) {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || (!la.IP.IsUnspecified() && sameIP(la.IP, ip)) {
		return true
	}
	if ca, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok && sameIP(ca.IP, ip) {
		return true
	}
	return false
}

func sameIP(a net.IP, b netip.Addr) bool {
	ip, ok := netip.AddrFromSlice(a)
	return ok && ip.Unmap() == b
}

// localAllowed sets the headers of every local answer and refuses (answering
// it) a request that is misdirected or made by another site.
func (p *Proxy) localAllowed(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if !r.URL.IsAbs() && r.Host != "" && !p.reserved(r.Host) && !p.ownAuthority(r, r.Host) {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMisdirectedRequest)
		w.Write([]byte("Misdirected Request\n"))
		return false
	}
	if !ownPageRequest(r) && !framePageRequest(r) {
		p.writePage(w, r, http.StatusForbidden, pageData{
			Title: "Refused",
			Text:  "Polaris's own pages answer only you, not other sites.",
		})
		return false
	}
	return true
}

// framePageRequest reports whether r loads the frame page of a blocked
// frame (/blocked/confirm?action=frame) in a frame of another site: that
// page is meant to show there (a blocked frame is sent to it).
func framePageRequest(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Path == "/blocked/confirm" &&
		r.URL.Query().Get("action") == "frame" && isFrameLoad(r)
}

// reserved reports whether authority's host is the reserved host name.
func (p *Proxy) reserved(authority string) bool {
	host, _, err := net.SplitHostPort(authority)
	if err != nil {
		host = authority
	}
	return p.cfg.ReservedHost != "" && strings.TrimSuffix(strings.ToLower(host), ".") == p.cfg.ReservedHost
}

// ownPageRequest reports whether r may be answered by a local page: the user
// opened it (typed, bookmarked, or a link on Polaris's own pages), a program
// asked for it, or another site navigated to it at the top level. A
// subresource, a fetch or a frame of another site is refused.
func ownPageRequest(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	mode := r.Header.Get("Sec-Fetch-Mode")
	dest := r.Header.Get("Sec-Fetch-Dest")
	if site != "" || mode != "" || dest != "" {
		if site == "none" || site == "same-origin" {
			return true
		}
		return mode == "navigate" && dest == "document"
	}
	// No fetch metadata: plain HTTP (polaris.invalid), which browsers send
	// none to, or a program.
	nav := r.Header.Get("Upgrade-Insecure-Requests") == "1"
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, requestOrigin(r)) {
		return nav
	} else if o != "" {
		return true // a request of Polaris's own page (the check page's report)
	}
	if r.URL.IsAbs() && strings.HasPrefix(r.Header.Get("User-Agent"), "Mozilla/") {
		return nav
	}
	return true
}

// requestOrigin is the origin r is addressed to, as a browser writes it.
func requestOrigin(r *http.Request) string {
	if r.URL.IsAbs() {
		return r.URL.Scheme + "://" + r.URL.Host
	}
	return "http://" + r.Host
}

// PACFetch reports whether r comes from a PAC fetcher (a browser's or the
// system's proxy auto-configuration), which sends no fetch metadata and asks
// Polaris's address itself, never through a proxy, or from the user opening
// the address (Sec-Fetch-Site: none). A page's script, fetch or frame never
// gets the file: it would tell the page Polaris's port and whether Tor is
// on. A browser's request through the proxy without fetch metadata is one
// on plain HTTP (http://polaris.invalid/proxy.pac), where a frame of another
// site cannot be told from the user: it does not get the file either (a
// program asking through the proxy does).
func PACFetch(r *http.Request) bool {
	for _, k := range []string{"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User"} {
		if r.Header.Get(k) != "" {
			return r.Header.Get("Sec-Fetch-Site") == "none"
		}
	}
	return !r.URL.IsAbs() || !strings.HasPrefix(r.Header.Get("User-Agent"), "Mozilla/")
}

// downloadAsked reports whether a request for a file to download (the CA
// certificate) comes from the user: opened by hand or from Polaris's own
// page (fetch metadata none or same-origin), or asked by a program. Over
// plain HTTP, where browsers send no fetch metadata, a browser's request
// must come from Polaris's own page (its Referer, which no other page can
// set, is Polaris's origin): a frame of another site would otherwise start
// a download the user did not ask for, and tell the page by the load event
// that never comes that something is there.
func downloadAsked(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "none" || site == "same-origin"
	}
	if !strings.HasPrefix(r.Header.Get("User-Agent"), "Mozilla/") {
		return true
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	return err == nil && ref.Host != "" && strings.EqualFold(ref.Scheme+"://"+ref.Host, requestOrigin(r))
}
