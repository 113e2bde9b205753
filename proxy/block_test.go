// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"polaris/blocklist"
	"polaris/internal/status"
	"polaris/internal/testenv"
)

// blockOrigin is an origin that answers every host (the proxy's route maps
// all names onto it) and counts the requests that reached it.
type blockOrigin struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newBlockOrigin(t testing.TB) *blockOrigin {
	t.Helper()
	o := &blockOrigin{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		w.Header().Set("X-Origin", "1")
		fmt.Fprintf(w, "origin: %s %s", r.Host, r.URL.Path)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// toAddr is a route dialer that connects every name to addr.
func toAddr(addr string) DialFunc {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}

func compileRules(t testing.TB, opts blocklist.Options, rules ...string) *blocklist.Matcher {
	t.Helper()
	l, err := blocklist.ParseString(strings.Join(rules, "\n"), blocklist.ListMeta{Name: "test list", Category: "advertising"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.Compile([]*blocklist.List{l}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// events collects decision events.
type events struct {
	mu sync.Mutex
	d  []status.Decision
}

func (e *events) add(d status.Decision) {
	e.mu.Lock()
	e.d = append(e.d, d)
	e.mu.Unlock()
}

func (e *events) last() status.Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.d) == 0 {
		return status.Decision{}
	}
	return e.d[len(e.d)-1]
}

func startBlockProxy(t testing.TB, m *blocklist.Matcher, bc BlockConfig) (*testProxy, *blockOrigin) {
	t.Helper()
	o := newBlockOrigin(t)
	tp := startProxy(t, Config{Route: Route{Dial: toAddr(o.srv.Listener.Addr().String())}, Block: bc}, Policy{Protection: true})
	tp.SetMatcher(m)
	return tp, o
}

func browserGet(t testing.TB, u string, h map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return req
}

func do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

var (
	navigation = map[string]string{"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
	plainNav   = map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
)

func subresource(dest, site string) map[string]string {
	return map[string]string{"Sec-Fetch-Dest": dest, "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site", "Referer": site}
}

func TestBlockedAnswers(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||tracker.test^", "||cdn.test/ga.js$redirect=noop.js")
	var ev events
	tp, o := startBlockProxy(t, m, BlockConfig{Decisions: ev.add})
	c := noRedirects(tp.client()) // a blocked frame is sent to Polaris's frame page
	const site = "http://news.test/article"
	tests := []struct {
		name    string
		url     string
		h       map[string]string
		code    int
		ctype   string
		body    []byte
		verdict status.Verdict
	}{
		{"image", "http://tracker.test/p.gif", subresource("image", site), 200, "image/gif", transparentGIF, status.Blocked},
		{"script", "http://tracker.test/t.js", subresource("script", site), 200, "application/javascript", nil, status.Blocked},
		{"stylesheet", "http://tracker.test/t.css", subresource("style", site), 200, "text/css", nil, status.Blocked},
		{"xhr", "http://tracker.test/collect", subresource("empty", site), 204, "", nil, status.Blocked},
		{"frame", "http://tracker.test/frame", subresource("iframe", site), 302, "", nil, status.Blocked},
		{"ping without headers", "http://tracker.test/beacon", map[string]string{"Referer": site}, 204, "", nil, status.Blocked},
		{"image by Accept", "http://tracker.test/q", map[string]string{"Accept": "image/avif,image/webp,*/*", "Referer": site}, 200, "image/gif", transparentGIF, status.Blocked},
		{"surrogate", "http://cdn.test/ga.js", subresource("script", site), 200, "application/javascript", nil, status.Redirected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := o.hits.Load()
			resp, body := do(t, c, browserGet(t, tt.url, tt.h))
			if resp.StatusCode != tt.code || resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("GET %s = %d %q, want %d %q", tt.url, resp.StatusCode, resp.Header.Get("Content-Type"), tt.code, tt.ctype)
			}
			if tt.name != "surrogate" && !bytes.Equal(body, tt.body) {
				t.Errorf("GET %s body = %q, want %q", tt.url, body, tt.body)
			}
			if tt.name == "surrogate" && !bytes.Contains(body, []byte("use strict")) {
				t.Errorf("surrogate body = %q, want the noop.js resource", body)
			}
			if o.hits.Load() != before {
				t.Errorf("GET %s reached the origin", tt.url)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("GET %s: Cache-Control %q, want no-store", tt.url, resp.Header.Get("Cache-Control"))
			}
			if d := ev.last(); d.Verdict != tt.verdict || d.URL != tt.url || d.Site != "news.test" || d.List != "test list" || d.Category != "advertising" {
				t.Errorf("decision = %+v, want %s of %s from news.test", d, tt.verdict, tt.url)
			}
		})
	}
	// Other sites pass, and are logged as allowed.
	resp, _ := do(t, c, browserGet(t, "http://news.test/", navigation))
	if resp.StatusCode != 200 || resp.Header.Get("X-Origin") != "1" {
		t.Errorf("GET news.test = %d, want 200 from the origin", resp.StatusCode)
	}
	if d := ev.last(); d.Verdict != status.Allowed || d.Type != "document" || d.Site != "news.test" {
		t.Errorf("decision for an allowed page = %+v", d)
	}
}

// pageForms returns the POST forms of an HTML page: action -> fields.
func pageForms(body string) map[string]url.Values {
	forms := map[string]url.Values{}
	formRe := regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`)
	inputRe := regexp.MustCompile(`name="([a-z]+)" value="([^"]*)"`)
	for _, f := range formRe.FindAllStringSubmatch(body, -1) {
		v := url.Values{}
		for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
			v.Set(in[1], htmlUnescape(in[2]))
		}
		forms[f[1]] = v
	}
	return forms
}

