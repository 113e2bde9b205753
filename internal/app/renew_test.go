// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polaris/internal/ca"
)

// writeExpiringCA stores in dataDir a CA (as an older Polaris made it: ten
// years, no key usage limit) that expires in left.
func writeExpiringCA(t *testing.T, dataDir string, left time.Duration) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x4242), Subject: pkix.Name{CommonName: "Polaris local CA (0123456789ab)"},
		NotBefore: now.Add(left - 10*365*24*time.Hour), NotAfter: now.Add(left),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := filepath.Join(dataDir, "ca")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "ca.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}

// A CA 30 days from its expiry is renewed when Polaris starts: the new one
// is in force at once and installed where the old one was (a Firefox
// profile's NSS database, the system store), and the old one is gone from
// there.
func TestCARenewedAtStart(t *testing.T) {
	s := newTrustSandbox(t)
	ctx := context.Background()
	dataDir := t.TempDir()
	writeExpiringCA(t, dataDir, 30*24*time.Hour)
	a, err := Open(ctx, Options{DataDir: dataDir, Listen: "127.0.0.1:0", Trust: s.opts})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.InstallCA(ctx)
	if err != nil {
		t.Fatalf("InstallCA = %v\n%s", err, rep)
	}
	old := a.CAStatus()
	a.Close()
	if !strings.Contains(s.nss(t), "Polaris CA "+old.Fingerprint[:16]) || len(s.system()) != 1 {
		t.Fatalf("set-up: the expiring CA is not installed:\n%s\n%v", s.nss(t), s.system())
	}

	a, err = Open(ctx, Options{DataDir: dataDir, Listen: "127.0.0.1:0", Trust: s.opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	run(t, a)
	st := a.Snapshot().HTTPS.CA
	if st.Fingerprint == old.Fingerprint || st.NotAfter.Before(time.Now().Add(ca.RenewBefore)) {
		t.Fatalf("after the start: CA %.16s valid until %s; want a new one, valid for years", st.Fingerprint, st.NotAfter)
	}
	nss := s.nss(t)
	if !strings.Contains(nss, "Polaris CA "+st.Fingerprint[:16]) || strings.Contains(nss, "Polaris CA "+old.Fingerprint[:16]) {
		t.Errorf("Firefox profile after renewal, want the new CA and not the old one:\n%s", nss)
	}
	sys := s.system()
	if len(sys) != 1 || !strings.Contains(sys[0], st.Fingerprint[:16]) {
		t.Errorf("system store after renewal: %v, want only the new CA", sys)
	}
	pemNew, _ := a.CACertificate(false)
	if !strings.Contains(s.bundle(), string(pemNew)) {
		t.Error("the system bundle lacks the renewed CA")
	}
	cfg, err := a.tlsConfigForHost("example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Certificates[0].Leaf.Issuer.CommonName; got != a.hx.ca.Load().Certificate().Subject.CommonName || got == "Polaris local CA (0123456789ab)" {
		t.Errorf("leaves are issued by %q, want the renewed CA", got)
	}
	if len(st.Installed) == 0 {
		t.Error("the status says the renewed CA is installed nowhere")
	}
}
