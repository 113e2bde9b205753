// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"crypto"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParsePair feeds arbitrary certificate and key files to the loader: it
// must never panic, and whatever it accepts must be a CA whose key matches.
func FuzzParsePair(f *testing.F) {
	c := loadTemp(f)
	key, _ := os.ReadFile(filepath.Join(c.Dir(), "ca.key"))
	f.Add(c.PEM(), key)
	f.Add(c.PEM(), []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"), key)
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		cert, k, err := parsePair("dir", certPEM, keyPEM)
		if err != nil {
			return
		}
		if !cert.IsCA {
			t.Errorf("accepted a non-CA certificate")
		}
		if pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
			t.Errorf("accepted a key that does not match")
		}
	})
}

// FuzzParseRoots feeds arbitrary upstream CA files.
func FuzzParseRoots(f *testing.F) {
	c := loadTemp(f)
	f.Add(c.PEM())
	f.Add(append([]byte("# comment\n"), append(c.PEM(), c.PEM()...)...))
	f.Add([]byte("-----BEGIN TRUSTED CERTIFICATE-----\nMAA=\n-----END TRUSTED CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := parseRoots(data)
		if err == nil && len(certs) == 0 {
			t.Error("no error and no certificates")
		}
	})
}

// FuzzParseManifest: whatever parses must survive a write and read back
// unchanged.
func FuzzParseManifest(f *testing.F) {
	fp := strings.Repeat("ab", 32)
	f.Add([]byte(`{"version":1,"certs":{"` + fp + `":"pem"},"entries":[{"kind":"nss","label":"Firefox profile 'x'","path":"/p","nickname":"Polaris CA abababababababab","fingerprint":"` + fp + `","added":"2025-01-02T03:04:05Z"}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"entries":[{"kind":"debian","label":"system store","fingerprint":"zz"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(data)
		if err != nil {
			return
		}
		m.Version = 1
		if m.Entries == nil {
			m.Entries = []entry{}
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		m2, err := parseManifest(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if diff := cmp.Diff(m, m2, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("manifest changed on a round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzParseNSSList feeds arbitrary certutil -L output.
func FuzzParseNSSList(f *testing.F) {
	f.Add([]byte("Certificate Nickname  Trust Attributes\n  SSL,S/MIME,JAR/XPI\n\nPolaris CA 0123  C,,\n"))
	f.Add([]byte("x\ty,,\n \t,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for nick, flags := range parseNSSList(data) {
			if nick == "" || !isTrustFlags(flags) {
				t.Errorf("entry %q -> %q", nick, flags)
			}
		}
	})
}

// FuzzNormalizeHost feeds arbitrary CONNECT hosts: no panic, and an
// accepted host normalizes to itself (the cache key is canonical).
func FuzzNormalizeHost(f *testing.F) {
	for _, h := range []string{"example.com:443", "[::1]:8443", "EXAMPLE.com.", "bücher.example", "1.2.3.4", "[fe80::1%25eth0]", "a:b", "", "_x.y"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		key, ip, err := normalizeHost(h)
		if err != nil {
			return
		}
		if !ip.IsValid() && !validDNSName(key) {
			t.Errorf("normalizeHost(%q) = %q, not a valid DNS name", h, key)
		}
		key2, ip2, err := normalizeHost(key)
		if err != nil || key2 != key || ip2 != ip {
			t.Errorf("normalizeHost(%q) = %q; normalizing that again = %q, %v, %v", h, key, key2, ip2, err)
		}
	})
}
