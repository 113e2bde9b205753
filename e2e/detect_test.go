// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// A privacy tool must not be a fingerprint: a page of another site, in a
// real browser going through Polaris, must not learn that Polaris is there
// (its pages, its PAC file with the port and the Tor state, its CA), nor
// read Polaris's pages by DNS rebinding.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"
)

// probeJS loads each address in every way a page can without the user —
// no-cors and CORS fetches, script, image, style and frame elements — and
// reports for each whether it loaded ("load") or failed ("error"), and
// whether one of the scripts defined FindProxyForURL (a PAC file run as a
// script). A frame's load event fires whatever it shows (an error page too),
// and its content is another origin's: what it tells is compared with a
// frame of an address where nothing is.
const probeJS = `(async (targets) => {
	const el = (tag, attrs) => new Promise(res => {
		const e = document.createElement(tag);
		const t = setTimeout(() => res("timeout"), 10000);
		e.onload = () => { clearTimeout(t); res("load"); };
		e.onerror = () => { clearTimeout(t); res("error"); };
		Object.assign(e, attrs);
		if (tag != "img") document.head.appendChild(e);
	});
	const out = {};
	await Promise.all(targets.map(async u => {
		const r = {};
		r.nocors = await fetch(u, {mode: "no-cors", cache: "no-store", credentials: "include"}).then(() => "load", () => "error");
		r.cors = await fetch(u, {cache: "no-store"}).then(x => "load " + x.status, () => "error");
		r.script = await el("script", {src: u});
		r.img = await el("img", {src: u});
		r.style = await el("link", {rel: "stylesheet", href: u});
		r.iframe = await el("iframe", {src: u});
		out[u] = r;
	}));
	out.pac = {defined: typeof window.FindProxyForURL};
	return out;
})(%s)`

func TestPagesCannotDetectPolaris(t *testing.T) {
	w := sharedWeb(t)
	px := browserPolaris(t, "https.filter", "on")
	_, port, _ := net.SplitHostPort(px.addr)
	closed := closedPort(t)
	targets := []string{
		"http://polaris.invalid/", "http://polaris.invalid/proxy.pac", "http://polaris.invalid/ca.pem", "http://polaris.invalid/ca.der",
		"https://polaris.invalid/", "https://polaris.invalid/proxy.pac", "https://polaris.invalid/ca.pem",
		"http://127.0.0.1:" + port + "/", "http://127.0.0.1:" + port + "/proxy.pac", "http://127.0.0.1:" + port + "/ca.pem",
		"http://localhost:" + port + "/proxy.pac",
		// A name that does not exist: Polaris's error page must not tell
		// a proxy is there either.
		"http://nothing-here.invalid/", "https://nothing-here.invalid/",
		// A port where nothing listens: what a page sees without Polaris.
		"http://127.0.0.1:" + closed + "/", "http://127.0.0.1:" + closed + "/proxy.pac",
	}
	// nothing maps each target to the address where nothing is that it must
	// not be told apart from.
	nothing := func(u string) string {
		switch {
		case strings.HasPrefix(u, "http://127.0.0.1:"), strings.HasPrefix(u, "http://localhost:"):
			return "http://127.0.0.1:" + closed + "/"
		case strings.HasPrefix(u, "https:"):
			return "https://nothing-here.invalid/"
		}
		return "http://nothing-here.invalid/"
	}
	targetsJS := "["
	for i, u := range targets {
		if i > 0 {
			targetsJS += ","
		}
		targetsJS += jsString(u)
	}
	targetsJS += "]"
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		evil := w.newSite(t, "evil", sitePlain)
		evil.Page("/", `<!doctype html><title>another site</title><p>nothing to see</p>`)
		for _, scheme := range []string{"http", "https"} {
			p.Navigate(evil.URL(scheme, "/"))
			var got map[string]map[string]string
			p.Eval(fmt.Sprintf(probeJS, targetsJS), &got)
			var learned []string
			for _, u := range targets {
				r := got[u]
				for _, k := range []string{"nocors", "cors", "script", "img", "style"} {
					if r[k] != "error" {
						learned = append(learned, fmt.Sprintf("%s %s: %s", k, u, r[k]))
					}
				}
				if ref := got[nothing(u)]["iframe"]; r["iframe"] != ref || ref == "" {
					learned = append(learned, fmt.Sprintf("iframe %s: %s, where nothing is (%s): %s", u, r["iframe"], nothing(u), ref))
				}
			}
			if d := got["pac"]["defined"]; d != "undefined" {
				learned = append(learned, "a script defined FindProxyForURL: "+d)
			}
			t.Logf("%s: what a page of another site observes: %v", scheme, got)
			sort.Strings(learned)
			if len(learned) > 0 {
				p.Errorf("a page at %s learned that something answers (want every probe to fail as with nothing there):\n  %s", evil.URL(scheme, "/"), strings.Join(learned, "\n  "))
			}
		}
		// The user still gets Polaris's pages.
		p.Navigate("http://polaris.invalid/")
		if txt := p.Text(); !strings.Contains(txt, "Polaris is running") {
			p.Errorf("http://polaris.invalid/ typed by the user: %.200q", txt)
		}
		p.Navigate("https://polaris.invalid/")
		if txt := p.Text(); !strings.Contains(txt, "Polaris is running") {
			p.Errorf("https://polaris.invalid/ typed by the user: %.200q", txt)
		}
		// And the certificate from the status page's link, also on plain
		// HTTP (where only the page's Referer says the user asked): a
		// download leaves the page where it is; a refused one would show
		// the status page at /ca.pem.
		for _, u := range []string{"http://polaris.invalid/", "https://polaris.invalid/"} {
			p.Navigate(u)
			p.Click(`a[href="/ca.pem"]`)
			time.Sleep(2 * time.Second)
			if path := p.String("location.pathname"); path != "/" {
				p.Errorf("%s: the download link led to %s, want the file downloaded", u, path)
			}
		}
	})
}

