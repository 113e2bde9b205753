// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"polaris/blocklist"
	"polaris/internal/testenv"
)

// The DuckDuckGo reference tests for third-party tracker cookies
// (block-third-party-tracking-cookies), their Cookie and Set-Cookie cases,
// through the running proxy over plain HTTP and filtered HTTPS: the
// browser's request with its Cookie headers goes from the test's site to
// the tracker, and the case passes when the origin received them, or not,
// as the case says (Set-Cookie: when the client received them). Blocking
// is switched off (no category blocked) so that every request reaches its
// origin: the cases test what a tracker that gets through receives, and
// the trackers stay known as such. The document.cookie cases need a page's
// JavaScript and are left to the browser.
func TestDDGTrackingCookiesThroughProxy(t *testing.T) {
	const file = "block-third-party-tracking-cookies/tests.json"
	dir := "ddg-reference-tests/block-third-party-tracking-cookies/"
	decidable := testenv.DDGDecidable(t, file)
	tds, err := os.ReadFile(testenv.Shared(t, dir+"tracker_radar_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The trackers have no category of their own: the list's, switched off.
	tdsList, err := blocklist.ParseString(string(tds), blocklist.ListMeta{Name: "tds", Category: "analytics"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{tdsList, sharedList(t, dir+"config_reference.json")},
		blocklist.Options{OwnerParties: true, Categories: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	rig := newStealthRig(t, m, Policy{Protection: true, Stealth: stealthOn()}, BlockConfig{})
	type nv struct{ Name, Value string }
	var sets map[string]struct {
		Tests []struct {
			Name                          string
			SiteURL, RequestURL           string
			RequestHeaders                []nv
			ResponseHeaders               []nv
			ExpectCookieHeadersRemoved    *bool
			ExpectSetCookieHeadersRemoved *bool
		}
	}
	testenv.ReadJSON(t, "ddg-reference-tests/"+file, &sets)
	toHeader := func(list []nv) http.Header {
		h := http.Header{}
		for _, x := range list {
			h.Add(x.Name, x.Value)
		}
		return h
	}
	for _, scheme := range []string{"http", "https"} {
		total, passed := 0, 0
		for _, set := range []string{"cookieHeader", "setCookieHeader"} {
			for i, c := range sets[set].Tests {
				if !decidable[fmt.Sprintf("%s/%d", set, i)] {
					continue
				}
				total++
				site := strings.Replace(c.SiteURL, "https:", scheme+":", 1)
				target := strings.Replace(c.RequestURL, "https:", scheme+":", 1)
				ex := rig.send(t, target, site, "image", toHeader(c.RequestHeaders), toHeader(c.ResponseHeaders))
				if ex.sent == nil {
					t.Errorf("%s %s %q: %s from %s did not reach the origin (%d)", scheme, set, c.Name, target, site, ex.status)
					continue
				}
				var removed, want bool
				switch {
				case c.ExpectCookieHeadersRemoved != nil:
					removed, want = len(ex.sent["Cookie"]) == 0, *c.ExpectCookieHeadersRemoved
				case c.ExpectSetCookieHeadersRemoved != nil:
					removed, want = len(ex.received["Set-Cookie"]) == 0, *c.ExpectSetCookieHeadersRemoved
				default:
					t.Fatalf("%s %q: no expectation", set, c.Name)
				}
				if removed != want {
					t.Errorf("%s %s %q: %s from %s: removed = %v, want %v", scheme, set, c.Name, target, site, removed, want)
					continue
				}
				passed++
			}
		}
		if total != 20 {
			t.Errorf("%d header cases are decidable, want the 20 of the suite", total)
		}
		t.Logf("tracking cookies, %s through the proxy: %d/%d header cases pass", scheme, passed, total)
	}
}
