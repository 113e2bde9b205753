// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/publicsuffix"

	"polaris/blocklist"
	"polaris/internal/testenv"
)

// The DuckDuckGo privacy-reference-tests for tracker blocking, end to end:
// every decidable case is a request a browser would send through the real
// proxy (absolute-form "GET https://..." with the Sec-Fetch-*, Referer and
// Origin headers of its type and site), forwarded to a local TLS origin
// that answers every host name with a certificate of a test CA. A case
// passes when the proxy blocks it locally (block), answers it with the
// surrogate (redirect), or forwards it to the origin (ignore, null, allow).

// ddgRig is the proxy with a matcher, in front of a TLS origin answering
// every host.
type ddgRig struct {
	tp   *testProxy
	hits atomic.Int64
}

func newDDGRig(t *testing.T, m *blocklist.Matcher) *ddgRig {
	t.Helper()
	ca := newTestCA(t, "Polaris test origin CA")
	rig := &ddgRig{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rig.hits.Add(1)
		w.Header().Set("X-Origin", "1")
		io.WriteString(w, "origin")
	})
	origin := httptest.NewUnstartedServer(handler)
	origin.TLS = &tls.Config{GetCertificate: ca.getCertificate}
	origin.StartTLS()
	t.Cleanup(origin.Close)
	plain := httptest.NewServer(handler) // for the few http:// cases
	t.Cleanup(plain.Close)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := origin.Listener.Addr().String()
		if _, port, _ := net.SplitHostPort(addr); port == "80" {
			to = plain.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	rig.tp = startProxy(t, Config{
		Route:   Route{Dial: dial},
		RootCAs: ca.pool,
		Logf:    func(string, ...any) {},
	}, Policy{Protection: true})
	rig.tp.SetMatcher(m)
	return rig
}

// browserHeaders are the headers a browser sends for a subresource of
// typ loaded by the page at site (for main_frame, a navigation).
func browserHeaders(typ, site, target string) http.Header {
	h := http.Header{"User-Agent": {"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"}}
	dest, mode, accept := "", "no-cors", "*/*"
	switch typ {
	case "script":
		dest = "script"
	case "image":
		dest, accept = "image", "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
	case "stylesheet":
		dest, accept = "style", "text/css,*/*;q=0.1"
	case "font":
		dest, mode = "font", "cors"
	case "xmlhttprequest":
		dest, mode = "empty", "cors"
	case "sub_frame":
		dest, mode, accept = "iframe", "navigate", "text/html,application/xhtml+xml,*/*;q=0.8"
	case "main_frame":
		dest, mode, accept = "document", "navigate", "text/html,application/xhtml+xml,*/*;q=0.8"
	}
	h.Set("Accept", accept)
	if dest != "" {
		h.Set("Sec-Fetch-Dest", dest)
		h.Set("Sec-Fetch-Mode", mode)
	}
	su, _ := url.Parse(site)
	tu, _ := url.Parse(target)
	if su == nil || tu == nil || site == "" {
		return h
	}
	origin := su.Scheme + "://" + su.Host
	switch {
	case typ == "main_frame" && site == target:
		h.Set("Sec-Fetch-Site", "none") // typed into the address bar
		return h
	case origin == tu.Scheme+"://"+tu.Host:
		h.Set("Sec-Fetch-Site", "same-origin")
		h.Set("Referer", site)
	default:
		a, _ := publicsuffix.EffectiveTLDPlusOne(su.Hostname())
		b, _ := publicsuffix.EffectiveTLDPlusOne(tu.Hostname())
		if a != "" && a == b {
			h.Set("Sec-Fetch-Site", "same-site")
		} else {
			h.Set("Sec-Fetch-Site", "cross-site")
		}
		h.Set("Referer", origin+"/") // strict-origin-when-cross-origin
	}
	if mode == "cors" {
		h.Set("Origin", origin)
	}
	if dest == "" {
		h.Del("Sec-Fetch-Site")
	}
	return h
}

