// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func rootPool(c *CA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Certificate())
	return p
}

func TestLeafVerifiesForItsHostOnly(t *testing.T) {
	c := loadTemp(t)
	tests := []struct {
		host    string
		verify  string // name the client checks
		wantDNS string // "" for an IP leaf
		wantIP  string
	}{
		{host: "example.com", verify: "example.com", wantDNS: "example.com"},
		{host: "Example.COM:443", verify: "example.com", wantDNS: "example.com"},
		{host: "www.example.org.", verify: "www.example.org", wantDNS: "www.example.org"},
		{host: "under_score.example.net", verify: "under_score.example.net", wantDNS: "under_score.example.net"},
		{host: "bücher.example", verify: "xn--bcher-kva.example", wantDNS: "xn--bcher-kva.example"},
		{host: "127.0.0.1", verify: "127.0.0.1", wantIP: "127.0.0.1"},
		{host: "127.0.0.1:8443", verify: "127.0.0.1", wantIP: "127.0.0.1"},
		{host: "[::1]:443", verify: "::1", wantIP: "::1"},
		{host: "::1", verify: "::1", wantIP: "::1"},
		{host: "[fe80::1%eth0]", verify: "fe80::1", wantIP: "fe80::1"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			before := time.Now()
			cert, err := c.LeafFor(tt.host)
			if err != nil {
				t.Fatalf("LeafFor(%q) = %v", tt.host, err)
			}
			leaf := cert.Leaf
			if tt.wantDNS != "" && (len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != tt.wantDNS || len(leaf.IPAddresses) != 0) {
				t.Errorf("LeafFor(%q) SANs = %q %v, want DNS %q only", tt.host, leaf.DNSNames, leaf.IPAddresses, tt.wantDNS)
			}
			if tt.wantIP != "" && (len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != tt.wantIP || len(leaf.DNSNames) != 0) {
				t.Errorf("LeafFor(%q) SANs = %q %v, want IP %s only", tt.host, leaf.DNSNames, leaf.IPAddresses, tt.wantIP)
			}
			opts := x509.VerifyOptions{Roots: rootPool(c), DNSName: tt.verify}
			if _, err := leaf.Verify(opts); err != nil {
				t.Errorf("leaf for %q does not verify for %q: %v", tt.host, tt.verify, err)
			}
			opts.DNSName = "other.example"
			if _, err := leaf.Verify(opts); err == nil {
				t.Errorf("leaf for %q verifies for other.example", tt.host)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: rootPool(loadTemp(t)), DNSName: tt.verify}); err == nil {
				t.Errorf("leaf for %q verifies against another install's CA", tt.host)
			}
			if k, ok := cert.PrivateKey.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() {
				t.Errorf("leaf key = %T, want ECDSA P-256", cert.PrivateKey)
			}
			if leaf.IsCA || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
				t.Errorf("leaf IsCA=%v ExtKeyUsage=%v, want a server-only end-entity certificate", leaf.IsCA, leaf.ExtKeyUsage)
			}
			if d := before.Sub(leaf.NotBefore); d < 59*time.Minute || d > 61*time.Minute {
				t.Errorf("NotBefore is %v before now, want an hour", d)
			}
			if d := leaf.NotAfter.Sub(leaf.NotBefore); d > 397*24*time.Hour {
				t.Errorf("leaf validity %v, want at most 397 days", d)
			}
			if len(cert.Certificate) != 1 {
				t.Errorf("chain length %d, want the leaf only (the root is in the client's store)", len(cert.Certificate))
			}
		})
	}
}

func TestLeafSameHostSpellings(t *testing.T) {
	c := loadTemp(t)
	a, _ := c.LeafFor("Example.com:443")
	b, _ := c.LeafFor("example.com.")
	d, _ := c.LeafFor("example.com")
	if a != b || b != d {
		t.Error("spellings of one host gave different cached leaves")
	}
	if n := c.leaves.issued.Load(); n != 1 {
		t.Errorf("issued %d leaves, want 1", n)
	}
}

