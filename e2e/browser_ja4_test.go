// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The browser's own TLS upstream (issue 18): a site reached through
// Polaris's HTTPS filtering sees the ClientHello the browser sent Polaris,
// by its JA4 fingerprint.

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/testenv"
)

// For Chromium and Firefox through Polaris, the JA4 of the ClientHello the
// origin receives equals the JA4 of the ClientHello the browser sent
// Polaris (recorded between the two), and ALPN h2 is chosen on both sides.
func TestBrowserJA4Mirrored(t *testing.T) {
	w := sharedWeb(t)
	origin := startJA4Origin(t, w)
	px := browserPolaris(t, "https.filter", "on")
	tap := startHelloTap(t, px.addr)
	forEachBrowser(t, tap.addr, func(t *testing.T, p *page) {
		host := origin.newHost(t, "ja4-"+p.browser)
		p.Navigate("https://" + host + "/")
		if got := p.String(`document.title`); got != "ja4" {
			p.Fatalf("title %q", got)
		}
		if proto := p.String(`performance.getEntriesByType("navigation")[0].nextHopProtocol`); proto != "h2" {
			p.Errorf("browser to Polaris: %s, want h2", proto)
		}
		sent, seen := tap.first(host), origin.first(host)
		t.Logf("%s: JA4 sent to Polaris %s, seen by the origin %s (origin request over %s)", p.browser, sent.ja4, seen.ja4, seen.proto)
		if sent.ja4 == "" || seen.ja4 == "" {
			t.Fatalf("no ClientHello recorded: sent %+v, seen %+v", sent, seen)
		}
		if sent.ja4 != seen.ja4 {
			t.Errorf("the origin saw JA4 %s; the browser sent Polaris %s", seen.ja4, sent.ja4)
		}
		if seen.proto != "HTTP/2.0" {
			t.Errorf("Polaris to the origin: %s, want HTTP/2.0", seen.proto)
		}
	})
}

// helloRecord is a connection's first ClientHello, by its JA4.
type helloRecord struct {
	ja4   string
	proto string // the first request's protocol (origin only)
}

// ja4Origin is an HTTPS origin (HTTP/2 and HTTP/1.1) on its own loopback
// address that records the JA4 of each connection's ClientHello by SNI.
type ja4Origin struct {
	w     *web
	addr  netip.Addr
	mu    sync.Mutex
	seen  map[string]*helloRecord
	hosts map[string]bool
}

func startJA4Origin(t *testing.T, w *web) *ja4Origin {
	t.Helper()
	o := &ja4Origin{w: w, addr: netip.MustParseAddr("127.0.0.9"), seen: map[string]*helloRecord{}, hosts: map[string]bool{}}
	ln, err := net.Listen("tcp", net.JoinHostPort(o.addr.String(), "443"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			// The connection has read the ClientHello and nothing else yet.
			if fb, ok := hello.Conn.(*firstBytes); ok {
				if ja4, err := testenv.JA4(fb.buf); err == nil {
					o.mu.Lock()
					if o.seen[hello.ServerName] == nil {
						o.seen[hello.ServerName] = &helloRecord{ja4: ja4}
					}
					o.mu.Unlock()
				}
			}
			return w.cert(hello.ServerName, false)
		},
	}
	srv := &http.Server{
		TLSConfig: cfg,
		ErrorLog:  log.New(io.Discard, "", 0),
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			o.mu.Lock()
			if rec := o.seen[r.TLS.ServerName]; rec != nil && rec.proto == "" {
				rec.proto = r.Proto
			}
			o.mu.Unlock()
			rw.Header().Set("Content-Type", "text/html")
			io.WriteString(rw, "<!doctype html><title>ja4</title><p>ja4")
		}),
	}
	go srv.Serve(tls.NewListener(&ja4Listener{Listener: ln, o: o}, cfg))
	t.Cleanup(func() { srv.Close() })
	return o
}

// newHost names a new site on this origin.
func (o *ja4Origin) newHost(t *testing.T, label string) string {
	host := strings.ToLower(label) + "-" + time.Now().Format("150405.000000")
	host = strings.ReplaceAll(host, ".", "") + ".test"
	setDNS(host, o.addr)
	return host
}

func (o *ja4Origin) first(host string) helloRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r := o.seen[host]; r != nil {
		return *r
	}
	return helloRecord{}
}

type ja4Listener struct {
	net.Listener
	o *ja4Origin
}

func (l *ja4Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &firstBytes{Conn: c}, nil
}

// firstBytes keeps what the peer sent before the first write (its
// ClientHello), for GetCertificate, which runs on the same goroutine.
// After the handshake, HTTP/2 reads and writes on different goroutines:
// wrote is atomic.
type firstBytes struct {
	net.Conn
	buf   []byte
	wrote atomic.Bool
}

func (c *firstBytes) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.wrote.Load() {
		c.buf = append(c.buf, b[:n]...)
	}
	return n, err
}

func (c *firstBytes) Write(b []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(b)
}

// helloTap is a TCP relay between a browser and Polaris that records, for
// each CONNECT, the JA4 of the ClientHello the browser sent inside.
type helloTap struct {
	addr string
	mu   sync.Mutex
	sent map[string]*helloRecord
}

func startHelloTap(t *testing.T, proxyAddr string) *helloTap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tap := &helloTap{addr: ln.Addr().String(), sent: map[string]*helloRecord{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go tap.relay(c, proxyAddr)
		}
	}()
	return tap
}

func (tap *helloTap) relay(c net.Conn, proxyAddr string) {
	defer c.Close()
	up, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { io.Copy(c, up); c.Close() }()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	req.Write(up)
	if req.Method != http.MethodConnect {
		io.Copy(up, br)
		return
	}
	host, _, _ := net.SplitHostPort(req.Host)
	var first []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := br.Read(buf)
		if n > 0 {
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
			first = append(first, buf[:n]...)
			if ja4, jerr := testenv.JA4(first); jerr == nil {
				tap.mu.Lock()
				if tap.sent[host] == nil {
					tap.sent[host] = &helloRecord{ja4: ja4}
				}
				tap.mu.Unlock()
				break
			}
			if len(first) > 64<<10 {
				break
			}
		}
		if err != nil {
			return
		}
	}
	io.Copy(up, br)
}

func (tap *helloTap) first(host string) helloRecord {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	if r := tap.sent[host]; r != nil {
		return *r
	}
	return helloRecord{}
}