// get sends an absolute-form request for target through the proxy and
// returns the answer.
func (rig *ddgRig) get(t *testing.T, target string, h http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	conn, err := net.Dial("tcp", rig.tp.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := req.WriteProxy(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("GET %s through the proxy: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// outcome classifies the proxy's answer: "block" (answered by the proxy),
// "redirect:BODY" (a surrogate script) or "forward" (the origin answered).
func (rig *ddgRig) outcome(t *testing.T, target string, h http.Header) string {
	t.Helper()
	before := rig.hits.Load()
	resp, body := rig.get(t, target, h)
	if rig.hits.Load() != before {
		if resp.Header.Get("X-Origin") != "1" {
			t.Errorf("GET %s: the origin was reached but the answer is the proxy's (%d)", target, resp.StatusCode)
		}
		return "forward"
	}
	switch {
	case resp.StatusCode == 200 && resp.Header.Get("Content-Type") == "application/javascript" && len(body) > 0:
		return "redirect:" + string(body)
	case resp.StatusCode >= 500:
		return fmt.Sprintf("error %d: %s", resp.StatusCode, body)
	}
	return "block"
}

func sharedList(t *testing.T, rel string) *blocklist.List {
	t.Helper()
	data, err := os.ReadFile(testenv.Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	l, err := blocklist.Parse(bytes.NewReader(data), blocklist.ListMeta{Name: rel})
	if err != nil {
		t.Fatalf("parsing %s: %v", rel, err)
	}
	return l
}

func TestDDGTrackerRadarThroughProxy(t *testing.T) {
	const file = "tracker-radar-tests/TR-domain-matching/domain_matching_tests.json"
	dir := "ddg-reference-tests/tracker-radar-tests/TR-domain-matching/"
	m, err := blocklist.Compile([]*blocklist.List{
		sharedList(t, dir+"tracker_radar_reference.json"),
		sharedList(t, dir+"surrogates.txt"),
	}, blocklist.Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	rig := newDDGRig(t, m)
	cases := testenv.DDGTrackerCases(t, file)
	total, passed := len(cases), 0
	for _, c := range cases {
		want := "forward" // "ignore" and null: the request goes out
		switch {
		case c.ExpectAction == nil:
		case *c.ExpectAction == "block":
			want = "block"
		case *c.ExpectAction == "redirect":
			_, b64, _ := strings.Cut(c.ExpectRedirect, ";base64,")
			body, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			want = "redirect:" + string(body)
		}
		got := rig.outcome(t, c.RequestURL, browserHeaders(c.RequestType, c.SiteURL, c.RequestURL))
		if strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Errorf("%s %q: %s from %s (%s) through the proxy: %.80q, want %.80q", c.Key, c.Name, c.RequestURL, c.SiteURL, c.RequestType, got, want)
			continue
		}
		passed++
	}
	t.Logf("tracker-radar domain matching through the proxy: %d/%d decidable cases pass", passed, total)
}

func TestDDGTrackerAllowlistThroughProxy(t *testing.T) {
	const file = "tracker-radar-tests/TR-domain-matching/tracker_allowlist_matching_tests.json"
	dir := "ddg-reference-tests/tracker-radar-tests/TR-domain-matching/"
	ok := testenv.DDGDecidable(t, file)
	allow, err := os.ReadFile(testenv.Shared(t, dir+"tracker_allowlist_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	config, err := blocklist.ParseString(`{"features":{"trackerAllowlist":{"state":"enabled","settings":{"allowlistedTrackers":`+string(allow)+`}}}}`,
		blocklist.ListMeta{Name: "tracker allowlist"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{sharedList(t, dir+"tracker_allowlist_tds_reference.json"), config}, blocklist.Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	rig := newDDGRig(t, m)
	var cases []struct {
		Description, Site, Request string
		IsAllowlisted              bool
	}
	testenv.ReadJSON(t, "ddg-reference-tests/"+file, &cases)
	total, passed := 0, 0
	for i, c := range cases {
		if !ok[fmt.Sprintf("(top-level list)/%d", i)] {
			continue
		}
		total++
		want := "block"
		if c.IsAllowlisted {
			want = "forward"
		}
		// The type is unknown: a request without Sec-Fetch-Dest.
		if got := rig.outcome(t, c.Request, browserHeaders("", c.Site, c.Request)); got != want {
			t.Errorf("%d %q: %s from %s through the proxy: %s, want %s", i, c.Description, c.Request, c.Site, got, want)
			continue
		}
		passed++
	}
	t.Logf("tracker allowlist through the proxy: %d/%d decidable cases pass", passed, total)
}

func TestDDGRequestBlocklistThroughProxy(t *testing.T) {
	const file = "request-blocklist/tests.json"
	dir := "ddg-reference-tests/request-blocklist/"
	var userAllow []string
	testenv.ReadJSON(t, dir+"user-allowlist-reference.json", &userAllow)
	m, err := blocklist.Compile([]*blocklist.List{
		sharedList(t, dir+"tds-reference.json"),
		sharedList(t, dir+"config-reference.json"),
		sharedList(t, dir+"surrogates-reference.txt"),
	}, blocklist.Options{OwnerParties: true, Allowlist: userAllow})
	if err != nil {
		t.Fatal(err)
	}
	rig := newDDGRig(t, m)
	cases := testenv.DDGRequestCases(t, file)
	total, passed := len(cases), 0
	for _, c := range cases {
		want := "forward"
		if c.ExpectAction == "block" {
			want = "block"
		}
		got := rig.outcome(t, c.RequestURL, browserHeaders(c.RequestType, c.WebsiteURL, c.RequestURL))
		if strings.HasPrefix(got, "redirect:") {
			got = "block" // a surrogate is a block too
		}
		if got != want {
			t.Errorf("%s %q: %s from %s (%s) through the proxy: %s, want %s", c.Key, c.Name, c.RequestURL, c.WebsiteURL, c.RequestType, got, want)
			continue
		}
		passed++
	}
	t.Logf("request blocklist through the proxy: %d/%d decidable cases pass", passed, total)
}
