// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/url"
	"strings"
	"testing"

	"polaris/blocklist"
)

// Redirectors and $removeparam through the running proxy, plain HTTP and
// filtered HTTPS, with the real lists loaded (EasyPrivacy, EasyList,
// DuckDuckGo's tracking parameters) and a list of $removeparam rules in
// the syntax of the lists that have them (the shared EasyList and
// EasyPrivacy have none).
func TestLinksThroughProxy(t *testing.T) {
	own, err := blocklist.ParseString(strings.Join([]string{
		"$removeparam=promo_id",
		"||cdn.example^$removeparam=/^fb_/",
		"@@||keep.example^$removeparam",
		"||clicks.tracker.example^",
	}, "\n"), blocklist.ListMeta{Name: "own rules", Category: "advertising"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{
		sharedList(t, "blocklists/easyprivacy.txt"),
		sharedList(t, "blocklists/easylist.txt"),
		sharedList(t, "blocklists/ddg-privacy-config/tracking-parameters.json"),
		own,
	}, blocklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rig := newStealthRig(t, m, Policy{Protection: true}, BlockConfig{})
	if err := rig.tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true, StripParams: true, SkipRedirectors: true}); err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			dest := scheme + "://news.example/a?b=1"
			for _, tc := range []struct{ name, target string }{
				{"google", "https://www.google.com/url?sa=t&q=" + url.QueryEscape(dest) + "&usg=AOv"},
				{"facebook", "https://l.facebook.com/l.php?u=" + url.QueryEscape(dest) + "&h=AT1"},
				{"reddit", "https://out.reddit.com/t3_abc?url=" + url.QueryEscape(dest) + "&token=x"},
				{"outlook safe links", "https://eur01.safelinks.protection.outlook.com/?url=" + url.QueryEscape(dest) + "&data=05"},
			} {
				target := strings.Replace(tc.target, "https:", scheme+":", 1)
				ex := rig.send(t, target, target, "main_frame", nil, nil)
				if ex.sent != nil || ex.status/100 != 3 || ex.received.Get("Location") != dest {
					t.Errorf("%s: %s answered %d Location %q (origin reached: %v), want a redirect to %s",
						tc.name, target, ex.status, ex.received.Get("Location"), ex.sent != nil, dest)
				}
			}
			// A blocked click tracker: the block page shows where the link leads.
			click := scheme + "://clicks.tracker.example/c?id=9&dest=" + url.QueryEscape("https://shop.example/item?x=1")
			ex := rig.send(t, click, click, "main_frame", nil, nil)
			if ex.status != 403 || !strings.Contains(ex.body, `This link leads to <a href="https://shop.example/item?x=1"`) {
				t.Errorf("blocked click tracker: %d, body without the destination:\n%.600s", ex.status, ex.body)
			}
			// $removeparam on a subresource: the clean address goes out.
			img := scheme + "://cdn.example/lib/app.js?id=1&fb_source=x&promo_id=7&fbclid=abc"
			ex = rig.send(t, img, scheme+"://news.example/", "script", nil, nil)
			if ex.sent == nil || ex.url != "/lib/app.js?id=1&fbclid=abc" {
				t.Errorf("subresource %s reached the origin as %q, want /lib/app.js?id=1&fbclid=abc (fbclid is for page loads)", img, ex.url)
			}
			keep := scheme + "://keep.example/lib/app.js?promo_id=7"
			if ex = rig.send(t, keep, scheme+"://news.example/", "script", nil, nil); ex.url != "/lib/app.js?promo_id=7" {
				t.Errorf("excepted %s reached the origin as %q", keep, ex.url)
			}
			// $removeparam on a page load: a redirect to the clean address.
			page := scheme + "://shop.example/item?x=1&promo_id=7"
			ex = rig.send(t, page, page, "main_frame", nil, nil)
			if want := scheme + "://shop.example/item?x=1"; ex.status/100 != 3 || ex.received.Get("Location") != want {
				t.Errorf("page %s: %d Location %q, want a redirect to %s", page, ex.status, ex.received.Get("Location"), want)
			}
		})
	}
}

// $csp rules of the lists and the sites run without JavaScript add their
// policy to the pages and frames they match, over plain HTTP and filtered
// HTTPS; other answers get none, and the in-page signals script then
// stays out of a page that runs no script.
func TestCSPThroughProxy(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||news.example^$csp=worker-src 'none'", "@@||news.example/ok^$csp")
	s := stealthOn()
	s.NoScript = []string{"quiet.example"}
	rig := newStealthRig(t, m, Policy{Protection: true, GPC: true, Stealth: s}, BlockConfig{})
	for _, scheme := range []string{"http", "https"} {
		for _, tc := range []struct {
			name, target, typ string
			want              []string
		}{
			{"page", "://news.example/a", "main_frame", []string{"worker-src 'none'"}},
			{"frame", "://news.example/f", "sub_frame", []string{"worker-src 'none'"}},
			{"script", "://news.example/a.js", "script", nil},
			{"exception", "://news.example/ok", "main_frame", nil},
			{"no JavaScript", "://www.quiet.example/", "main_frame", []string{"script-src 'none'"}},
		} {
			target := scheme + tc.target
			site := target
			if tc.typ != "main_frame" {
				site = scheme + "://other.example/"
			}
			ex := rig.send(t, target, site, tc.typ, nil, hdr("Content-Type", "text/html", "X-Test-Body", "PGh0bWw+PGhlYWQ+PC9oZWFkPjwvaHRtbD4="))
			if got := ex.received["Content-Security-Policy"]; strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%s %s: Content-Security-Policy %q, want %q", scheme, tc.name, got, tc.want)
			}
			if tc.name == "no JavaScript" && strings.Contains(ex.body, "globalPrivacyControl") {
				t.Errorf("%s: the signals script was added to a page without JavaScript", scheme)
			}
		}
	}
}
