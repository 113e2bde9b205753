// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// testDNS is a DNS server on 127.0.0.1 answering A questions from a table
// that a test may change while it runs (DNS rebinding); other names get
// NXDOMAIN.
type testDNS struct {
	mu    sync.Mutex
	addrs map[string]netip.Addr
}

func (d *testDNS) set(name string, a netip.Addr) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs[name] = a
}

// startTestDNS starts the server and returns it with a resolver that asks
// only it.
func startTestDNS(t testing.TB) (*testDNS, *net.Resolver) {
	t.Helper()
	d := &testDNS{addrs: map[string]netip.Addr{}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := d.reply(buf[:n]); out != nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	addr := pc.LocalAddr().String()
	return d, &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", addr)
	}}
}

func (d *testDNS) reply(in []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(in)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	d.mu.Lock()
	a, ok := d.addrs[strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")]
	d.mu.Unlock()
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !ok {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if ok && q.Type == dnsmessage.TypeA && a.Is4() {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}, dnsmessage.AResource{A: a.As4()})
	}
	out, _ := b.Finish()
	return out
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The attack of DNS rebinding: a page at attacker.test:PORT (PORT being
// Polaris's) is served by the attacker's server; its name is then pointed
// at 127.0.0.1, so that the page's own requests reach Polaris, with the
// attacker's name in Host, through Polaris itself (which resolves names) or
// from a browser going direct. Polaris must not answer them with its pages.
func TestDNSRebinding(t *testing.T) {
	dns, res := startTestDNS(t)
	tp := startProxy(t, Config{Resolver: res, CACertPEM: func() ([]byte, error) { return []byte("-----BEGIN CERTIFICATE-----\n"), nil }}, Policy{})
	_, port, _ := net.SplitHostPort(tp.Addr())
	// The attacker's server, on another loopback address but Polaris's port.
	ln, err := net.Listen("tcp", "127.0.0.2:"+port)
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2:%s: %v", port, err)
	}
	attacker := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // no connection to reuse: the next request resolves again
		io.WriteString(w, "<script>the attacker's page</script>")
	})}
	go attacker.Serve(ln)
	t.Cleanup(func() { attacker.Close() })

	page := "http://attacker.test:" + port
	dns.set("attacker.test", netip.MustParseAddr("127.0.0.2"))
	c := tp.client()
	resp, err := c.Get(page + "/")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.Contains(body, "attacker's page") {
		t.Fatalf("set-up: the attacker's page: %d %q", resp.StatusCode, body)
	}
	dns.set("attacker.test", netip.MustParseAddr("127.0.0.1"))
	direct := &http.Client{Transport: &http.Transport{Proxy: nil}}
	for _, path := range []string{"/", "/ca.pem", "/proxy.pac", "/blocked/allow-site"} {
		// Through Polaris, which resolves attacker.test to itself.
		resp, err := c.Get(page + path)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusMisdirectedRequest || strings.Contains(body, "Polaris") || strings.Contains(body, "CERTIFICATE") {
			t.Errorf("rebound %s through Polaris: %d %.80q, want 421 naming nothing", path, resp.StatusCode, body)
		}
		// A browser not using Polaris, connecting to it as attacker.test.
		req, _ := http.NewRequest("GET", "http://"+tp.Addr()+path, nil)
		req.Host = "attacker.test:" + port
		resp, err = direct.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusMisdirectedRequest || strings.Contains(body, "Polaris") {
			t.Errorf("rebound %s direct: %d %.80q, want 421", path, resp.StatusCode, body)
		}
		if resp.Header.Get("Cross-Origin-Resource-Policy") != "same-origin" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("rebound %s direct: headers %v", path, resp.Header)
		}
	}
	// Polaris's own names still get its pages.
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST:" + port, "polaris.invalid"} {
		req, _ := http.NewRequest("GET", "http://"+tp.Addr()+"/", nil)
		req.Host = host
		resp, err := direct.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "Polaris is running") {
			t.Errorf("status page as %s: %d, want 200", host, resp.StatusCode)
		}
	}
	for _, host := range []string{"127.0.0.1:1", "127.0.0.1", "localhost.attacker.test:" + port, "10.1.2.3:" + port} {
		req, _ := http.NewRequest("GET", "http://"+tp.Addr()+"/", nil)
		req.Host = host
		resp, err := direct.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if readAll(t, resp); resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("status page as %s: %d, want 421", host, resp.StatusCode)
		}
	}
}