func TestLeafBadHost(t *testing.T) {
	c := loadTemp(t)
	for _, h := range []string{
		"", ":443", "exa mple.com", "*.example.com", "a..b", ".example.com", "[::1", "[::1]x",
		"example.com:http", "example.com:123456", "1.2.3", "999.1.1.1", "[example.com]:443",
		strings.Repeat("a", 64) + ".com", strings.Repeat("abcdefghi.", 26) + "com", "ex\x00ample.com",
		"a:b:c", "example.com/path",
	} {
		if _, err := c.LeafFor(h); !errors.Is(err, ErrBadHost) {
			t.Errorf("LeafFor(%q) = %v, want ErrBadHost", h, err)
		}
	}
	if n := c.leaves.len(); n != 0 {
		t.Errorf("cache holds %d entries after bad hosts, want 0", n)
	}
}

func TestLeafConcurrentFirstRequestsIssueOnce(t *testing.T) {
	c := loadTemp(t)
	const n = 32
	certs := make([]*tls.Certificate, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cert, err := c.LeafFor("same.example:443")
			if err != nil {
				t.Errorf("LeafFor: %v", err)
			}
			certs[i] = cert
		}()
	}
	close(start)
	wg.Wait()
	if got := c.leaves.issued.Load(); got != 1 {
		t.Errorf("issued %d leaves for one host, want 1", got)
	}
	for i := range certs {
		if certs[i] != certs[0] {
			t.Fatalf("caller %d got a different certificate", i)
		}
	}
}

func TestLeafCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := loadTemp(t, WithLeafCacheSize(2))
	get := func(h string) {
		if _, err := c.LeafFor(h); err != nil {
			t.Fatal(err)
		}
	}
	get("a.example")
	get("b.example")
	get("a.example") // a is now the most recent
	get("c.example") // evicts b
	if n := c.leaves.len(); n != 2 {
		t.Errorf("cache size = %d, want its bound 2", n)
	}
	if n := c.leaves.issued.Load(); n != 3 {
		t.Fatalf("issued %d, want 3", n)
	}
	get("a.example")
	if n := c.leaves.issued.Load(); n != 3 {
		t.Errorf("a.example was evicted; want the least recently used (b) evicted")
	}
	get("b.example")
	if n := c.leaves.issued.Load(); n != 4 {
		t.Errorf("b.example was still cached beyond the bound")
	}
	if d := loadTemp(t); d.leaves.max != DefaultLeafCacheSize {
		t.Errorf("default cache bound = %d, want %d", d.leaves.max, DefaultLeafCacheSize)
	}
}

func TestLeafRefreshAndExpiry(t *testing.T) {
	c := loadTemp(t)
	now := time.Now()
	c.now = func() time.Time { return now }
	first, _ := c.LeafFor("example.com")

	now = first.Leaf.NotAfter.Add(-2 * time.Hour) // within the refresh margin
	second, err := c.LeafFor("example.com")
	if err != nil {
		t.Fatal(err)
	}
	if second == first || !second.Leaf.NotAfter.After(first.Leaf.NotAfter) {
		t.Error("a leaf about to expire was served again, want a fresh one")
	}

	now = c.cert.NotAfter.Add(-10 * 24 * time.Hour)
	capped, err := c.LeafFor("capped.example")
	if err != nil {
		t.Fatal(err)
	}
	if !capped.Leaf.NotAfter.Equal(c.cert.NotAfter) {
		t.Errorf("leaf NotAfter = %v, want capped at the CA's %v", capped.Leaf.NotAfter, c.cert.NotAfter)
	}

	now = c.cert.NotAfter.Add(time.Minute)
	if _, err := c.LeafFor("late.example"); !errors.Is(err, ErrExpired) {
		t.Errorf("LeafFor after the CA expired = %v, want ErrExpired", err)
	}
	if _, err := c.LeafFor("late.example"); !errors.Is(err, ErrExpired) {
		t.Errorf("second LeafFor after the CA expired = %v, want ErrExpired (errors are not cached as successes)", err)
	}
	if _, ok := c.leaves.m["late.example"]; ok {
		t.Error("a failed issuance stayed in the cache")
	}
}