// confirmLinks returns the block page's links to the confirmation page by
// action ("once", "site").
func confirmLinks(t *testing.T, body string) map[string]string {
	t.Helper()
	links := map[string]string{}
	for _, m := range regexp.MustCompile(`href="(https?://polaris\.invalid/blocked/confirm\?[^"]+)"`).FindAllStringSubmatch(body, -1) {
		u, err := url.Parse(htmlUnescape(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		links[u.Query().Get("action")] = u.String()
	}
	return links
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

func post(t *testing.T, c *http.Client, action string, form url.Values, h map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", action, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, _ := do(t, c, req)
	return resp
}

func noRedirects(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// confirmForm opens a confirmation page as a browser would and returns its
// form (action path and fields).
func confirmForm(t *testing.T, c *http.Client, link string) (string, url.Values) {
	t.Helper()
	resp, body := do(t, c, browserGet(t, link, map[string]string{"Accept": "text/html", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"}))
	if resp.StatusCode != 200 {
		t.Fatalf("confirmation page %s: %d %s", link, resp.StatusCode, body)
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("confirmation page %s: %s %q, want %q", link, k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "form-action 'self' http://www.tracker.test") {
		t.Errorf("confirmation page CSP %q", csp)
	}
	forms := pageForms(string(body))
	if len(forms) != 1 {
		t.Fatalf("confirmation page forms %v, want one", forms)
	}
	for action, f := range forms {
		return action, f
	}
	return "", nil
}

func TestBlockPageAndItsButtons(t *testing.T) {
	opts := blocklist.Options{}
	m := compileRules(t, opts, "||tracker.test^")
	var tp *testProxy
	var allowed []string
	tp, o := startBlockProxy(t, m, BlockConfig{AllowSite: func(ctx context.Context, site string) error {
		allowed = append(allowed, site)
		n, err := tp.Matcher().WithAllowlist(allowed)
		if err != nil {
			return err
		}
		tp.SetMatcher(n)
		return nil
	}})
	c := noRedirects(tp.client())
	const page = "http://www.tracker.test/welcome?x=1"
	var links map[string]string
	for _, h := range []map[string]string{navigation, plainNav} {
		resp, body := do(t, c, browserGet(t, page, h))
		if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("blocked navigation: %d %q, want 403 and the block page", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, want := range []string{"||tracker.test^", "test list", "advertising", "www.tracker.test", "Allow once", "Always allow tracker.test"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("block page lacks %q", want)
			}
		}
		// The blocked site can read this page: it holds no secret.
		if strings.Contains(string(body), "token") || len(pageForms(string(body))) != 0 {
			t.Errorf("the block page has forms or tokens: %s", body)
		}
		if links = confirmLinks(t, string(body)); len(links) != 3 || links["frame"] == "" {
			t.Fatalf("block page links %v, want the confirmation of allow-once and allow-site, and the frame page", links)
		}
	}
	if o.hits.Load() != 0 {
		t.Fatal("a blocked navigation reached the origin")
	}
	if q := mustURL(t, links["once"]).Query(); q.Get("target") != "www.tracker.test" || q.Get("return") != page {
		t.Fatalf("allow-once link %s", links["once"])
	}
	if q := mustURL(t, links["site"]).Query(); q.Get("target") != "tracker.test" {
		t.Fatalf("allow-site link %s", links["site"])
	}
	// The confirmation page opens only as a page of its own.
	for _, h := range []map[string]string{subresource("iframe", "cross-site"), subresource("empty", "cross-site"), {"Sec-Fetch-Mode": "cors"}} {
		if resp, _ := do(t, c, browserGet(t, links["once"], h)); resp.StatusCode != 403 {
			t.Errorf("confirmation page asked with %v: %d, want 403", h, resp.StatusCode)
		}
	}
	for _, bad := range []string{
		"http://polaris.invalid/blocked/confirm?action=once&target=tracker.test&return=http://evil.test/",
		"http://polaris.invalid/blocked/confirm?action=site&target=www.tracker.test",
		"http://polaris.invalid/blocked/confirm?action=delete&target=tracker.test",
		"http://polaris.invalid/blocked/confirm?action=once&target=a%20b",
		"http://polaris.invalid/blocked/confirm?action=once&target=tracker.test&return=javascript:alert(1)",
	} {
		if resp, _ := do(t, c, browserGet(t, bad, navigation)); resp.StatusCode != 400 {
			t.Errorf("confirmation page %s: %d, want 400", bad, resp.StatusCode)
		}
	}
	onceAction, once := confirmForm(t, c, links["once"])
	siteAction, site := confirmForm(t, c, links["site"])
	if onceAction != "/blocked/allow-once" || siteAction != "/blocked/allow-site" || once.Get("target") != "www.tracker.test" || site.Get("target") != "tracker.test" || once.Get("return") != page {
		t.Fatalf("confirmation forms %s %v, %s %v", onceAction, once, siteAction, site)
	}
	fromPage := map[string]string{"Origin": "http://polaris.invalid", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	with := func(v url.Values, k, val string) url.Values {
		w := url.Values{}
		for k, vs := range v {
			w[k] = append([]string(nil), vs...)
		}
		w.Set(k, val)
		return w
	}

	// Requests that other pages could make are refused, and change nothing.
	stale := tp.confirmToken("once", "www.tracker.test", page, time.Now().Add(-confirmTTL-time.Second))
	refusals := []struct {
		name   string
		action string
		form   url.Values
		h      map[string]string
		code   int
	}{
		{"cross-site POST without token", "allow-once", url.Values{"target": {"www.tracker.test"}}, map[string]string{"Origin": "http://evil.test"}, 403},
		{"right token, from the blocked site", "allow-once", once, map[string]string{"Origin": "http://www.tracker.test"}, 403},
		{"right token, from the blocked site's navigation", "allow-once", once, map[string]string{"Origin": "http://www.tracker.test", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 403},
		{"right token, no origin", "allow-once", once, nil, 403},
		{"right token, opaque origin", "allow-once", once, map[string]string{"Origin": "null"}, 403},
		{"right token, a fetch", "allow-once", once, map[string]string{"Origin": "http://polaris.invalid", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"}, 403},
		{"right token, in a frame", "allow-once", once, map[string]string{"Origin": "http://polaris.invalid", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}, 403},
		{"token for once used for site", "allow-site", with(once, "target", "tracker.test"), fromPage, 403},
		{"token of another target", "allow-once", with(once, "target", "tracker.test"), fromPage, 403},
		{"token of another return", "allow-once", with(once, "return", "http://www.tracker.test/other"), fromPage, 403},
		{"expired token", "allow-once", with(once, "token", stale), fromPage, 403},
		{"site without token", "allow-site", url.Values{"target": {"tracker.test"}}, fromPage, 403},
	}
	for _, r := range refusals {
		if resp := post(t, c, "http://polaris.invalid/blocked/"+r.action, r.form, r.h); resp.StatusCode != r.code {
			t.Errorf("%s: status %d, want %d", r.name, resp.StatusCode, r.code)
		}
	}
	if resp, err := c.Get("http://polaris.invalid/blocked/allow-once?" + once.Encode()); err != nil || resp.StatusCode != 405 {
		t.Errorf("GET of an action: %v %v, want 405", resp, err)
	}
	if resp, _ := do(t, c, browserGet(t, page, navigation)); resp.StatusCode != 403 || len(allowed) != 0 {
		t.Fatalf("refused actions changed something: page %d, allowed %v", resp.StatusCode, allowed)
	}

	// Allow once: back to the page, which now loads.
	resp := post(t, c, "http://polaris.invalid/blocked/allow-once", once, fromPage)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != page {
		t.Fatalf("allow once: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	if resp, _ := do(t, c, browserGet(t, page, navigation)); resp.StatusCode != 200 || resp.Header.Get("X-Origin") != "1" {
		t.Errorf("page after allow once: %d, want 200 from the origin", resp.StatusCode)
	}
	// The token works once.
	if resp := post(t, c, "http://polaris.invalid/blocked/allow-once", once, fromPage); resp.StatusCode != 403 {
		t.Errorf("a token used again: %d, want 403", resp.StatusCode)
	}
	// ... for that host only.
	if resp, _ := do(t, c, browserGet(t, "http://other.tracker.test/", navigation)); resp.StatusCode != 403 {
		t.Errorf("another host after allow once: %d, want 403", resp.StatusCode)
	}
	// Always allow (a browser without Sec-Fetch-* over plain HTTP, Origin
	// only): the site's protections are off.
	resp = post(t, c, "http://polaris.invalid/blocked/allow-site", site, map[string]string{"Origin": "http://polaris.invalid"})
	if resp.StatusCode != 303 || len(allowed) != 1 || allowed[0] != "tracker.test" {
		t.Fatalf("always allow: %d, allowed %v", resp.StatusCode, allowed)
	}
	if resp, _ := do(t, c, browserGet(t, "http://other.tracker.test/", navigation)); resp.StatusCode != 200 {
		t.Errorf("a page of an allowed site: %d, want 200", resp.StatusCode)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAllowOnceExpires(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||tracker.test^")
	tp, _ := startBlockProxy(t, m, BlockConfig{})
	c := tp.client()
	testenv.GrowingWindow(t, 300*time.Millisecond, func(until time.Time) bool {
		tp.AllowOnce("tracker.test", until)
		resp, _ := do(t, c, browserGet(t, "http://tracker.test/", navigation))
		if time.Now().After(until) {
			return false
		}
		if resp.StatusCode != 200 {
			t.Errorf("while allowed once: %d, want 200", resp.StatusCode)
		}
		time.Sleep(time.Until(until) + 50*time.Millisecond)
		if resp, _ := do(t, c, browserGet(t, "http://tracker.test/", navigation)); resp.StatusCode != 403 {
			t.Errorf("after allow once expired: %d, want 403", resp.StatusCode)
		}
		return true
	})
}

func TestAllowlistedSitePasses(t *testing.T) {
	m := compileRules(t, blocklist.Options{Allowlist: []string{"news.test", "*.shop.test"}}, "||tracker.test^")
	var ev events
	tp, o := startBlockProxy(t, m, BlockConfig{Decisions: ev.add})
	c := tp.client()
	tests := []struct {
		site string
		want int
	}{
		{"http://news.test/", 200},
		{"http://www.news.test/a", 200},
		{"http://www.shop.test/", 200},
		{"http://shop.test/", 204}, // "*." allows subdomains only
		{"http://blog.test/", 204},
	}
	for _, tt := range tests {
		before := o.hits.Load()
		resp, _ := do(t, c, browserGet(t, "http://tracker.test/c", subresource("empty", tt.site)))
		if resp.StatusCode != tt.want {
			t.Errorf("tracker from %s: %d, want %d", tt.site, resp.StatusCode, tt.want)
		}
		if reached := o.hits.Load() != before; reached != (tt.want == 200) {
			t.Errorf("tracker from %s reached the origin: %v", tt.site, reached)
		}
		if tt.want == 200 {
			if d := ev.last(); d.Verdict != status.Excepted || d.Reason != "site allowlisted" {
				t.Errorf("decision = %+v, want an exception: site allowlisted", d)
			}
		}
	}
}

func TestProtectionOffAndPause(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||tracker.test^")
	var ev events
	tp, _ := startBlockProxy(t, m, BlockConfig{Decisions: ev.add})
	c := tp.client()
	get := func() int {
		resp, _ := do(t, c, browserGet(t, "http://tracker.test/x", subresource("empty", "http://news.test/")))
		return resp.StatusCode
	}
	if got := get(); got != 204 {
		t.Fatalf("blocked request: %d, want 204", got)
	}
	tp.SetPolicy(Policy{Protection: false})
	if got := get(); got != 200 {
		t.Errorf("protection off: %d, want 200", got)
	}
	tp.SetPolicy(Policy{Protection: true})
	testenv.GrowingWindow(t, 400*time.Millisecond, func(until time.Time) bool {
		tp.Pause(until)
		got := get()
		if time.Now().After(until) {
			return false
		}
		if got != 200 {
			t.Errorf("paused: %d, want 200", got)
		}
		if d := ev.last(); d.Reason != "protection paused" {
			t.Errorf("decision while paused = %+v", d)
		}
		time.Sleep(time.Until(until) + 50*time.Millisecond)
		return true
	})
	if got := get(); got != 204 {
		t.Errorf("after the pause ended: %d, want 204", got)
	}
	tp.Pause(PauseUntilRestart)
	if got := get(); got != 200 {
		t.Errorf("paused until restart: %d, want 200", got)
	}
	tp.Pause(time.Time{})
	if got := get(); got != 204 {
		t.Errorf("resumed: %d, want 204", got)
	}
}

func TestConnectDecidedOnHost(t *testing.T) {
	m := compileRules(t, blocklist.Options{}, "||tracker.test^", "||cdn.test/ads/")
	var ev events
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "tls origin") }))
	defer origin.Close()
	tp := startProxy(t, Config{Route: Route{Dial: toAddr(origin.Listener.Addr().String())}, Block: BlockConfig{Decisions: ev.add}}, Policy{Protection: true})
	tp.SetMatcher(m)
	connect := func(host string) (*http.Response, string) {
		conn, err := net.Dial("tcp", tp.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", host, host)
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufioReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 200 { // a tunnel: no body to read
			return resp, ""
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp, string(body)
	}
	resp, body := connect("www.tracker.test:443")
	if resp.StatusCode != 403 || !strings.Contains(body, "||tracker.test^") || !strings.Contains(body, "test list") {
		t.Errorf("CONNECT to a tracker: %d %q, want 403 naming the rule and list", resp.StatusCode, body)
	}
	if d := ev.last(); d.Verdict != status.Blocked || d.URL != "https://www.tracker.test/" || d.Type != "" {
		t.Errorf("decision = %+v", d)
	}
	// A path rule says nothing about a bare host: the tunnel opens.
	if resp, _ := connect("cdn.test:443"); resp.StatusCode != 200 {
		t.Errorf("CONNECT to cdn.test: %d, want 200", resp.StatusCode)
	}
	// Through the proxy's client: the tunnel works end to end.
	pool := x509Pool(origin)
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.url), TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"}}, Timeout: 5 * time.Second}
	if resp, err := c.Get("https://news.test/"); err != nil || resp.StatusCode != 200 {
		t.Errorf("HTTPS through an allowed tunnel: %v %v", resp, err)
	}
}

func TestHoldUntilReady(t *testing.T) {
	o := newBlockOrigin(t)
	tp := startProxy(t, Config{Route: Route{Dial: toAddr(o.srv.Listener.Addr().String())}, Block: BlockConfig{HoldTimeout: 300 * time.Millisecond}}, Policy{Protection: true})
	tp.Hold("downloading EasyList")
	c := tp.client()
	// Nothing ready within the hold timeout: a clear answer, not the origin.
	resp, body := do(t, c, browserGet(t, "http://tracker.test/", plainNav))
	if resp.StatusCode != 503 || !strings.Contains(string(body), "still loading") || !strings.Contains(string(body), "downloading EasyList") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("held request after the timeout: %d %q", resp.StatusCode, body)
	}
	if o.hits.Load() != 0 {
		t.Error("a held request reached the origin")
	}
	// Requests to Polaris itself are never held.
	if resp, _ := do(t, c, browserGet(t, "http://polaris.invalid/", nil)); resp.StatusCode != 200 {
		t.Errorf("status page while holding: %d", resp.StatusCode)
	}
	// A request waiting when the lists arrive is decided by them (on a
	// proxy whose hold outlasts any delay of a loaded machine).
	tp = startProxy(t, Config{Route: Route{Dial: toAddr(o.srv.Listener.Addr().String())}, Block: BlockConfig{HoldTimeout: time.Minute}}, Policy{Protection: true})
	tp.Hold("downloading EasyList")
	c = tp.client()
	done := make(chan int, 2)
	go func() {
		resp, _ := do(t, c, browserGet(t, "http://tracker.test/x", subresource("empty", "http://news.test/")))
		done <- resp.StatusCode
	}()
	go func() {
		resp, _ := do(t, c, browserGet(t, "http://news.test/x", subresource("empty", "http://news.test/")))
		done <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	tp.SetMatcher(compileRules(t, blocklist.Options{}, "||tracker.test^"))
	tp.Release()
	got := []int{<-done, <-done}
	if !(got[0] == 204 && got[1] == 200 || got[0] == 200 && got[1] == 204) {
		t.Errorf("held requests after release: %v, want one 204 (tracker) and one 200", got)
	}
	if tp.Holding() {
		t.Error("still holding after Release")
	}
}

// TestSwapUnderLoad swaps matchers as fast as they compile while clients
// hammer the proxy: no request may fail, a host every matcher blocks is
// always blocked and one none blocks always passes.
func TestSwapUnderLoad(t *testing.T) {
	build := func(n int) *blocklist.Matcher {
		rules := []string{"||always.test^"}
		for i := 0; i < n; i++ {
			rules = append(rules, fmt.Sprintf("||t%d.test^", i))
		}
		return compileRules(t, blocklist.Options{}, rules...)
	}
	tp, _ := startBlockProxy(t, build(1), BlockConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var requests, failures atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := tp.client()
			for i := 0; ctx.Err() == nil; i++ {
				host, want := "ok.test", 200
				if i%2 == 0 {
					host, want = "always.test", 204
				}
				resp, err := c.Do(browserGet(t, "http://"+host+"/x", subresource("empty", "http://site.test/")))
				requests.Add(1)
				if err != nil {
					failures.Add(1)
					t.Errorf("request during swaps: %v", err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					failures.Add(1)
					t.Errorf("%s during swaps: %d, want %d", host, resp.StatusCode, want)
				}
			}
		}(w)
	}
	swaps := 0
	for n := 1; ctx.Err() == nil; n = (n*7 + 3) % 3000 { // lists grow and shrink
		tp.SetMatcher(build(n))
		swaps++
	}
	wg.Wait()
	t.Logf("%d requests, %d failures, %d matcher swaps", requests.Load(), failures.Load(), swaps)
	if swaps < 5 {
		t.Errorf("only %d swaps", swaps)
	}
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

func x509Pool(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}
