// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
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
