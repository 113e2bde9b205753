package proxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
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
func FuzzRawRequest(f *testing.F) {
	origin, _ := newOrigin(f)
	addr := strings.TrimPrefix(origin.URL, "http://")
	tp := startProxy(f, Config{ReadHeaderTimeout: 200 * time.Millisecond, Logf: func(string, ...any) {}}, Policy{Protection: true, DNT: settings.DNTDoNotTrack})
	f.Add([]byte("GET http://" + addr + "/ HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"))
	f.Add([]byte("CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("POST http://" + addr + "/ HTTP/1.1\r\nHost: " + addr + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("GET http://" + addr + "/ HTTP/1.0\r\nConnection: Upgrade, Keep-Alive\r\nUpgrade: websocket\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("CONNECT")) && !bytes.Contains(raw, []byte(addr)) {
			t.Skip() // never open tunnels to arbitrary hosts
		}
		if bytes.Contains(bytes.ToLower(raw), []byte("http://")) && !bytes.Contains(raw, []byte(addr)) &&
			!bytes.Contains(raw, []byte(settings.ReservedHost)) {
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
		// Still alive?
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+tp.Addr()+"/", nil)
		r2, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatalf("proxy dead after %q: %v", raw, err)
		}
		r2.Body.Close()
	})
}
