// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/testenv"
)

// The attack on LAN mode: Polaris listens on the network with a password;
// a client that has it (another computer on the LAN) asks Polaris for this
// computer's own services — on loopback (another Polaris without a
// password, which would make it an open proxy), on its LAN address, on a
// link-local address — by address, as "localhost", and by a name that
// resolves to 127.0.0.1, over plain HTTP, CONNECT and filtered HTTPS. None
// may be reached; another computer on the LAN may, and so may everything
// for a client on this computer. It runs in a network namespace of its
// own: this computer is 10.77.0.1 on a veth link, the other one 10.77.0.2.
func TestLANClientCannotReachThisComputer(t *testing.T) {
	if !testenv.InNetns(t) {
		return
	}
	peer := testenv.NewPeer(t, netip.MustParsePrefix("10.77.0.0/24"))
	testenv.Run(t, "ip", "addr", "add", "169.254.7.7/16", "dev", "lo")

	type service struct {
		url  string
		hits atomic.Int64
	}
	serve := func(ln net.Listener, tlsCert bool, name string) *service {
		s := &service{}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.hits.Add(1)
			io.WriteString(w, "the service at "+name)
		}), ErrorLog: discardLog}
		scheme := "http"
		if tlsCert {
			scheme = "https"
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		s.url = scheme + "://" + net.JoinHostPort(name, port) + "/"
		go func() {
			if tlsCert {
				srv.ServeTLS(ln, "", "")
			} else {
				srv.Serve(ln)
			}
		}()
		t.Cleanup(func() { srv.Close() })
		return s
	}
	listen := func(addr string) net.Listener {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	polarisCA, upstreamCA := newTestCA(t, "Polaris test CA"), newTestCA(t, "upstream test CA")
	// This computer's services.
	lo := listen("127.0.0.1:0")
	_, loPort, _ := net.SplitHostPort(lo.Addr().String())
	loopback := serve(lo, false, "127.0.0.1")
	own := []*service{
		loopback,
		serve(listen("10.77.0.1:0"), false, "10.77.0.1"),
		serve(listen("169.254.7.7:0"), false, "169.254.7.7"),
	}
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		own = append(own, serve(ln, false, "::1"))
	}
	leaf := upstreamCA.leaf(t, []string{"rebind.test", "127.0.0.1"}, time.Time{}, time.Time{})
	tlsLn := listen("127.0.0.1:0")
	httpsSvc := &service{url: "the HTTPS service"}
	{
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpsSvc.hits.Add(1)
			io.WriteString(w, "the HTTPS service")
		}), ErrorLog: discardLog}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{leaf}}
		go srv.ServeTLS(tlsLn, "", "")
		t.Cleanup(func() { srv.Close() })
	}
	_, tlsPort, _ := net.SplitHostPort(tlsLn.Addr().String())
	// The other computer's.
	pln, err := peer.Listen("tcp", "10.77.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	other := serve(pln, false, "peer.test")

	dns, res := startTestDNS(t)
	dns.set("rebind.test", netip.MustParseAddr("127.0.0.1"))
	dns.set("peer.test", netip.MustParseAddr("10.77.0.2"))
	const cred = "lan:correct horse battery"
	tp := startProxy(t, Config{Listen: "0.0.0.0:0", Auth: cred, Resolver: res,
		TLSConfigForHost: polarisCA.tlsConfigForHost, RootCAs: upstreamCA.pool}, Policy{Protection: true})
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true}); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(tp.Addr())

	client := func(proxyHost string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
		u := &url.URL{Scheme: "http", Host: net.JoinHostPort(proxyHost, port), User: url.UserPassword("lan", "correct horse battery")}
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			Proxy: http.ProxyURL(u), DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: polarisCA.pool},
		}}
	}
	fromPeer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		var err error
		peer.Do(func() { c, err = (&net.Dialer{}).DialContext(ctx, network, addr) })
		return c, err
	}
	local := client("127.0.0.1", (&net.Dialer{}).DialContext)
	lan := client("10.77.0.1", fromPeer)
	get := func(c *http.Client, u string) (int, string) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// A client on this computer reaches its services (a keep-alive
	// connection to rebind.test stays in the pool).
	for _, u := range []string{loopback.url, "http://rebind.test:" + loPort + "/", "https://rebind.test:" + tlsPort + "/"} {
		if code, body := get(local, u); code != 200 {
			t.Errorf("a client on this computer, %s: %d %.100q, want 200", u, code, body)
		}
	}
	for _, s := range own {
		s.hits.Store(0)
	}
	httpsSvc.hits.Store(0)

	// A client on the network reaches none of them.
	refused := []string{
		"http://localhost:" + loPort + "/",
		"http://rebind.test:" + loPort + "/",
		"http://[::ffff:127.0.0.1]:" + loPort + "/",
		"http://0.0.0.0:" + loPort + "/",
		"http://127.1.2.3:" + loPort + "/",
		"https://rebind.test:" + tlsPort + "/", // intercepted
		"https://127.0.0.1:" + tlsPort + "/",
	}
	for _, s := range own {
		refused = append(refused, s.url)
	}
	for _, u := range refused {
		code, body := get(lan, u)
		if code != 403 || !strings.Contains(body, "not reachable from the network") {
			t.Errorf("a client on the network, %s: %d %.150q, want 403 and the refusal", u, code, body)
		}
	}
	// Tunnels, not intercepted (a pass-through CONNECT).
	if err := tp.SetHTTPSPolicy(HTTPSPolicy{}); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"127.0.0.1:" + loPort, "rebind.test:" + tlsPort, "localhost:" + loPort, "10.77.0.1:" + loPort} {
		c, err := fromPeer(context.Background(), "tcp", "10.77.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic bGFuOmNvcnJlY3QgaG9yc2UgYmF0dGVyeQ==\r\n\r\n", target, target)
		resp, err := http.ReadResponse(bufioReader(c), nil)
		if err != nil || resp.StatusCode != 403 {
			t.Errorf("CONNECT %s from the network: %v %v, want 403", target, resp, err)
		}
		c.Close()
	}
	for _, s := range append(own, httpsSvc) {
		if n := s.hits.Load(); n != 0 {
			t.Errorf("%s was reached %d times from the network", s.url, n)
		}
	}
	// Another computer on the network is reachable.
	if code, body := get(lan, other.url); code != 200 || !strings.Contains(body, "peer.test") {
		t.Errorf("a client on the network, another computer %s: %d %.100q, want 200", other.url, code, body)
	}
}