// DNS rebinding in a browser, in the variant that no DNS cache stops: the
// attacker's name has two addresses, its server's (127.0.0.66, at Polaris's
// port) and 127.0.0.1. Its page loads from the first; then the server stops
// listening, so that the page's own same-origin requests, which it may read,
// fall over to the second: Polaris.
func TestBrowserDNSRebinding(t *testing.T) {
	sharedWeb(t)
	px := browserPolaris(t)
	_, port, _ := net.SplitHostPort(px.addr)
	const attackerIP = "127.0.0.66"
	n := 0
	forEachBrowser(t, px.addr, func(t *testing.T, p *page) {
		ln, err := net.Listen("tcp", net.JoinHostPort(attackerIP, port))
		if err != nil {
			t.Fatalf("the attacker's server on %s:%s: %v", attackerIP, port, err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close") // no connection for Polaris to reuse
			w.Header().Set("Cache-Control", "no-store")
			io.WriteString(w, "<!doctype html><title>attacker</title><p>the attacker's page</p>")
		})}
		go srv.Serve(ln)
		defer srv.Close()
		n++
		name := fmt.Sprintf("rebind-%d-%d.test", time.Now().UnixNano()%100000, n)
		setDNS(name, netip.MustParseAddr(attackerIP), netip.MustParseAddr("127.0.0.1"))
		p.Navigate("http://" + name + ":" + port + "/")
		if got := p.String("document.title"); got != "attacker" {
			p.Fatalf("set-up: the attacker's page has title %q", got)
		}
		srv.Close()
		var got []string
		p.Eval(`(async () => {
			const out = [];
			for (const path of ["/", "/ca.pem", "/ca.der", "/proxy.pac"]) {
				out.push(path + " " + await fetch(path, {cache: "no-store"}).then(async x => x.status + " " + await x.text(), e => "error " + e));
			}
			return out;
		})()`, &got)
		for _, r := range got {
			if strings.Contains(r, "Polaris") || strings.Contains(r, "CERTIFICATE") || strings.Contains(r, "FindProxyForURL") || !strings.Contains(r, " 421 ") {
				p.Errorf("after rebinding, the page read %.300q (want 421 and nothing of Polaris)", r)
			}
		}
	})
}

// closedPort returns a loopback port where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}
