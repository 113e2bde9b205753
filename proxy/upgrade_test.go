// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/settings"
)

// The redirect for a plain-HTTP search needs no network and is exact.
func TestSearchEngineRedirectExact(t *testing.T) {
	tp := startProxy(t, Config{Resolver: failResolver(t), Route: Route{Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
		t.Errorf("dialled %s: a search engine redirect needs no network", a)
		return nil, &Refusal{Code: 502, Title: "no network in this test"}
	}}}, Policy{Protection: true})
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{SearchEngines: true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"http://www.google.com/search?q=x", "https://www.google.com/search?q=x"},
		{"http://www.google.co.uk/search?q=privacy+tools&hl=en", "https://www.google.co.uk/search?q=privacy+tools&hl=en"},
		{"http://google.com.br/search?q=%C3%A7", "https://google.com.br/search?q=%C3%A7"},
		{"http://www.google.de:80/", "https://www.google.de/"},
		{"http://news.google.fr/", "https://news.google.fr/"},
		{"http://www.bing.com/search?q=x", "https://www.bing.com/search?q=x"},
		{"http://duckduckgo.com/?q=x", "https://duckduckgo.com/?q=x"},
		{"http://search.yahoo.com/search?p=x", "https://search.yahoo.com/search?p=x"},
		{"http://yandex.ru/search/?text=x", "https://yandex.ru/search/?text=x"},
		{"http://www.baidu.com/s?wd=x", "https://www.baidu.com/s?wd=x"},
		{"http://www.ecosia.org/search?q=x", "https://www.ecosia.org/search?q=x"},
		{"http://www.startpage.com/do/search?q=x", "https://www.startpage.com/do/search?q=x"},
		{"http://www.qwant.com/?q=x", "https://www.qwant.com/?q=x"},
		{"http://search.brave.com/search?q=x", "https://search.brave.com/search?q=x"},
	} {
		for _, method := range []string{"GET", "POST"} {
			resp, body := rawExchange(t, tp.Addr(), method+" "+tc.in+" HTTP/1.1\r\nHost: "+hostOf(tc.in)+"\r\nContent-Length: 0\r\n\r\n")
			if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != tc.want {
				t.Errorf("%s %s = %d Location %q, want 307 to %q (%s)", method, tc.in, resp.StatusCode, resp.Header.Get("Location"), tc.want, body)
			}
		}
	}
}

func hostOf(raw string) string {
	u, _ := url.Parse(raw)
	return u.Host
}

// Hosts that are not search engines, or ports that are not 80, or the
// setting off: no redirect.
func TestSearchEngineRedirectOnlyThere(t *testing.T) {
	origin, _ := newOrigin(t)
	addr := strings.TrimPrefix(origin.URL, "http://")
	for _, tc := range []struct {
		url string
		on  bool
	}{
		{"http://www.google.com/search?q=x", false},
		{"http://example.com/search?q=x", true},
		{"http://google.blogspot.com/", true}, // blogspot.com is a private suffix: not Google
		{"http://notgoogle.com/", true},
		{"http://www.google.com:8080/", true},
		{"http://yahoo.com/", true},
	} {
		tp := startProxy(t, Config{Route: Route{Dial: toOrigin(addr)}}, Policy{Protection: true})
		tp.SetHTTPSPolicy(HTTPSPolicy{SearchEngines: tc.on})
		resp, body := rawExchange(t, tp.Addr(), "GET "+tc.url+" HTTP/1.1\r\nHost: "+hostOf(tc.url)+"\r\n\r\n")
		if resp.StatusCode != 200 {
			t.Errorf("%s (search engines %v) = %d %s, want it forwarded", tc.url, tc.on, resp.StatusCode, body)
		}
	}
}

func TestNeverUpgrade(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"app.localhost", true}, {"printer", true}, {"nas.local", true},
		{"site.test", true}, {"www.example", true}, {"x.invalid", true}, {"abc.onion", true},
		{"router.home.arpa", true}, {"127.0.0.1", true}, {"192.168.1.1", true}, {"10.0.0.8", true},
		{"169.254.1.1", true}, {"fd7b:d40d:c3f5:4cfd::", true}, {"::1", true}, {"93.184.216.34", true},
		{"example.com", false}, {"www.test.com", false}, {"localhost.example.org", false},
	} {
		if got := neverUpgrade(tc.host); got != tc.want {
			t.Errorf("neverUpgrade(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

// HTTPS-first: a navigation is upgraded when the site completes a verified
// TLS handshake; otherwise the user gets a warning page and may continue
// over HTTP with a one-time link, which holds for the session.
func TestHTTPSFirst(t *testing.T) {
	upstream := newTestCA(t, "upstream test CA")
	stranger := newTestCA(t, "unknown CA")
	httpOrigin, _ := newOrigin(t)
	good := newTLSOrigin(t, upstream, nil)
	badLeaf := stranger.leaf(t, []string{"badcert.example.net"}, time.Time{}, time.Time{})
	bad := newTLSOrigin(t, nil, &badLeaf)
	var probes atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		var to string
		switch {
		case port == "80":
			to = strings.TrimPrefix(httpOrigin.URL, "http://")
		case host == "secure.example.net":
			probes.Add(1)
			to = good.Listener.Addr().String()
		case host == "badcert.example.net":
			to = bad.Listener.Addr().String()
		default:
			return nil, &net.OpError{Op: "dial", Net: network, Err: errRefused}
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	tp := startProxy(t, Config{Route: Route{Dial: dial}, RootCAs: upstream.pool}, Policy{Protection: true})
	tp.SetHTTPSPolicy(HTTPSPolicy{First: true})
	c := mitmClient(tp, nil)
	nav := func(u string) *http.Response {
		t.Helper()
		req := mustRequest("GET", u)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	for i := 0; i < 2; i++ {
		resp := nav("http://secure.example.net/a?b=c")
		resp.Body.Close()
		if resp.StatusCode != 307 || resp.Header.Get("Location") != "https://secure.example.net/a?b=c" {
			t.Errorf("navigation to a site with HTTPS = %d %q, want 307 to https", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if n := probes.Load(); n != 1 {
		t.Errorf("two navigations probed %d times, want 1 (cached)", n)
	}
	// A subresource is left alone.
	req := mustRequest("GET", "http://plain.example.net/img.png")
	req.Header.Set("Accept", "image/png")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("image over HTTP: %v %v, want forwarded", resp, err)
	}

	for _, host := range []string{"plain.example.net", "badcert.example.net"} {
		resp := nav("http://" + host + "/page")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "no secure connection") {
			t.Fatalf("%s without HTTPS = %d %s, want the warning page", host, resp.StatusCode, b)
		}
		i := strings.Index(string(b), "http://"+settings.ReservedHost+continuePath)
		if i < 0 {
			t.Fatalf("warning page has no continue link: %s", b)
		}
		link := string(b[i:])
		link = link[:strings.IndexByte(link, '"')]
		link = strings.ReplaceAll(link, "&amp;", "&")
		resp, err := c.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://"+host+"/page" {
			t.Errorf("continue link = %d %q, want 303 to the HTTP page", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp = nav("http://" + host + "/page")
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("after continuing, %s = %d, want the page over HTTP", host, resp.StatusCode)
		}
		resp, err = c.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("continue link used twice = %d, want 404", resp.StatusCode)
		}
	}
}

var errRefused = &refusedError{}

type refusedError struct{}

func (*refusedError) Error() string { return "connection refused" }
