// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A root that is trusted for ten years and for every purpose outlives the
// install it belongs to: Polaris removed without uninstalling it, or a
// backup holding its key, leaves a key that can sign anything, code and
// e-mail included (the system store trusts a root for every purpose). The
// root lasts two years and is for TLS servers only.
func TestCAValidityAndPurpose(t *testing.T) {
	before := time.Now()
	c := loadTemp(t)
	cert := c.Certificate()
	if life := cert.NotAfter.Sub(cert.NotBefore); life > 2*366*24*time.Hour || life < 2*364*24*time.Hour {
		t.Errorf("CA valid %v (%s to %s), want two years", life, cert.NotBefore, cert.NotAfter)
	}
	if cert.NotAfter.Before(before.Add(caValidity - time.Minute)) {
		t.Errorf("new CA expires %s, want two years from now", cert.NotAfter)
	}
	if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("CA ExtKeyUsage = %v, want server authentication only", cert.ExtKeyUsage)
	}
	// What a stolen key would sign: a code-signing and a client certificate.
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, tc := range []struct {
		name string
		eku  x509.ExtKeyUsage
		ok   bool
	}{
		{"TLS server", x509.ExtKeyUsageServerAuth, true},
		{"code signing", x509.ExtKeyUsageCodeSigning, false},
		{"e-mail", x509.ExtKeyUsageEmailProtection, false},
		{"TLS client", x509.ExtKeyUsageClientAuth, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			serial, _ := randomSerial()
			tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "x.example"},
				DNSNames: []string{"x.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
				KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{tc.eku}}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, cert, key.Public(), c.key)
			if err != nil {
				t.Fatal(err)
			}
			leaf, _ := x509.ParseCertificate(der)
			_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{tc.eku}})
			if (err == nil) != tc.ok {
				t.Errorf("a %s certificate signed by the CA: verify error %v, want accepted=%v", tc.name, err, tc.ok)
			}
		})
	}
}

// writeCAFrom stores in dir a CA generated as if at issued.
func writeCAFrom(t *testing.T, dir string, issued time.Time) {
	t.Helper()
	if err := ensureDir(dir); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := newPair(issued)
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(dir, keyFile, keyPEM); err != nil {
		t.Fatal(err)
	}
	if err := publish(dir, certFile, certPEM); err != nil {
		t.Fatal(err)
	}
}

func TestDue(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name string
		left time.Duration
		want bool
	}{
		{"new", caValidity, false},
		{"61 days left", 61 * 24 * time.Hour, false},
		{"59 days left", 59 * 24 * time.Hour, true},
		{"expired", -time.Hour, true},
	} {
		dir := filepath.Join(t.TempDir(), "ca")
		writeCAFrom(t, dir, now.Add(tc.left-caValidity))
		c, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := Due(c, now); got != tc.want {
			t.Errorf("%s: Due = %v, want %v (expires %s)", tc.name, got, tc.want, c.cert.NotAfter)
		}
	}
}

// A CA near its expiry is replaced at start by a new one, which goes where
// the old one was installed (two Firefox profiles' NSS databases and the
// system store, from the manifest), and the old one leaves them.
func TestRenewReinstalls(t *testing.T) {
	ctx := context.Background()
	h := newFirefoxHome(t)
	s := newDebianSandbox(t)
	opts := h.opts()
	opts.System, opts.LinuxCertDir, opts.LinuxUpdate, opts.IsRoot = true, s.local, s.update, func() bool { return true }
	writeCAFrom(t, h.caDir, time.Now().Add(30*24*time.Hour-caValidity)) // 30 days left
	old, err := Load(h.caDir)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := Install(ctx, opts); err != nil {
		t.Fatalf("Install = %v\n%s", err, r)
	}
	before, err := readManifest(h.caDir)
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]bool{} // databases Install created: Uninstall drops them
	for _, en := range before.Entries {
		created[en.Path] = en.CreatedDB
	}
	// A profile made after the install is not a place the CA was.
	later := filepath.Join(h.home, "profiles", "later")
	nssCreate(t, later)

	// Not due: nothing happens.
	if c, r, err := Renew(ctx, opts, 10*24*time.Hour); err != nil || c.fp != old.fp || len(r.Changes) != 0 {
		t.Fatalf("Renew with 30 days left and 10 to go = %v, %v, report %q; want the same CA, nothing done", c.Fingerprint(), err, r)
	}
	c, r, err := Renew(ctx, opts, RenewBefore)
	if err != nil {
		t.Fatalf("Renew = %v\n%s", err, r)
	}
	t.Logf("report:\n%s", r)
	if c.fp == old.fp {
		t.Fatal("Renew kept the expiring CA")
	}
	if c.cert.NotAfter.Before(time.Now().Add(caValidity - time.Hour)) {
		t.Errorf("renewed CA expires %s, want two years from now", c.cert.NotAfter)
	}
	if l, err := Load(h.caDir); err != nil || l.fp != c.fp {
		t.Fatalf("Load after Renew = %v, %v; want the renewed CA", l, err)
	}
	for _, db := range []string{h.release, h.work} {
		if got := nssTrustOf(t, db, c.Nickname()); got != "C,," {
			t.Errorf("%s: renewed CA trust %q, want C,,", db, got)
		}
		if got := nssTrustOf(t, db, old.Nickname()); got != "" {
			t.Errorf("%s: the expiring CA is still there (%q)", db, got)
		}
		if got := nssTrustOf(t, db, "Other CA"); db == h.release && got != "CT,C,C" {
			t.Errorf("%s: another CA's trust became %q", db, got)
		}
	}
	if got := nssTrustOf(t, later, c.Nickname()); got != "" {
		t.Errorf("a profile the old CA was never installed in got the renewed one (%q)", got)
	}
	if !fileExists(filepath.Join(s.local, "polaris-"+c.fp[:16]+".crt")) || fileExists(filepath.Join(s.local, "polaris-"+old.fp[:16]+".crt")) {
		t.Error("system store: want the renewed CA's file and not the old one's")
	}
	if b := s.bundle(t); !strings.Contains(b, string(c.PEM())) || strings.Contains(b, string(old.PEM())) {
		t.Error("system bundle: want the renewed CA in it and the old one out")
	}
	m, err := readManifest(h.caDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range m.Entries {
		if en.Fingerprint != c.fp {
			t.Errorf("manifest still records %s in %s", en.Fingerprint[:16], en.Label)
		}
		if en.CreatedDB != created[en.Path] {
			t.Errorf("manifest: %s created by Polaris = %v, was %v", en.Label, en.CreatedDB, created[en.Path])
		}
	}
	if len(m.Entries) != len(before.Entries) || m.Certs[old.fp] == "" {
		t.Errorf("manifest: %d entries (want %d), old certificate kept: %v", len(m.Entries), len(before.Entries), m.Certs[old.fp] != "")
	}
	// The renewed CA uninstalls as cleanly as the first one.
	if r, err := Uninstall(ctx, opts); err != nil {
		t.Fatalf("Uninstall = %v\n%s", err, r)
	}
	for _, db := range []string{h.release, h.work} {
		if got := nssTrustOf(t, db, c.Nickname()); got != "" {
			t.Errorf("%s: renewed CA still there after Uninstall", db)
		}
	}
	if created[h.neverOpened] {
		if _, err := os.Stat(filepath.Join(h.neverOpened, "cert9.db")); err == nil {
			t.Error("the database Polaris created in a never-opened profile stayed after Uninstall")
		}
	}
}

