// SPDX-License-Identifier: GPL-3.0-or-later

// Test origins with RSA keys shorter than Go's TLS allows by default.
//go:debug rsa1024min=0

package proxy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// issueWith makes a certificate for names with key, signed by parent
// (parentKey) with sigAlg (0: the default for the parent's key).
func issueWith(t *testing.T, names []string, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer, sigAlg x509.SignatureAlgorithm, isCA bool) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SignatureAlgorithm: sigAlg,
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage, tmpl.ExtKeyUsage = true, true, x509.KeyUsageCertSign, nil
	} else {
		for _, n := range names {
			if ip := net.ParseIP(n); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, n)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatalf("issuing %s: %v", names[0], err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The attack: a server (or someone in the middle who broke or bought a
// weak key) presents a certificate that verifies but is weak: an RSA key of
// 1024 or 512 bits, at the leaf or an intermediate, or a SHA-1 signature.
// Polaris refuses every one, through Go's TLS and through the browser's
// mirrored hello (uTLS), and says why in words; the origin sees nothing.
func TestUpstreamWeakCertificates(t *testing.T) {
	upstream := newTestCA(t, "upstream test CA")
	ecKey := func() *ecdsa.PrivateKey { k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader); return k }
	names := []string{"127.0.0.1"}
	type chain struct {
		certs []*x509.Certificate
		key   crypto.Signer
	}
	leafBy := func(key crypto.Signer, alg x509.SignatureAlgorithm) chain {
		return chain{[]*x509.Certificate{issueWith(t, names, key, upstream.cert, upstream.key, alg, false)}, key}
	}
	weakInter := func() chain {
		ik := rsaKey(t, 1024)
		inter := issueWith(t, []string{"weak intermediate"}, ik, upstream.cert, upstream.key, 0, true)
		lk := ecKey()
		return chain{[]*x509.Certificate{issueWith(t, names, lk, inter, ik, 0, false), inter}, lk}
	}
	for _, tc := range []struct {
		name  string
		chain chain
		words string // "" for a good certificate
		tls12 bool   // the origin speaks TLS 1.2 at most (RSA-PSS, which 1.3 needs, cannot use 512 bits)
	}{
		{"RSA-2048 leaf", leafBy(rsaKey(t, 2048), 0), "", false},
		{"RSA-1024 leaf", leafBy(rsaKey(t, 1024), 0), "RSA key of only 1024 bits", false},
		{"RSA-512 leaf", leafBy(rsaKey(t, 512), 0), "RSA key of only 512 bits", true},
		{"RSA-1024 intermediate", weakInter(), "RSA key of only 1024 bits", false},
		{"SHA-1 signature", leafBy(ecKey(), x509.ECDSAWithSHA1), "signed with SHA-1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			cert := tls.Certificate{PrivateKey: tc.chain.key, Leaf: tc.chain.certs[0]}
			for _, c := range tc.chain.certs {
				cert.Certificate = append(cert.Certificate, c.Raw)
			}
			origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				io.WriteString(w, "the origin")
			}))
			origin.EnableHTTP2 = true
			origin.Config.ErrorLog = discardLog
			origin.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			if tc.tls12 {
				origin.TLS.MaxVersion = tls.VersionTLS12
			}
			origin.StartTLS()
			defer origin.Close()
			polaris := newTestCA(t, "Polaris test CA")
			tp := mitmProxy(t, polaris, upstream, nil, Policy{Protection: true}, HTTPSPolicy{})
			absolute := func() (int, string) { // a plain request for https://: Go's TLS
				resp, body := rawExchange(t, tp.Addr(), "GET "+origin.URL+"/ HTTP/1.1\r\nHost: "+origin.Listener.Addr().String()+"\r\nAccept: text/html\r\n\r\n")
				return resp.StatusCode, body
			}
			tunnel := func() (int, string) { // an intercepted tunnel: the client's hello, mirrored
				req, _ := http.NewRequest("GET", origin.URL+"/", nil)
				req.Header.Set("Accept", "text/html")
				resp, err := mitmClient(tp, polaris.pool).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			for _, path := range []struct {
				name string
				do   func() (int, string)
			}{{"Go's TLS", absolute}, {"the mirrored hello", tunnel}} {
				code, body := path.do()
				body = htmlUnescape(body)
				if tc.words == "" {
					if code != 200 || body != "the origin" {
						t.Errorf("%s: %d %.200q, want the origin's answer", path.name, code, body)
					}
					continue
				}
				if code != 502 || !strings.Contains(body, tc.words) {
					t.Errorf("%s: %d %.300q, want 502 saying %q", path.name, code, body, tc.words)
				}
			}
			if tc.words != "" && hits.Load() != 0 {
				t.Errorf("the origin got %d requests", hits.Load())
			}
		})
	}
}
