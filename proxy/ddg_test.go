// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

// DuckDuckGo privacy-reference-tests (../shared/ddg-reference-tests), run
// through the real proxy: plain HTTP and, with HTTPS filtering on, HTTPS.
// Every public host name of the suites is dialled to a loopback origin that
// presents a certificate from a test CA for whatever name is asked, so
// nothing leaves the machine. Cases are selected by
// proxy-classification.json: "yes" and "yes*" run ("yes*" compared without
// the #fragment, which a proxy never sees), "mode-dependent" is skipped
// (Polaris sends Sec-GPC everywhere), "browser" needs a browser.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/testenv"
)

// ddgCase is one test case of any suite; each suite uses some fields.
type ddgCase struct {
	Name            string   `json:"name"`
	SiteURL         string   `json:"siteURL"`
	RequestURL      string   `json:"requestURL"`
	RequestType     string   `json:"requestType"`
	ExpectURL       *string  `json:"expectURL"`
	ExceptPlatforms []string `json:"exceptPlatforms"`
	// global-privacy-control
	GPCUserSettingOn bool   `json:"gpcUserSettingOn"`
	ExpectGPCHeader  bool   `json:"expectGPCHeader"`
	ExpectGPCValue   string `json:"expectGPCHeaderValue"`
	// referrer-trimming
	NavigatingFromURL string  `json:"navigatingFromURL"`
	NavigatingToURL   string  `json:"navigatingToURL"`
	ReferrerValue     *string `json:"referrerValue"`
	ExpectReferrer    *string `json:"expectReferrerHeaderValue"`
	// url-parameters
	TestURL      string `json:"testURL"`
	InitiatorURL string `json:"initiatorURL"`
	// amp-protections
	AmpURL            string `json:"ampURL"`
	ExpectAmpDetected *bool  `json:"expectAmpDetected"`
}

type ddgSet struct {
	Name  string    `json:"name"`
	Tests []ddgCase `json:"tests"`
}

