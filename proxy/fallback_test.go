// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"polaris/blocklist"
)

// On port 443, a request to a site whose HTTPS does not work ends without
// an answer (so that a browser that tried https:// by itself falls back to
// http://); other ports keep Polaris's error pages.
func TestInterceptedRequestFailsWhenSiteHTTPSBroken(t *testing.T) {
	polaris, upstream := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	self := newTestCA(t, "nobody's CA")
	badTLS, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{self.leaf(t, []string{"plain.example"}, time.Time{}, time.Time{})}})
	if err != nil {
		t.Fatal(err)
	}
	defer badTLS.Close()
	go func() {
		for {
			c, err := badTLS.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	for _, tt := range []struct{ name, origin string }{{"nothing listens", closedAddr}, {"untrusted certificate", badTLS.Addr().String()}} {
		t.Run(tt.name, func(t *testing.T) {
			tp := mitmProxy(t, polaris, upstream, toOrigin(tt.origin), signalsOn, HTTPSPolicy{})
			c := mitmClient(tp, polaris.pool)
			if resp, err := c.Get("https://plain.example/"); err == nil {
				resp.Body.Close()
				t.Fatalf("port 443: %d, want no answer", resp.StatusCode)
			}
			// Another port: Polaris's own page, as before.
			resp, err := c.Get("https://plain.example:8443/")
			if err != nil {
				t.Fatalf("port 8443: %v, want Polaris's error page", err)
			}
			resp.Body.Close()
			if resp.StatusCode < 500 {
				t.Errorf("port 8443: %d, want an error page", resp.StatusCode)
			}
		})
	}
}

// A tunnel that carries no TLS (ws://) is decided on its host even when
// HTTPS filtering is on: a blocked host gets nothing.
func TestNonTLSTunnelToBlockedHostIsRefused(t *testing.T) {
	polaris := newTestCA(t, "Polaris test CA")
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	var dials atomic.Int32
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, echo.Addr().String())
	}
	tp := mitmProxy(t, polaris, nil, dial, signalsOn, HTTPSPolicy{})
	tp.SetMatcher(compileRules(t, blocklist.Options{}, "||tracker.test^"))
	for _, tt := range []struct {
		host  string
		reach bool
	}{{"tracker.test:80", false}, {"chat.test:80", true}} {
		before := dials.Load()
		c, err := net.Dial("tcp", tp.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", tt.host, tt.host)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("CONNECT %s: %v %v", tt.host, resp, err)
		}
		io.WriteString(c, "GET /ws HTTP/1.1\r\n")
		line, err := br.ReadString('\n')
		c.Close()
		got := err == nil && line == "GET /ws HTTP/1.1\r\n"
		if got != tt.reach || (dials.Load() > before) != tt.reach {
			t.Errorf("tunnel to %s: echoed %q (%v), dials %d, want reached=%v", tt.host, line, err, dials.Load()-before, tt.reach)
		}
	}
}
