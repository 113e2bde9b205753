// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polaris/internal/resolver/dnstest"
	"polaris/internal/testenv"
)

// noPlainDNS is a system resolver that fails the test on any lookup (a
// name that would go out in the clear).
func noPlainDNS(t *testing.T) *net.Resolver { return testenv.NoDNS(t, "with encrypted DNS on") }

// encryptedDNSApp runs an App whose encrypted resolver is srv over proto,
// with a system resolver (Polaris's and Go's default) that fails the test
// on any lookup.
func encryptedDNSApp(t *testing.T, srv *dnstest.Server, proto string) *App {
	t.Helper()
	defaultResolver := net.DefaultResolver
	net.DefaultResolver = noPlainDNS(t)
	caFile := filepath.Join(t.TempDir(), "dns-ca.pem")
	if err := os.WriteFile(caFile, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	a := openTestApp(t, Options{Resolver: noPlainDNS(t)})
	address := srv.DoHURL
	if proto == dnstest.DoT {
		address = srv.DoTURL
	}
	for _, kv := range [][2]string{{"https.upstream-ca", caFile}, {"dns.custom", address}, {"dns.resolver", "custom"}, {"dns.encrypted", "on"}} {
		if err := a.Set(context.Background(), kv[0], kv[1]); err != nil {
			t.Fatalf("set %s %s: %v", kv[0], kv[1], err)
		}
	}
	stop := startApp(t, a)
	t.Cleanup(func() {
		stop()
		a.Close()
		net.DefaultResolver = defaultResolver
	})
	return a
}

// tunnelEcho is a TCP server that answers one line with "echo: line".
func tunnelEcho(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				fmt.Fprintf(c, "echo: %s", line)
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// connect opens a CONNECT tunnel to hostport through the proxy and returns
// the status line, and the echo of one line when it opened.
func connect(t *testing.T, proxyAddr, hostport string) (status, echo string) {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", hostport, hostport)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return resp.Status, string(b)
	}
	fmt.Fprintf(c, "hello\n")
	line, _ := br.ReadString('\n')
	return resp.Status, line
}

// TestEncryptedDNS: with encrypted DNS on, browsing through Polaris (plain
// HTTP and HTTPS tunnels) looks every name up with the encrypted resolver
// and never in the clear; with the resolver down, a request gets Polaris's
// page saying so, still with no plain lookup (fail closed).
func TestEncryptedDNS(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "page of %s", r.Host)
	}))
	defer origin.Close()
	_, webPort, _ := net.SplitHostPort(origin.Listener.Addr().String())
	echoPort := tunnelEcho(t)
	for _, proto := range []string{dnstest.DoH, dnstest.DoT} {
		t.Run(proto, func(t *testing.T) {
			srv := dnstest.Start(t, "site.test. 300 IN A 127.0.0.1", "www.site.test. 300 IN CNAME site.test.",
				"tunnel.test. 300 IN A 127.0.0.1", "late.test. 300 IN A 127.0.0.1")
			a := encryptedDNSApp(t, srv, proto)
			addr := a.Snapshot().Proxy.Listen
			c := proxyClient(addr, nil)
			for _, host := range []string{"site.test", "www.site.test", "site.test"} {
				code, body := fetch(t, c, "http://"+host+":"+webPort+"/", nav)
				if code != 200 || body != "page of "+host+":"+webPort {
					t.Fatalf("GET http://%s/ = %d %q", host, code, body)
				}
			}
			if st, echo := connect(t, addr, "tunnel.test:"+echoPort); !strings.Contains(st, "200") || echo != "echo: hello\n" {
				t.Fatalf("CONNECT tunnel.test = %s %q", st, echo)
			}
			for _, host := range []string{"site.test", "www.site.test", "tunnel.test"} {
				if srv.Count(host, proto) == 0 {
					t.Errorf("%s was never asked over %s: %v", host, proto, srv.Queries())
				}
			}
			for _, q := range srv.Queries() {
				if q.Transport != proto {
					t.Errorf("%s %s was asked over %s", q.Type, q.Name, q.Transport)
				}
			}
			if n := srv.Count("site.test", proto); n != 2 {
				t.Errorf("site.test was asked %d times for three requests, want 2 (A and AAAA, then cached)", n)
			}
			snap := a.Snapshot().DNS
			if !snap.Encrypted || snap.Err != "" || snap.Queries == 0 {
				t.Errorf("Snapshot().DNS = %+v, want encrypted, working, queries counted", snap)
			}

			// The resolver goes away: a name not cached is refused with a
			// page, and nothing is asked in the clear (noPlainDNS).
			srv.Stop()
			code, body := fetch(t, c, "http://late.test:"+webPort+"/", nav)
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "Encrypted DNS cannot be reached") || !strings.Contains(body, "Nothing was sent") {
				t.Errorf("with the resolver down: %d %q, want 503 and Polaris's page", code, body)
			}
			if st, body := connect(t, addr, "late.test:"+echoPort); !strings.Contains(st, "503") || !strings.Contains(body, "Encrypted DNS cannot be reached") {
				t.Errorf("CONNECT with the resolver down: %s %q, want 503 and Polaris's page", st, body)
			}
			waitFor(t, "the status to say the resolver cannot be reached", func() bool { return a.Snapshot().DNS.Err != "" })
		})
	}
}

