// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"polaris/internal/resolver/dnstest"
	"polaris/internal/testenv"
)

// helloRecorder keeps the first bytes each connection sends: what the
// network sees of a TLS handshake.
type helloRecorder struct {
	net.Listener
	mu    sync.Mutex
	seen  [][]byte
	conns []*recordingConn
}

type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if len(c.buf) < 16<<10 {
		c.buf = append(c.buf, b[:n]...)
	}
	c.mu.Unlock()
	return n, err
}

func (l *helloRecorder) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recordingConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, rc)
	l.mu.Unlock()
	return rc, nil
}

// wire returns everything the clients sent, all connections together.
func (l *helloRecorder) wire() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var all []byte
	for _, c := range l.conns {
		c.mu.Lock()
		all = append(all, c.buf...)
		c.mu.Unlock()
	}
	return all
}

// TestECHUpstream: with encrypted DNS and HTTPS filtering on, a site whose
// HTTPS record carries an ECH configuration is reached with Encrypted
// Client Hello: the origin (Go's server-side ECH, on loopback) accepts it
// and learns the real name only from inside, while the bytes on the wire
// carry only the configuration's public name. A site without the record
// is reached as before, its name in the clear (which shows the recorder
// sees names).
func TestECHUpstream(t *testing.T) {
	config, key, list := testenv.ECHConfig(t, "public.example.com")
	type seen struct {
		ech  bool
		name string
	}
	got := make(chan seen, 8)
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" { // not the site checks (/.well-known/...)
			got <- seen{r.TLS.ECHAccepted, r.TLS.ServerName}
		}
		w.Write([]byte("secret page"))
	}))
	rec := &helloRecorder{Listener: origin.Listener}
	origin.Listener = rec
	origin.EnableHTTP2 = true
	origin.TLS = &tls.Config{EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: config, PrivateKey: key}}}
	origin.StartTLS()
	defer origin.Close()
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())

	srv := dnstest.Start(t, "secret.example.com. 300 IN A 127.0.0.1",
		`secret.example.com. 300 IN HTTPS 1 . alpn="h2" ech="`+base64.StdEncoding.EncodeToString(list)+`"`,
		"plain.example.com. 300 IN A 127.0.0.1")
	a := encryptedDNSApp(t, srv, dnstest.DoH)
	// The origin's certificate (httptest's, a CA for *.example.com) is
	// trusted next to the DNS server's.
	roots := filepath.Join(t.TempDir(), "roots.pem")
	pemCerts := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: origin.Certificate().Raw}), srv.CAPEM...)
	if err := os.WriteFile(roots, pemCerts, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"https.upstream-ca", roots}, {"https.filter", "on"}} {
		if err := a.Set(context.Background(), kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	caPEM, err := os.ReadFile(filepath.Join(a.opts.DataDir, "ca", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	c := proxyClient(a.Snapshot().Proxy.Listen, &tls.Config{RootCAs: pool})

	code, body := fetch(t, c, "https://secret.example.com:"+port+"/", nav)
	if code != 200 || body != "secret page" {
		t.Fatalf("GET https://secret.example.com/ = %d %q", code, body)
	}
	if s := <-got; !s.ech || s.name != "secret.example.com" {
		t.Errorf("the origin saw ECH %v, name %q; want ECH accepted and secret.example.com from inside it", s.ech, s.name)
	}
	wire := rec.wire()
	if bytes.Contains(wire, []byte("secret.example.com")) {
		t.Error("secret.example.com crossed the network in the clear")
	}
	if !bytes.Contains(wire, []byte("public.example.com")) {
		t.Error("the outer hello does not carry the configuration's public name")
	}
	httpsAsked := false
	for _, q := range srv.Queries() {
		if q.Name == "secret.example.com" && q.Type == "HTTPS" && q.Transport == dnstest.DoH {
			httpsAsked = true
		}
	}
	if !httpsAsked {
		t.Errorf("the HTTPS record was never asked for: %v", srv.Queries())
	}

	// No record, no ECH: the name is in the clear, and the recorder sees it.
	if code, _ := fetch(t, c, "https://plain.example.com:"+port+"/", nav); code != 200 {
		t.Fatalf("GET https://plain.example.com/ = %d", code)
	}
	if s := <-got; s.ech || s.name != "plain.example.com" {
		t.Errorf("without a record the origin saw ECH %v, name %q", s.ech, s.name)
	}
	if !bytes.Contains(rec.wire(), []byte("plain.example.com")) {
		t.Error("the recorder does not see names in the clear: the first check proves nothing")
	}
}
