// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The signal matrix: DNT (unset, 1, 0) × GPC (off, on) × a site exception
// (none, site=off), through both browsers, over HTTP and filtered HTTPS.
// One page load per combination, with an image, a stylesheet, a script and
// a fetch from another site, a frame, a fetch, an XHR, a POST and a beacon
// of its own: every request the origins receive carries exactly the
// headers the settings say (the exception covers the third-party requests
// of the excepted site's page too: it is about the site the user is on).

import (
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"testing"
	"time"
)

// matrixPage is the page of one combination c on first, with subresources
// from cdn, over scheme.
func matrixPage(scheme string, first, cdn *site, c string) string {
	own := func(p string) string { return first.URL(scheme, "/r/"+p+"?c="+c) }
	other := func(p string) string { return cdn.URL(scheme, "/r/"+p+"?c="+c) }
	return fmt.Sprintf(`<!doctype html><title>matrix %[1]s</title>
<link rel="stylesheet" href="%[2]s">
<img src="%[3]s">
<script src="%[4]s"></script>
<iframe src="%[5]s"></iframe>
<script>
window.done = Promise.all([
	new Promise(ok => window.addEventListener("load", ok)),
	fetch(%[6]q).then(r => r.text()),
	fetch(%[7]q, {mode: "cors"}).then(r => r.text()),
	fetch(%[8]q, {method: "POST", body: "x=1"}).then(r => r.text()),
	new Promise(ok => { const x = new XMLHttpRequest(); x.open("GET", %[9]q); x.onloadend = ok; x.send(); }),
]).then(() => { navigator.sendBeacon(%[10]q, "b=1"); return true; });
</script>`, c, own("s.css"), other("px.gif"), other("s.js"), own("frame.html"),
		own("fetch"), other("xfetch"), own("post"), own("xhr"), own("beacon"))
}

// matrixHandler answers /r/* on a site of the matrix.
func matrixHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "no-store")
	switch path.Ext(r.URL.Path) {
	case ".css":
		w.Header().Set("Content-Type", "text/css")
	case ".js":
		w.Header().Set("Content-Type", "application/javascript")
	case ".gif":
		w.Header().Set("Content-Type", "image/gif")
	case ".html":
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><p>frame</p>")
		return
	}
	io.WriteString(w, "")
}

func TestSignalMatrix(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	for _, b := range browserNames {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			first := w.newSite(t, "signals", sitePlain)
			cdn := w.newSite(t, "signalcdn", sitePlain)
			first.Handle("/r/", matrixHandler)
			cdn.Handle("/r/", matrixHandler)
			first.Handle("/m", func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "text/html; charset=utf-8")
				rw.Header().Set("Cache-Control", "no-store")
				scheme := "http"
				if r.TLS != nil {
					scheme = "https"
				}
				io.WriteString(rw, matrixPage(scheme, first, cdn, r.URL.Query().Get("c")))
			})
			px := browserPolaris(t, "https.filter", "on")
			p := openPage(t, b, px.addr)
			for _, dnt := range []string{"unset", "1", "0"} {
				for _, gpc := range []string{"off", "on"} {
					for _, exc := range []string{"", first.Host + "=off"} {
						mustPolaris(t, px.dataDir, "config", "set", "dnt", dnt)
						mustPolaris(t, px.dataDir, "config", "set", "gpc", gpc)
						mustPolaris(t, px.dataDir, "config", "set", "signals.exceptions", exc)
						wantDNT, wantGPC := map[string]string{"unset": "", "1": "1", "0": "0"}[dnt], map[string]string{"off": "", "on": "1"}[gpc]
						if exc != "" {
							wantDNT, wantGPC = "", ""
						}
						for _, scheme := range []string{"http", "https"} {
							c := fmt.Sprintf("%s-dnt%s-gpc%s-exc%v", scheme, dnt, gpc, exc != "")
							checkMatrix(t, p, scheme, first, cdn, c, wantDNT, wantGPC)
						}
					}
				}
			}
		})
	}
}

// checkMatrix loads combination c and checks every request it made.
func checkMatrix(t *testing.T, p *page, scheme string, first, cdn *site, c, wantDNT, wantGPC string) {
	t.Helper()
	p.Navigate(first.URL(scheme, "/m?c="+c))
	p.WaitFor(`window.done !== undefined`, 20*time.Second)
	p.Eval(`window.done`, nil)
	want := map[string]bool{"/m": false, "/r/s.css": false, "/r/px.gif": false, "/r/s.js": false, "/r/frame.html": false,
		"/r/fetch": false, "/r/xfetch": false, "/r/post": false, "/r/xhr": false, "/r/beacon": false}
	is := func(r *seenRequest) bool { return strings.Contains(r.Query, "c="+c) }
	// The beacon goes after the page's promise: wait for it.
	first.WaitRequest(10*time.Second, func(r *seenRequest) bool { return r.Path == "/r/beacon" && is(r) })
	for _, s := range []*site{first, cdn} {
		for _, r := range s.Requests() {
			if !is(r) || r.Method == http.MethodOptions {
				continue
			}
			want[r.Path] = true
			if r.Scheme != scheme {
				p.Errorf("%s: %s went over %s", c, r, r.Scheme)
			}
			if got := r.Header.Get("Dnt"); got != wantDNT || len(r.Header.Values("Dnt")) > 1 {
				p.Errorf("%s: %s carried DNT %q, want %q", c, r, r.Header.Values("Dnt"), wantDNT)
			}
			if got := r.Header.Get("Sec-Gpc"); got != wantGPC || len(r.Header.Values("Sec-Gpc")) > 1 {
				p.Errorf("%s: %s carried Sec-GPC %q, want %q", c, r, r.Header.Values("Sec-Gpc"), wantGPC)
			}
		}
	}
	for path, seen := range want {
		if !seen {
			p.Errorf("%s: the origins never got %s", c, path)
		}
	}
}