// TestEncryptedDNSOffIsTheSystem: by default the system's resolver answers,
// and turning encrypted DNS off again goes back to it.
func TestEncryptedDNSOffIsTheSystem(t *testing.T) {
	srv := dnstest.Start(t, "site.test. 300 IN A 127.0.0.1")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer origin.Close()
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	a := openTestApp(t, Options{Resolver: srv.Resolver()})
	startApp(t, a)
	defer a.Close()
	c := proxyClient(a.Snapshot().Proxy.Listen, nil)
	if code, _ := fetch(t, c, "http://site.test:"+port+"/", nav); code != 200 {
		t.Fatalf("GET = %d", code)
	}
	if n := srv.Count("site.test", dnstest.Plain); n == 0 {
		t.Errorf("the system's resolver was not asked: %v", srv.Queries())
	}
	if snap := a.Snapshot().DNS; snap.Encrypted {
		t.Errorf("Snapshot().DNS = %+v: encrypted by default", snap)
	}
}

// TestEncryptedDNSUnusedInTorMode: with Tor on, the encrypted resolver is
// asked nothing (Tor resolves at the exit), not even for uncloaking; while
// this tor cannot start, requests get Tor's fail-closed page.
func TestEncryptedDNSUnusedInTorMode(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "tor")
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Tor version 0.4.9.11.'; exit 0; fi\nexit 1\n"
	if err := os.WriteFile(broken, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := dnstest.Start(t, "site.test. 300 IN A 127.0.0.1", "metrics.site.test. 300 IN CNAME t.tracker.test.")
	a := encryptedDNSApp(t, srv, dnstest.DoH)
	for _, kv := range [][2]string{{"tor.binary", broken}, {"tor", "on"}} {
		if err := a.Set(context.Background(), kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	c := proxyClient(a.Snapshot().Proxy.Listen, nil)
	for _, u := range []string{"http://site.test/", "http://metrics.site.test/c.js"} {
		if code, body := fetch(t, c, u, map[string]string{"Referer": "http://site.test/"}); code != 503 || !strings.Contains(body, "Tor is not connected") {
			t.Errorf("GET %s in Tor mode = %d %.200q, want Tor's fail-closed page", u, code, body)
		}
	}
	if _, err := connect(t, a.Snapshot().Proxy.Listen, "site.test:443"); !strings.Contains(err, "503") {
		t.Errorf("CONNECT in Tor mode = %s, want 503", err)
	}
	if q := srv.Queries(); len(q) != 0 {
		t.Errorf("the encrypted resolver was asked in Tor mode: %v", q)
	}
	if snap := a.Snapshot().DNS; snap.Encrypted {
		t.Errorf("Snapshot().DNS = %+v: says encrypted DNS is in use in Tor mode", snap)
	}
}