// ddgConfigMatcher loads a suite's config_reference.json the way Polaris
// loads a subscribed "DuckDuckGo privacy configuration" list: parsed as
// that format and compiled into a matcher, which carries the exceptions and
// settings of the link features to the proxy (SetMatcher).
func ddgConfigMatcher(t *testing.T, rel string) *blocklist.Matcher {
	t.Helper()
	data, err := os.ReadFile(testenv.Shared(t, "ddg-reference-tests/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	l, err := blocklist.Parse(bytes.NewReader(data), blocklist.ListMeta{Name: rel, Format: blocklist.FormatDDGConfig})
	if err != nil || len(l.Errors) > 0 {
		t.Fatalf("parsing %s: %v %v", rel, err, l.Errors)
	}
	m, err := blocklist.Compile([]*blocklist.List{l}, blocklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readJSON reads a file of the DuckDuckGo reference tests.
func readJSON(t *testing.T, rel string, v any) {
	t.Helper()
	testenv.ReadJSON(t, "ddg-reference-tests/"+rel, v)
}

// ddgTally counts a suite's cases and logs them at the end.
type ddgTally struct {
	t                              *testing.T
	suite                          string
	passed, failed, skipped, total int
}

func (d *ddgTally) run(kind string, name string, f func(t *testing.T) bool) {
	d.total++
	switch kind {
	case "yes", "yes*", "partial":
	default:
		d.skipped++
		return
	}
	ok := false
	d.t.Run(name, func(t *testing.T) { ok = f(t) && !t.Failed() })
	if ok {
		d.passed++
	} else {
		d.failed++
	}
}

func (d *ddgTally) log() {
	d.t.Logf("DuckDuckGo %s: %d passed, %d failed, %d not decidable by a proxy (of %d cases)", d.suite, d.passed, d.failed, d.skipped, d.total)
}

// ddgWorld is a proxy with HTTPS filtering whose every upstream connection
// goes to loopback origins: port 443 to an HTTPS origin that presents a
// certificate for any name, everything else to a plain HTTP origin.
type ddgWorld struct {
	tp      *testProxy
	client  *http.Client
	polaris *testCA
}

func newDDGWorld(t *testing.T, pol Policy, hp HTTPSPolicy, m *blocklist.Matcher) *ddgWorld {
	t.Helper()
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	tlsOrigin := newTLSOrigin(t, upstream, nil)
	httpOrigin, _ := newOrigin(t)
	tlsAddr, httpAddr := tlsOrigin.Listener.Addr().String(), strings.TrimPrefix(httpOrigin.URL, "http://")
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := httpAddr
		if _, port, _ := net.SplitHostPort(addr); port == "443" {
			to = tlsAddr
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	tp := mitmProxy(t, polaris, upstream, dial, pol, hp)
	if m != nil {
		tp.SetMatcher(m)
	}
	return &ddgWorld{tp: tp, client: mitmClient(tp, polaris.pool), polaris: polaris}
}

// fetchDest maps a reference-test requestType to Sec-Fetch-Dest.
var fetchDest = map[string]string{
	"main_frame": "document", "sub_frame": "iframe", "script": "script", "image": "image",
	"stylesheet": "style", "font": "font", "xmlhttprequest": "empty", "websocket": "websocket",
}

// do sends one request of type typ (with referer, "" for none) and returns
// the URL it ended at: the redirect target, or the URL the origin saw.
func (w *ddgWorld) do(t *testing.T, rawURL, typ, referer string) (got string, originHeader http.Header) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Fragment = ""
	req, err := http.NewRequest("GET", u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Dest", fetchDest[typ])
	if typ == "main_frame" {
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
	} else {
		req.Header.Set("Sec-Fetch-Mode", "no-cors")
		req.Header.Set("Accept", "*/*")
	}
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusTemporaryRedirect, http.StatusMovedPermanently:
		return resp.Header.Get("Location"), nil
	case http.StatusOK:
		var e echo
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("GET %s: origin answer %q: %v", u, b, err)
		}
		seen := *u
		seen.Path, seen.RawPath, seen.RawQuery = "", "", ""
		return seen.String() + e.URL, e.Header
	}
	b, _ := io.ReadAll(resp.Body)
	t.Fatalf("GET %s: status %d: %s", u, resp.StatusCode, b)
	return "", nil
}

func withoutFragment(s string) string {
	s, _, _ = strings.Cut(s, "#")
	return s
}

func TestDDGHTTPSUpgrades(t *testing.T) {
	class := testenv.DDGClassification(t)
	var suite map[string]ddgSet
	readJSON(t, "https-upgrades/tests.json", &suite)
	upgradable := map[string]bool{}
	for _, h := range readLines(t, "https-upgrades/https_upgrade_hostnames.txt") {
		upgradable[h] = true
	}
	for _, h := range readLines(t, "https-upgrades/https_dont_upgrade_hostnames.txt") {
		if upgradable[h] {
			t.Fatalf("%s is in both reference lists", h)
		}
	}
	// The hosts known to serve HTTPS stand in for DuckDuckGo's upgrade
	// bloom filter, which Polaris does not load (it upgrades by
	// HTTPS-first); the exceptions come from the configuration.
	w := newDDGWorld(t, Policy{Protection: true}, HTTPSPolicy{
		KnownHTTPS: func(h string) bool { return upgradable[h] },
	}, ddgConfigMatcher(t, "https-upgrades/config_reference.json"))
	tally := &ddgTally{t: t, suite: "https-upgrades"}
	defer tally.log()
	for _, set := range []string{"navigations", "subrequests"} {
		for i, c := range suite[set].Tests {
			kind := class[fmt.Sprintf("https-upgrades/tests.json|%s|%d", set, i)]
			tally.run(kind, set+"/"+c.Name, func(t *testing.T) bool {
				referer := ""
				if c.RequestType != "main_frame" {
					referer = withoutFragment(c.SiteURL)
				}
				got, _ := w.do(t, c.RequestURL, c.RequestType, referer)
				if want := withoutFragment(*c.ExpectURL); got != want {
					t.Errorf("%s: got %q, want %q", c.RequestURL, got, want)
					return false
				}
				return true
			})
		}
	}
}

func readLines(t *testing.T, rel string) []string {
	t.Helper()
	f, err := os.Open(testenv.Shared(t, "ddg-reference-tests/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// GPC header cases, in "header everywhere" mode, with HTTPS filtering on.
func TestDDGGlobalPrivacyControl(t *testing.T) {
	class := testenv.DDGClassification(t)
	var suite map[string]ddgSet
	readJSON(t, "global-privacy-control/tests.json", &suite)
	// The user's per-site exceptions stand in for the configuration's
	// (Polaris does not read the gpc feature).
	type exception struct {
		Domain string `json:"domain"`
	}
	var cfg struct {
		Features struct {
			GPC struct {
				Exceptions []exception `json:"exceptions"`
			} `json:"gpc"`
		} `json:"features"`
		UnprotectedTemporary []exception `json:"unprotectedTemporary"`
	}
	readJSON(t, "global-privacy-control/config_reference.json", &cfg)
	var exc []settings.SiteException
	for _, d := range append(cfg.Features.GPC.Exceptions, cfg.UnprotectedTemporary...) {
		e, err := settings.ParseSiteException(d.Domain + "=off")
		if err != nil {
			t.Fatal(err)
		}
		exc = append(exc, e)
	}
	worlds := map[bool]*ddgWorld{}
	for _, on := range []bool{false, true} {
		worlds[on] = newDDGWorld(t, Policy{Protection: true, GPC: on, Exceptions: exc}, HTTPSPolicy{}, nil)
	}
	tally := &ddgTally{t: t, suite: "global-privacy-control (header)"}
	defer tally.log()
	for i, c := range suite["gpcHeader"].Tests {
		kind := class[fmt.Sprintf("global-privacy-control/tests.json|gpcHeader|%d", i)]
		tally.run(kind, c.Name, func(t *testing.T) bool {
			referer := ""
			if c.RequestType != "main_frame" {
				referer = c.SiteURL
			}
			_, h := worlds[c.GPCUserSettingOn].do(t, c.RequestURL, c.RequestType, referer)
			got := h.Values("Sec-Gpc")
			switch {
			case c.ExpectGPCHeader && (len(got) != 1 || got[0] != "1"):
				t.Errorf("%s: Sec-GPC %q, want exactly [1]", c.RequestURL, got)
			case !c.ExpectGPCHeader && len(got) != 0:
				t.Errorf("%s: Sec-GPC %q, want none", c.RequestURL, got)
			}
			return true
		})
	}
}

// tdsEntities returns a SameOwner function built from a Tracker Data Set's
// entity map (what app will feed from the blocklist engine).
func tdsEntities(t *testing.T, rel string) func(a, b string) bool {
	t.Helper()
	var tds struct {
		Domains map[string]string `json:"domains"`
	}
	readJSON(t, rel, &tds)
	return func(a, b string) bool {
		ea, ok := tds.Domains[a]
		return ok && ea == tds.Domains[b]
	}
}

func TestDDGReferrerTrimming(t *testing.T) {
	class := testenv.DDGClassification(t)
	var suite map[string]ddgSet
	readJSON(t, "referrer-trimming/tests.json", &suite)
	w := newDDGWorld(t, Policy{Protection: true}, HTTPSPolicy{
		TrimReferrer: true,
		SameOwner:    tdsEntities(t, "referrer-trimming/tracker_radar_reference.json"),
	}, ddgConfigMatcher(t, "referrer-trimming/config_reference.json"))
	tally := &ddgTally{t: t, suite: "referrer-trimming (header)"}
	defer tally.log()
	for _, set := range []string{"refererHeaderNavigation", "refererHeaderSubrequests", "refererAPI"} {
		for i, c := range suite[set].Tests {
			kind := class[fmt.Sprintf("referrer-trimming/tests.json|%s|%d", set, i)]
			tally.run(kind, set+"/"+c.Name, func(t *testing.T) bool {
				to, typ := c.RequestURL, c.RequestType
				if set == "refererHeaderNavigation" {
					to, typ = c.NavigatingToURL, "main_frame"
				}
				ref := ""
				if c.ReferrerValue != nil {
					ref = *c.ReferrerValue
				}
				_, h := w.do(t, to, typ, ref)
				got := h.Values("Referer")
				switch {
				case c.ExpectReferrer == nil && len(got) != 0:
					t.Errorf("Referer %q, want none", got)
				case c.ExpectReferrer != nil && (len(got) != 1 || got[0] != *c.ExpectReferrer):
					t.Errorf("Referer %q, want [%q]", got, *c.ExpectReferrer)
				}
				return true
			})
		}
	}
}

func TestDDGURLParameters(t *testing.T) {
	class := testenv.DDGClassification(t)
	var suite map[string]ddgSet
	readJSON(t, "url-parameters/tests.json", &suite)
	// The parameters come from the configuration; the policy's own list is
	// empty, since Polaris's built-in one strips more than DuckDuckGo's
	// (utm_*, msclkid) and the suite expects exactly DuckDuckGo's.
	w := newDDGWorld(t, Policy{Protection: true}, HTTPSPolicy{StripParams: true, TrackingParams: []string{}},
		ddgConfigMatcher(t, "url-parameters/config_reference.json"))
	tally := &ddgTally{t: t, suite: "url-parameters"}
	defer tally.log()
	for i, c := range suite["trackingParameters"].Tests {
		kind := class[fmt.Sprintf("url-parameters/tests.json|trackingParameters|%d", i)]
		tally.run(kind, c.Name, func(t *testing.T) bool {
			got, _ := w.do(t, c.TestURL, "main_frame", c.InitiatorURL)
			if want := withoutFragment(*c.ExpectURL); got != want {
				t.Errorf("%s:\n got  %q\n want %q", c.TestURL, got, want)
			}
			return true
		})
	}
}

func TestDDGAMPProtections(t *testing.T) {
	class := testenv.DDGClassification(t)
	var suite map[string]ddgSet
	readJSON(t, "amp-protections/tests.json", &suite)
	w := newDDGWorld(t, Policy{Protection: true}, HTTPSPolicy{StripParams: true},
		ddgConfigMatcher(t, "amp-protections/config_reference.json"))
	st, links := w.tp.state.Load().https, w.tp.state.Load().matcher.linkRules()
	tally := &ddgTally{t: t, suite: "amp-protections"}
	defer tally.log()
	for i, c := range suite["ampFormats"].Tests {
		kind := class[fmt.Sprintf("amp-protections/tests.json|ampFormats|%d", i)]
		tally.run(kind, "formats/"+c.Name, func(t *testing.T) bool {
			want := withoutFragment(*c.ExpectURL)
			if want == "" {
				want = withoutFragment(c.AmpURL) // not rewritten
			}
			if got, _ := w.do(t, c.AmpURL, "main_frame", ""); got != want {
				t.Errorf("%s: got %q, want %q", c.AmpURL, got, want)
			}
			return true
		})
	}
	for i, c := range suite["ampKeywords"].Tests {
		kind := class[fmt.Sprintf("amp-protections/tests.json|ampKeywords|%d", i)]
		tally.run(kind, "keywords/"+c.Name, func(t *testing.T) bool {
			u, err := url.Parse(c.AmpURL)
			if err != nil {
				t.Fatal(err)
			}
			if got := isAMPCandidate(u, &st.unprotected, links); got != *c.ExpectAmpDetected {
				t.Errorf("isAMPCandidate(%q) = %v, want %v", c.AmpURL, got, *c.ExpectAmpDetected)
			}
			return true
		})
	}
}
