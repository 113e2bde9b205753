// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"polaris/internal/status"
)

func TestParseTk(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"N", "N", true}, {" T ", "T", true}, {"!", "!", true}, {"D;abc", "D", true}, {"C, x", "C", true},
		{"", "", false}, {"n", "", false}, {"NT", "", false}, {"1", "", false}, {"X", "", false}, {"é", "", false},
	} {
		got, ok := parseTk(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseTk(%q) = %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseTrackingStatus(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{`{"tracking": "N"}`, "N", false},
		{"\ufeff{\"tracking\":\"T\",\"compliance\":[\"https://example.com/p\"],\"qualifiers\":\"a\"}", "T", false},
		{` {"tracking": "D"} `, "D", false},
		{`{"tracking": "NN"}`, "", true},
		{`{"tracking": "Z"}`, "", true},
		{`{"tracking": 1}`, "", true},
		{`{}`, "", true},
		{`["N"]`, "", true},
		{`{"tracking": "N"} trailing`, "", true},
		{`<html>`, "", true},
		{``, "", true},
	} {
		got, err := parseTrackingStatus([]byte(tc.in))
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("parseTrackingStatus(%q) = %q, %v, want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseGPCJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
		err  bool
	}{
		{`{"gpc": true, "lastUpdate": "2021-11-01"}`, true, false},
		{`{"gpc": false}`, false, false},
		{`{"gpc": "true"}`, false, true},
		{`{"lastUpdate": "2021-11-01"}`, false, true},
		{`{"gpc": true}{"gpc": false}`, false, true},
		{`true`, false, true},
		{`not json`, false, true},
	} {
		got, err := parseGPCJSON([]byte(tc.in))
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("parseGPCJSON(%q) = %v, %v, want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// testPolicyText stands in for the EFF policy (whose text is not in this
// repository); tests register its hash.
const testPolicyText = "Do Not Track Compliance Policy (test stand-in)\n"

func registerTestPolicy(t *testing.T) {
	sum := sha1.Sum([]byte(testPolicyText))
	h := hex.EncodeToString(sum[:])
	effPolicyHashes[h] = "test stand-in"
	t.Cleanup(func() { delete(effPolicyHashes, h) })
}

func TestEFFPolicyVersion(t *testing.T) {
	registerTestPolicy(t)
	if v := effPolicyVersion([]byte(testPolicyText)); v != "test stand-in" {
		t.Errorf("effPolicyVersion(registered text) = %q", v)
	}
	if v := effPolicyVersion([]byte(testPolicyText + " ")); v != "" {
		t.Errorf("effPolicyVersion(changed text) = %q, want none: the hash is of the exact bytes", v)
	}
	if len(effPolicyHashes) != 8 { // seven published versions and the stand-in
		t.Errorf("%d EFF policy hashes, want the 7 published versions", len(effPolicyHashes)-1)
	}
	for h := range effPolicyHashes {
		if b, err := hex.DecodeString(h); err != nil || len(b) != sha1.Size {
			t.Errorf("hash %q is not a SHA-1 in hex", h)
		}
	}
}

// A site the user visits is checked once per session, without cookies,
// through the proxy's route; the Tk header is recorded.
func TestSiteChecks(t *testing.T) {
	registerTestPolicy(t)
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	var mu sync.Mutex
	var wellKnown []*http.Request
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			mu.Lock()
			wellKnown = append(wellKnown, r)
			mu.Unlock()
		}
		switch r.Host + r.URL.Path {
		case "honest-site.net/.well-known/dnt/":
			w.Write([]byte(`{"tracking": "N"}`))
		case "honest-site.net/.well-known/gpc.json":
			// Compressed as the browser's Accept-Encoding allows.
			w.Header().Set("Content-Encoding", "br")
			bw := brotli.NewWriter(w)
			bw.Write([]byte(`{"gpc": true, "lastUpdate": "2024-01-01"}`))
			bw.Close()
		case "honest-site.net/.well-known/dnt-policy.txt":
			http.Redirect(w, r, "https://www.honest-site.net/policy.txt", http.StatusFound)
		case "www.honest-site.net/policy.txt":
			w.Write([]byte(testPolicyText))
		case "honest-site.net/":
			w.Header().Set("Tk", "N")
			w.Write([]byte("home"))
		case "evil-site.net/.well-known/dnt-policy.txt":
			http.Redirect(w, r, "https://elsewhere.example.org/policy.txt", http.StatusFound)
		case "evil-site.net/.well-known/gpc.json":
			w.Write([]byte(`{"gpc": "yes"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	origin.TLS = polarisLessTLS(upstream)
	origin.Config.ErrorLog = discardLog
	origin.StartTLS()
	defer origin.Close()

	answers := make(chan status.SiteAnswer, 10)
	var tkMu sync.Mutex
	tks := map[string]string{}
	tp := startProxy(t, Config{
		TLSConfigForHost: polaris.tlsConfigForHost,
		RootCAs:          upstream.pool,
		Route:            Route{Dial: toOrigin(origin.Listener.Addr().String())},
		OnSiteChecked:    func(a status.SiteAnswer) { answers <- a },
		OnTk: func(site, v string) {
			tkMu.Lock()
			tks[site] = v
			tkMu.Unlock()
		},
	}, signalsOn)
	tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true, CheckSites: true})
	c := mitmClient(tp, polaris.pool)
	for i := 0; i < 3; i++ {
		for _, u := range []string{"https://honest-site.net/", "https://evil-site.net/"} {
			req := mustRequest("GET", u)
			for k, v := range chromeNavigation {
				req.Header.Set(k, v)
			}
			req.Header.Set("Cookie", "session=secret")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	got := map[string]status.SiteAnswer{}
	for len(got) < 2 {
		select {
		case a := <-answers:
			got[a.Site] = a
		case <-time.After(10 * time.Second):
			t.Fatalf("site answers after 10 s: %v", got)
		}
	}
	h := got["honest-site.net"]
	if diff := cmp.Diff(status.SiteAnswer{Site: "honest-site.net", TrackingStatus: "N", HonorsDNT: true, EFFPolicy: true, HonorsGPC: true}, h,
		cmpopts.IgnoreFields(status.SiteAnswer{}, "Checked")); diff != "" {
		t.Errorf("honest-site.net (-want +got):\n%s", diff)
	}
	if e := got["evil-site.net"]; e.HonorsGPC || e.EFFPolicy || e.HonorsDNT {
		t.Errorf("evil-site.net = %+v, want no claims (bad gpc.json, policy redirected off-site)", e)
	}
	if time.Since(h.Checked) > time.Minute {
		t.Errorf("Checked = %v, want now", h.Checked)
	}
	time.Sleep(100 * time.Millisecond) // a second check would have started by now
	select {
	case a := <-answers:
		t.Errorf("a site was checked twice in one session: %+v", a)
	default:
	}
	mu.Lock()
	defer mu.Unlock()
	if len(wellKnown) != 7 { // three each, plus the policy's redirect target
		t.Errorf("%d well-known requests, want 7", len(wellKnown))
	}
	for _, r := range wellKnown {
		if r.Header.Get("Cookie") != "" || r.Header.Get("Referer") != "" {
			t.Errorf("check %s sent Cookie %q, Referer %q; want neither", r.URL, r.Header.Get("Cookie"), r.Header.Get("Referer"))
		}
		// It looks like the browser's own fetch of a same-origin resource.
		for k, want := range map[string]string{
			"User-Agent": chromeNavigation["User-Agent"], "Accept-Language": chromeNavigation["Accept-Language"],
			"Accept-Encoding": chromeNavigation["Accept-Encoding"], "Sec-Ch-Ua": chromeNavigation["Sec-Ch-Ua"],
			"Accept": "*/*", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("check %s sent %s %q, want %q as the browser's fetch", r.URL, k, got, want)
			}
		}
		if r.Header.Get("Sec-Gpc") != "1" {
			t.Errorf("check %s without the user's Sec-GPC", r.URL)
		}
	}
	tkMu.Lock()
	defer tkMu.Unlock()
	if diff := cmp.Diff(map[string]string{"honest-site.net": "N"}, tks); diff != "" {
		t.Errorf("Tk recorded (-want +got):\n%s", diff)
	}
}

// chromeNavigation are the headers of a Chromium navigation.
var chromeNavigation = map[string]string{
	"User-Agent":      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
	"Accept":          "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
	"Accept-Language": "de-DE,de;q=0.9,en;q=0.8",
	"Accept-Encoding": "gzip, deflate, br, zstd",
	"Sec-Ch-Ua":       `"Chromium";v="156", "Not-A.Brand";v="24"`,
	"Sec-Fetch-Dest":  "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none",
}

// In Tor mode no site is checked: Polaris's own requests to the sites a Tor
// user visits would stand out.
func TestSiteChecksNeverOverTor(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	var checks atomic.Int64
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			checks.Add(1)
		}
		w.Write([]byte("ok"))
	}))
	origin.TLS = polarisLessTLS(upstream)
	origin.Config.ErrorLog = discardLog
	origin.StartTLS()
	defer origin.Close()
	answers := make(chan status.SiteAnswer, 10)
	tp := startProxy(t, Config{
		TLSConfigForHost: polaris.tlsConfigForHost,
		RootCAs:          upstream.pool,
		Route:            Route{Dial: toOrigin(origin.Listener.Addr().String()), Tor: true, Name: "tor"},
		OnSiteChecked:    func(a status.SiteAnswer) { answers <- a },
	}, signalsOn)
	tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true, CheckSites: true})
	c := mitmClient(tp, polaris.pool)
	req := mustRequest("GET", "https://visited-site.net/")
	for k, v := range chromeNavigation {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tp.CheckSite("tracker-site.net")
	tp.SetRoute(Route{Dial: toOrigin(origin.Listener.Addr().String())}) // Tor off: checks resume
	req = mustRequest("GET", "https://other-site.net/")
	for k, v := range chromeNavigation {
		req.Header.Set(k, v)
	}
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case a := <-answers:
		if a.Site != "other-site.net" {
			t.Errorf("checked %s, which was visited over Tor", a.Site)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no check after Tor was turned off")
	}
	if n := checks.Load(); n != 3 {
		t.Errorf("%d well-known requests, want the 3 of the site visited without Tor", n)
	}
}

// polarisLessTLS is a TLS configuration for an origin with a certificate
// from ca for any name.
func polarisLessTLS(ca *testCA) *tls.Config {
	return &tls.Config{GetCertificate: ca.getCertificate, NextProtos: []string{"http/1.1"}}
}