// Polaris's pages answer the user (and programs), never another site's
// subresource, fetch or frame; every local answer says so in its headers.
func TestLocalPagesRefuseOtherSites(t *testing.T) {
	tp := startProxy(t, Config{}, Policy{})
	const ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/153.0"
	own := "http://" + tp.Addr() + "/"
	for _, tc := range []struct {
		name, url string
		h         map[string]string
		ok        bool
	}{
		// Secure origins (127.0.0.1, https://polaris.invalid): fetch metadata.
		{"typed", own, map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true},
		{"own link", own, map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true},
		{"another site's link", own, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true},
		{"another site's script", own, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}, false},
		{"another site's fetch", own, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Origin": "http://evil.test"}, false},
		{"another site's frame", own, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}, false},
		{"a same-site page's image", own, map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}, false},
		// Plain HTTP polaris.invalid: browsers send no fetch metadata.
		{"typed, plain", "http://polaris.invalid/", map[string]string{"User-Agent": ua, "Upgrade-Insecure-Requests": "1", "Accept": "text/html"}, true},
		{"a form of another site, plain", "http://polaris.invalid/", map[string]string{"User-Agent": ua, "Upgrade-Insecure-Requests": "1", "Origin": "http://evil.test"}, true},
		{"another site's image, plain", "http://polaris.invalid/", map[string]string{"User-Agent": ua, "Accept": "image/avif,image/webp,*/*"}, false},
		{"another site's fetch, plain", "http://polaris.invalid/", map[string]string{"User-Agent": ua, "Origin": "http://evil.test"}, false},
		{"a program", "http://polaris.invalid/", map[string]string{"User-Agent": "curl/8.5.0"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tc.url, nil)
			for k, v := range tc.h {
				req.Header.Set(k, v)
			}
			c := tp.client()
			if !strings.HasPrefix(tc.url, "http://polaris.invalid") {
				c = &http.Client{}
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if got := resp.StatusCode == 200 && strings.Contains(body, "Polaris is running"); got != tc.ok {
				t.Errorf("served = %v (%d), want %v", got, resp.StatusCode, tc.ok)
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "same-origin", "X-Frame-Options": "DENY"} {
				if resp.Header.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, resp.Header.Get(k), v)
				}
			}
		})
	}
}

// The attack: a plain-HTTP page frames http://polaris.invalid/ca.der (no
// fetch metadata there). A download has no load event, where a frame of a
// name that does not exist has one: the page learns Polaris is there, and
// the user gets a download they never asked for. The certificate is
// downloaded only when the user asked for it (typed, or a link of Polaris's
// own page, whose Referer no other page can set); anything else gets the
// status page with its download buttons.
func TestCADownloadOnlyWhenAsked(t *testing.T) {
	ca := newTestCA(t, "Polaris test CA")
	tp := startProxy(t, Config{CACertPEM: func() ([]byte, error) { return ca.pem, nil }}, Policy{})
	const ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/153.0"
	own := "http://" + tp.Addr() + "/ca.der"
	for _, tc := range []struct {
		name, url string
		h         map[string]string
		download  bool
	}{
		{"typed", own, map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true},
		{"own link", own, map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true},
		{"another site's link", own, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, false},
		{"own link, plain", "http://polaris.invalid/ca.der", map[string]string{"User-Agent": ua, "Upgrade-Insecure-Requests": "1", "Referer": "http://polaris.invalid/"}, true},
		{"another site's frame, plain", "http://polaris.invalid/ca.der", map[string]string{"User-Agent": ua, "Upgrade-Insecure-Requests": "1", "Referer": "http://evil.test/"}, false},
		{"another site's frame without a referrer, plain", "http://polaris.invalid/ca.pem", map[string]string{"User-Agent": ua, "Upgrade-Insecure-Requests": "1"}, false},
		{"a referrer naming Polaris in its path, plain", "http://polaris.invalid/ca.der", map[string]string{"User-Agent": ua, "Upgrade-Insecure-Requests": "1", "Referer": "http://evil.test/http://polaris.invalid/"}, false},
		{"a program", "http://polaris.invalid/ca.pem", map[string]string{"User-Agent": "curl/8.5.0"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tc.url, nil)
			for k, v := range tc.h {
				req.Header.Set(k, v)
			}
			c := tp.client()
			if !strings.HasPrefix(tc.url, "http://polaris.invalid") {
				c = &http.Client{}
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			got := resp.StatusCode == 200 && strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment")
			if got != tc.download {
				t.Errorf("downloaded = %v (%d, %s), want %v", got, resp.StatusCode, resp.Header.Get("Content-Type"), tc.download)
			}
			if !got && (resp.StatusCode == 200) != strings.Contains(body, "Polaris is running") {
				t.Errorf("instead of the download: %d %.100q, want the status page or a refusal", resp.StatusCode, body)
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("X-Frame-Options = %q, want DENY", resp.Header.Get("X-Frame-Options"))
			}
		})
	}
	// The status page sends its links' Referer to its own origin only.
	resp, err := tp.client().Get("http://polaris.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if got := resp.Header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("status page Referrer-Policy = %q, want same-origin", got)
	}
}
