// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"polaris/internal/status"
)

// A browser that refused Polaris's certificate is tried again once the CA
// was installed in trust stores, here or by another process (`polaris
// setup`): its refusal no longer keeps its HTTPS unfiltered.
func TestCAInstalledTriesClientsAgain(t *testing.T) {
	a := openApp(t)
	run(t, a)
	ctx := context.Background()
	if err := a.Set(ctx, "https.filter", "on"); err != nil {
		t.Fatal(err)
	}
	const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"
	c, err := net.Dial("tcp", a.currentProxy().Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT site.example:443 HTTP/1.1\r\nHost: site.example:443\r\nUser-Agent: %s\r\n\r\n", ua)
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	// The client trusts no Polaris CA: it refuses the certificate.
	tc := tls.Client(&readerConn{Conn: c, r: br}, &tls.Config{ServerName: "site.example", RootCAs: x509.NewCertPool()})
	if tc.Handshake() == nil {
		t.Fatal("a client without the CA accepted Polaris's certificate")
	}
	trust := func() status.Trust {
		for _, cl := range a.Snapshot().Proxy.Clients {
			if cl.Family == status.Firefox {
				return cl.Trust
			}
		}
		return -1
	}
	for deadline := time.Now().Add(5 * time.Second); trust() != status.TrustNo; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the refusal was not learned: trust %v", trust())
		}
	}
	// Another process installs the CA (its manifest of trust stores
	// changes) and tells the running Polaris, which looks again.
	if err := os.WriteFile(filepath.Join(a.DataDir(), "ca", "trust.json"), []byte(`{"entries":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Set(ctx, "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	if got := trust(); got != status.TrustUnknown {
		t.Errorf("after the CA was installed, the client's trust = %v, want unknown (tried again)", got)
	}
}

type readerConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *readerConn) Read(b []byte) (int, error) { return c.r.Read(b) }