// A renewal cut short by a crash leaves a pair Load can use.
func TestRenewInterrupted(t *testing.T) {
	for _, stage := range []string{"staged", "key renamed"} {
		t.Run(stage, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ca")
			writeCAFrom(t, dir, time.Now().Add(-caValidity))
			old, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			certPEM, keyPEM, _ := newPair(time.Now())
			os.WriteFile(filepath.Join(dir, nextCertFile), certPEM, 0o600)
			os.WriteFile(filepath.Join(dir, nextKeyFile), keyPEM, 0o600)
			want := old.fp
			if stage == "key renamed" {
				os.Rename(filepath.Join(dir, nextKeyFile), filepath.Join(dir, keyFile))
				c, _ := x509.ParseCertificate(mustBlock(t, certPEM))
				want = fingerprintOf(c)
			}
			c, err := Load(dir)
			if err != nil {
				t.Fatalf("Load after a crash (%s): %v", stage, err)
			}
			if c.fp != want {
				t.Errorf("Load after a crash (%s) gave %s, want %s", stage, c.fp[:16], want[:16])
			}
			for _, f := range []string{nextCertFile, nextKeyFile} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s left behind", f)
				}
			}
		})
	}
}

func mustBlock(t *testing.T, pemData []byte) []byte {
	t.Helper()
	b, err := onlyBlock(pemData, "CERTIFICATE")
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes
}

func fingerprintOf(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// Renewed by a user who is not root: the browsers' databases get the new
// CA; the system store, which needs root, keeps the old one (still in the
// manifest, for Uninstall) and the report gives the commands that add the
// new one.
func TestRenewWithoutRoot(t *testing.T) {
	ctx := context.Background()
	h := newFirefoxHome(t)
	s := newDebianSandbox(t)
	opts := h.opts()
	opts.System, opts.LinuxCertDir, opts.LinuxUpdate, opts.IsRoot = true, s.local, s.update, func() bool { return true }
	writeCAFrom(t, h.caDir, time.Now().Add(-caValidity-time.Hour)) // expired an hour ago
	old, err := Load(h.caDir)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := Install(ctx, opts); err != nil {
		t.Fatalf("Install = %v\n%s", err, r)
	}
	opts.IsRoot = func() bool { return false }
	c, r, err := Renew(ctx, opts, RenewBefore)
	if err != nil {
		t.Fatalf("Renew = %v\n%s", err, r)
	}
	if got := nssTrustOf(t, h.release, c.Nickname()); got != "C,," {
		t.Errorf("browser database: renewed CA trust %q, want C,,", got)
	}
	var sys *Change
	for i, ch := range r.Changes {
		if ch.Store == systemLabel {
			sys = &r.Changes[i]
		}
	}
	newFile := filepath.Join(s.local, "polaris-"+c.fp[:16]+".crt")
	if sys == nil || sys.Action != NeedsRoot || len(sys.Commands) == 0 || !strings.Contains(sys.String(), newFile) {
		t.Fatalf("system store in the report: %+v, want needs root with the commands adding %s\n%s", sys, newFile, r)
	}
	if !strings.Contains(sys.Detail, "expiring certificate stays") {
		t.Errorf("the report does not say the old CA stays: %q", sys.Detail)
	}
	if !fileExists(filepath.Join(s.local, "polaris-"+old.fp[:16]+".crt")) {
		t.Error("the old CA left the system store although the new one could not be added")
	}
	m, _ := readManifest(h.caDir)
	kept := false
	for _, en := range m.Entries {
		kept = kept || (en.Kind == kindDebian && en.Fingerprint == old.fp)
	}
	if !kept {
		t.Error("the manifest forgot the old CA in the system store: Uninstall would leave it there")
	}
}
