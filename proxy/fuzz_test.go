// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"polaris/internal/settings"
)

// FuzzRequestHeaders feeds arbitrary header values to the header handling
// (hop-by-hop removal, site detection, signals) and checks its promises.
func FuzzRequestHeaders(f *testing.F) {
	f.Add("keep-alive, X-A", "1", "https://www.example.com/p?q", "https://example.org", "document", "text/html")
	f.Add(",,,", "", "::::", "null", "", "")
	f.Add("Upgrade", "0", "http://[::1]:80/", "", "image", "*/*")
	f.Fuzz(func(t *testing.T, conn, dnt, referer, origin, dest, accept string) {
		r, err := http.NewRequest("GET", "http://tracker.example.net/x", nil)
		if err != nil {
			t.Skip()
		}
		r.Header["Connection"] = []string{conn}
		r.Header["X-A"] = []string{"a"}
		r.Header["Dnt"] = []string{dnt}
		r.Header["Referer"] = []string{referer}
		r.Header["Origin"] = []string{origin}
		r.Header["Sec-Fetch-Dest"] = []string{dest}
		r.Header["Accept"] = []string{accept}
		removeHopByHop(r.Header, isWebSocket(r.Header))
		if r.Header.Get("Connection") != "" && !isWebSocket(r.Header) {
			t.Fatalf("Connection left: %q", r.Header["Connection"])
		}
		pol := Policy{Protection: true, DNT: settings.DNTDoNotTrack, GPC: true,
			Exceptions: []settings.SiteException{{Site: "example.com", NoSignals: true}}}
		pol.prepare()
		info := newRequestInfo(r)
		pol.applySignals(r.Header, &info)
		if info.siteDomain() != "example.com" {
			if got := r.Header.Values("DNT"); len(got) != 1 || got[0] != "1" {
				t.Fatalf("DNT = %q, want exactly [1] (site %q)", got, info.siteDomain())
			}
		}
	})
}

// FuzzRawRequest sends arbitrary bytes to a running proxy: it must answer
// with a well-formed HTTP response or close the connection, and stay up.
// Nothing may leave the machine: inputs naming any server but the loopback
// origin are skipped, and the proxy's only route refuses every other
// address in case the guard ever misses one.
func FuzzRawRequest(f *testing.F) {
	origin, _ := newOrigin(f)
	addr := strings.TrimPrefix(origin.URL, "http://")
	onlyOrigin := func(ctx context.Context, network, a string) (net.Conn, error) {
		if a != addr {
			return nil, fmt.Errorf("fuzzing: %s is not the loopback origin", a)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}
	tp := startProxy(f, Config{ReadHeaderTimeout: 200 * time.Millisecond, Route: Route{Dial: onlyOrigin},
		Logf: func(string, ...any) {}}, Policy{Protection: true, DNT: settings.DNTDoNotTrack})
	f.Add([]byte("GET http://" + addr + "/ HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"))
	f.Add([]byte("CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: " + tp.Addr() + "\r\n\r\n"))
	f.Add([]byte("POST http://" + addr + "/ HTTP/1.1\r\nHost: " + addr + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("GET http://" + addr + "/ HTTP/1.0\r\nConnection: Upgrade, Keep-Alive\r\nUpgrade: websocket\r\n\r\n"))
	f.Add([]byte("GET http://" + addr + "/ HTTP/1.1\r\nHost: " + addr + "\r\n\r\nGET http://" + addr + "/2 HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !onlyLoopback(raw, addr, tp.Addr()) {
			t.Skip() // never contact anything but the loopback origin
		}
		c, err := net.Dial("tcp", tp.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		c.Write(raw)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the proxy neither answered nor closed within 3 s for %q", raw)
		}
		// Still alive? On a loaded machine the 200 ms header timeout can
		// close a check's connection before its request is read (EOF);
		// a dead proxy fails three checks in a row.
		var err2 error
		for try := 0; try < 3; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+tp.Addr()+"/", nil)
			r2, err := http.DefaultTransport.RoundTrip(req)
			cancel()
			if err2 = err; err == nil {
				r2.Body.Close()
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err2 != nil {
			t.Fatalf("proxy dead after %q: %v", raw, err2)
		}
	})
}

// onlyLoopback reports whether every request in raw, parsed as the proxy's
// server parses them one after another on a connection, names only the
// origin at addr or the proxy itself (at self, or its reserved host name):
// request target, CONNECT target and Host header alike. Parsing stops
// where the server's would: at a request or body it cannot read, after
// which the server closes the connection. Bytes after a CONNECT or an
// Upgrade are checked like requests too: the tunnel or upgrade may fail,
// and then the server reads them as the next request.
func onlyLoopback(raw []byte, addr, self string) bool {
	allowed := func(hostport string) bool {
		h := strings.ToLower(hostport)
		if h == "" || h == addr || h == self {
			return true
		}
		if hn, _, err := net.SplitHostPort(h); err == nil {
			h = hn
		}
		return h == settings.ReservedHost
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return true
		}
		if !allowed(r.Host) || !allowed(r.URL.Host) {
			return false
		}
		for _, h := range r.Header.Values("Host") {
			if !allowed(h) {
				return false
			}
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return true
		}
	}
}

