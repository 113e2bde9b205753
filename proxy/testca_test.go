// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a certificate authority for tests: one plays Polaris's CA (the
// proxy's TLSConfigForHost), others sign the origins' certificates (given to
// the proxy as the extra upstream roots, or not, to test verification).
// internal/ca is the real thing; the proxy may not import it.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte

	mu    sync.Mutex
	cache map[string]*tls.Config
}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool, cache: map[string]*tls.Config{},
		pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf issues a certificate for names (DNS names or IP addresses) valid
// from notBefore to notAfter (zero: now-1h to now+24h).
func (c *testCA) leaf(t testing.TB, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	cert, err := c.issue(names, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func (c *testCA) issue(names []string, notBefore, notAfter time.Time) (tls.Certificate, error) {
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(24 * time.Hour)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// tlsConfigForHost is what app gives the proxy from internal/ca: a cached
// server configuration per host.
func (c *testCA) tlsConfigForHost(host string) (*tls.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cfg, ok := c.cache[host]; ok {
		return cfg, nil
	}
	cert, err := c.issue([]string{host}, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	// Like internal/ca: h2 and HTTP/1.1, the proxy serves both.
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
	c.cache[host] = cfg
	return cfg, nil
}

// getCertificate serves a certificate for whatever name the client asks
// (SNI), for origins that stand in for many sites.
func (c *testCA) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if name == "" {
		name = "127.0.0.1"
	}
	cfg, err := c.tlsConfigForHost(name)
	if err != nil {
		return nil, err
	}
	return &cfg.Certificates[0], nil
}

// tlsOrigin is an HTTPS origin on 127.0.0.1 that echoes requests (see
// originHandler) and counts the requests it got.
type tlsOrigin struct {
	*httptest.Server
	requests atomic.Int64
	conns    atomic.Int64
}

// newTLSOrigin starts an origin presenting cert, or, when cert is nil, a
// certificate from ca for whatever name the client asks.
func newTLSOrigin(t testing.TB, ca *testCA, cert *tls.Certificate) *tlsOrigin {
	t.Helper()
	o := &tlsOrigin{}
	h := originHandler()
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	o.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			o.conns.Add(1)
		}
	}
	o.Config.ErrorLog = discardLog
	o.TLS = &tls.Config{NextProtos: []string{"http/1.1"}}
	if cert != nil {
		o.TLS.Certificates = []tls.Certificate{*cert}
	} else {
		o.TLS.GetCertificate = ca.getCertificate
	}
	o.StartTLS()
	t.Cleanup(o.Close)
	return o
}

// toOrigin is a route dialer that sends every connection to addr, whatever
// host was asked for: tests name public-looking sites, and nothing may
// leave the machine.
func toOrigin(addr string) DialFunc {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// mitmClient is a client using proxy tp that trusts roots (nil: nothing)
// and follows no redirects.
func mitmClient(tp *testProxy, roots *x509.CertPool) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:              http.ProxyURL(tp.url),
			TLSClientConfig:    &tls.Config{RootCAs: roots},
			DisableCompression: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// mitmProxy starts a proxy that intercepts HTTPS with polaris, trusts
// upstream certificates from upstream, and dials everything to dial
// (nil: directly).
func mitmProxy(t testing.TB, polaris, upstream *testCA, dial DialFunc, pol Policy, hp HTTPSPolicy) *testProxy {
	t.Helper()
	cfg := Config{TLSConfigForHost: polaris.tlsConfigForHost, Route: Route{Dial: dial}}
	if upstream != nil {
		cfg.RootCAs = upstream.pool
	}
	tp := startProxy(t, cfg, pol)
	hp.Filter = true
	if err := tp.SetHTTPSPolicy(hp); err != nil {
		t.Fatal(err)
	}
	return tp
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
