// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// A long poll that a direct connection serves gets through Polaris too
// (issue 13, defect 7: Polaris answered 504 after 120 s waiting for the
// response headers). Chromium waits for an answer as long as the page
// does; the poll answers after 125 s, over HTTP and filtered HTTPS at once.
// It runs in parallel with the other parallel tests: it mostly waits.

import (
	"testing"
	"time"
)

func TestLongPollOutlastsTwoMinutes(t *testing.T) {
	t.Parallel()
	w := sharedWeb(t)
	px := browserPolaris(t, "https.filter", "on")
	p := openPage(t, "chromium", px.addr)
	s := w.newSite(t, "longpoll", sitePlain)
	s.Page("/", `<!doctype html><title>long poll</title>`)
	p.Navigate(s.HTTP("/"))
	const wait = 125 * time.Second
	start := time.Now()
	p.Eval(`(() => { window.polls = Promise.all([`+jsString(s.HTTP("/wait?ms=125000"))+`, `+jsString(s.HTTPS("/wait?ms=125000"))+`].map(u =>
		fetch(u).then(r => String(r.status)).catch(e => "error " + e))).then(r => window.got = r); return 1; })()`, nil)
	p.WaitFor(`window.got !== undefined`, wait+90*time.Second)
	var got []string
	p.Eval(`window.got`, &got)
	if time.Since(start) < wait {
		t.Fatalf("the polls ended after %v, before the site answered (%q)", time.Since(start), got)
	}
	for i, want := range []string{"200", "200"} {
		if got[i] != want {
			p.Errorf("long poll %d: %q after %v, want %q as without Polaris", i, got[i], time.Since(start), want)
		}
	}
}