// The guard of FuzzRawRequest: a request to any other server, also after a
// valid one on the same connection, is recognised.
func TestOnlyLoopback(t *testing.T) {
	const origin, self = "127.0.0.1:8001", "127.0.0.1:9002"
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{"GET http://127.0.0.1:8001/ HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: 127.0.0.1:9002\r\n\r\n", true},
		{"GET http://" + settings.ReservedHost + "/ HTTP/1.1\r\nHost: " + settings.ReservedHost + "\r\n\r\n", true},
		{"CONNECT 127.0.0.1:8001 HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n\r\n\x16\x03\x01", true},
		{"CONNECT 127.0.0.1:8001 HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n\r\nGET http://example.com/ HTTP/1.1\r\n\r\n", false},
		{"GET http://127.0.0.1:8001/ HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET http://other/ HTTP/1.1\r\n\r\n", false},
		{"garbage", true},
		{"GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", false},
		{"GET https://example.com/ HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n\r\n", false},
		{"GET http://127.0.0.1:8001/ HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n\r\nGET http://other/ HTTP/1.1\r\nHost: other\r\n\r\n", false},
		{"POST http://127.0.0.1:8001/ HTTP/1.1\r\nHost: 127.0.0.1:8001\r\nContent-Length: 3\r\n\r\nabcGET http://other/ HTTP/1.1\r\n\r\n", false},
		{"CONNECT example.com:443 HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", false},
		{"GET ftp://example.com/ HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n\r\n", false},
	} {
		if got := onlyLoopback([]byte(tc.raw), origin, self); got != tc.want {
			t.Errorf("onlyLoopback(%q) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

// FuzzProxyAuthorization feeds arbitrary Proxy-Authorization headers and
// passwords to the Basic authentication check: the right credentials in
// the standard form always pass, and nothing but them ever does.
func FuzzProxyAuthorization(f *testing.F) {
	f.Add("Basic dTpw", "u:p")
	f.Add("basic    dTpw  ", "u:p")
	f.Add("Basic dTpx", "u:p")
	f.Add("Bearer dTpw", "u:p")
	f.Add("Basic ", ":")
	f.Add("Basic =", "a")
	f.Add("Basic dTpw\x00", "u:p")
	f.Add("Basic dTpwdTpw", "u:pu:p")
	f.Fuzz(func(t *testing.T, header, auth string) {
		if auth == "" {
			t.Skip() // no authentication
		}
		g := newAuthGate(auth, nil)
		check := func(h string) bool {
			r := httptest.NewRequest("GET", "http://example.com/", nil)
			r.Header.Set("Proxy-Authorization", h)
			ok, _ := g.matches(r)
			return ok
		}
		if std := "Basic " + base64.StdEncoding.EncodeToString([]byte(auth)); !check(std) {
			t.Fatalf("authorized(%q) with password %q = false, want true", std, auth)
		}
		if !check(header) {
			return
		}
		// Accepted: then it is the scheme and the password, nothing else.
		fields := strings.Fields(header)
		if len(fields) != 2 || !strings.EqualFold(fields[0], "Basic") {
			t.Fatalf("authorized(%q) = true, want false: not \"Basic <credentials>\"", header)
		}
		got, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil || string(got) != auth {
			t.Fatalf("authorized(%q) = true with password %q; the header says %q (%v)", header, auth, got, err)
		}
	})
}