// TestTLSConfigHandshake runs real TLS over loopback: the client trusts only
// the CA, offers h2 and http/1.1, and gets h2 (the proxy serves HTTP/2); a
// second connection through a clone of the config resumes; TLS 1.2 is
// served with AEAD suites only.
func TestTLSConfigHandshake(t *testing.T) {
	c := loadTemp(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				cfg, err := c.TLSConfigForHost("localhost:443")
				if err != nil {
					t.Errorf("TLSConfigForHost: %v", err)
					return
				}
				srv := tls.Server(conn, cfg.Clone())
				if err := srv.Handshake(); err != nil {
					return
				}
				fmt.Fprint(srv, "ok")
			}()
		}
	}()

	client := &tls.Config{
		RootCAs:            rootPool(c),
		ServerName:         "localhost",
		NextProtos:         []string{"h2", "http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
	}
	for i, wantResume := range []bool{false, true} {
		conn, err := tls.Dial("tcp", ln.Addr().String(), client)
		if err != nil {
			t.Fatalf("handshake %d: %v", i, err)
		}
		buf := make([]byte, 2)
		if _, err := conn.Read(buf); err != nil || string(buf) != "ok" {
			t.Errorf("read %q, %v", buf, err)
		}
		st := conn.ConnectionState()
		if st.NegotiatedProtocol != "h2" {
			t.Errorf("ALPN = %q, want h2", st.NegotiatedProtocol)
		}
		if st.DidResume != wantResume {
			t.Errorf("handshake %d DidResume = %v, want %v", i, st.DidResume, wantResume)
		}
		conn.Close()
	}

	// TLS 1.2: an AEAD suite, never CBC with SHA-1.
	tls12 := func(suites ...uint16) (*tls.Conn, error) {
		return tls.Dial("tcp", ln.Addr().String(), &tls.Config{
			RootCAs: rootPool(c), ServerName: "localhost", MaxVersion: tls.VersionTLS12, CipherSuites: suites,
			NextProtos: []string{"http/1.1"},
		})
	}
	conn, err := tls12()
	if err != nil {
		t.Fatalf("TLS 1.2 handshake: %v", err)
	}
	st := conn.ConnectionState()
	conn.Close()
	if name := tls.CipherSuiteName(st.CipherSuite); !strings.Contains(name, "GCM") && !strings.Contains(name, "CHACHA20") {
		t.Errorf("TLS 1.2 suite = %s, want an AEAD one", name)
	}
	if st.NegotiatedProtocol != "http/1.1" {
		t.Errorf("ALPN for a client offering only http/1.1 = %q", st.NegotiatedProtocol)
	}
	for _, cbc := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA} {
		if conn, err := tls12(cbc); err == nil {
			conn.Close()
			t.Errorf("a TLS 1.2 client offering only %s completed the handshake", tls.CipherSuiteName(cbc))
		}
	}

	// A client that does not trust the CA fails.
	if conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "localhost", RootCAs: x509.NewCertPool()}); err == nil {
		conn.Close()
		t.Error("a client without the CA completed the handshake")
	}
}

func TestCachedLookupDoesNotAllocate(t *testing.T) {
	c := loadTemp(t)
	if _, err := c.TLSConfigForHost("example.com:443"); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.TLSConfigForHost("example.com:443"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("cached TLSConfigForHost allocates %v times, want 0", allocs)
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"EXAMPLE.com:8443", "example.com"},
		{"example.com.", "example.com"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"BÜCHER.example", "xn--bcher-kva.example"},
		{"10.0.0.1:80", "10.0.0.1"},
		{"[2001:DB8::1]:443", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"localhost", "localhost"},
	}
	for _, tt := range tests {
		got, _, err := normalizeHost(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("normalizeHost(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}
