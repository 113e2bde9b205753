// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func loadTemp(t testing.TB, opts ...Option) *CA {
	t.Helper()
	c, err := Load(filepath.Join(t.TempDir(), "ca"), opts...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLoadGeneratesOnceAndReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	before := time.Now()
	c1, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(new dir) = %v", err)
	}
	c2, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(existing dir) = %v", err)
	}
	if c1.Fingerprint() != c2.Fingerprint() {
		t.Errorf("second Load fingerprint = %s, want %s (the stored CA)", c2.Fingerprint(), c1.Fingerprint())
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")} {
			if got := mode(t, p); got != 0o600 {
				t.Errorf("mode of %s = %v, want 0600", p, got)
			}
		}
		if got := mode(t, dir); got != 0o700 {
			t.Errorf("mode of %s = %v, want 0700", dir, got)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temp files left behind: %v", left)
	}

	cert := c1.Certificate()
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key = %T, want ECDSA P-256", cert.PublicKey)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid || cert.MaxPathLen != 0 || !cert.MaxPathLenZero {
		t.Errorf("basic constraints: IsCA=%v valid=%v MaxPathLen=%d zero=%v, want CA with path length 0",
			cert.IsCA, cert.BasicConstraintsValid, cert.MaxPathLen, cert.MaxPathLenZero)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; cert.KeyUsage != want {
		t.Errorf("KeyUsage = %v, want %v", cert.KeyUsage, want)
	}
	if !strings.HasPrefix(cert.Subject.CommonName, "Polaris local CA (") || len(cert.Subject.CommonName) != len("Polaris local CA (0123456789ab)") {
		t.Errorf("CommonName = %q, want \"Polaris local CA (<12 hex digits>)\"", cert.Subject.CommonName)
	}
	if host, _ := os.Hostname(); host != "" && strings.Contains(cert.Subject.String(), host) {
		t.Errorf("subject %q contains the host name", cert.Subject)
	}
	if d := cert.NotAfter.Sub(before); d < 2*364*24*time.Hour || d > 2*366*24*time.Hour {
		t.Errorf("validity ends in %v, want about 2 years (renewed in its last %v)", d, RenewBefore)
	}
	if cert.NotBefore.After(before.Add(-50 * time.Minute)) {
		t.Errorf("NotBefore = %v, want backdated about an hour before %v", cert.NotBefore, before)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
}

func TestTwoDirsGiveTwoCAs(t *testing.T) {
	a, b := loadTemp(t), loadTemp(t)
	if a.Fingerprint() == b.Fingerprint() {
		t.Fatal("two directories gave the same CA")
	}
	if a.Certificate().Subject.CommonName == b.Certificate().Subject.CommonName {
		t.Errorf("two CAs share the name %q; want distinguishable names", a.Certificate().Subject.CommonName)
	}
	if a.Certificate().SerialNumber.Cmp(b.Certificate().SerialNumber) == 0 {
		t.Error("two CAs share a serial number")
	}
}

func TestLoadConcurrentFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	const n = 8
	fps := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Load(dir)
			errs[i] = err
			if err == nil {
				fps[i] = c.Fingerprint()
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Load %d: %v", i, errs[i])
		}
		if fps[i] != fps[0] {
			t.Errorf("Load %d fingerprint = %s, want %s: concurrent first starts made two CAs", i, fps[i], fps[0])
		}
	}
}

func TestLoadTightensModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	c := loadTemp(t)
	dir := c.Dir()
	os.Chmod(filepath.Join(dir, "ca.key"), 0o644)
	os.Chmod(filepath.Join(dir, "ca.pem"), 0o666)
	os.Chmod(dir, 0o755)
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"ca.key": 0o600, "ca.pem": 0o600, "": 0o700} {
		if got := mode(t, filepath.Join(dir, name)); got != want {
			t.Errorf("mode of %q after Load = %v, want %v", name, got, want)
		}
	}
}

func TestLoadCorruptFiles(t *testing.T) {
	other := loadTemp(t)
	otherKey, _ := os.ReadFile(filepath.Join(other.Dir(), "ca.key"))
	leafPEM := func() []byte {
		l, err := other.LeafFor("example.com")
		if err != nil {
			t.Fatal(err)
		}
		return pemCert(l.Certificate[0])
	}()
	sec1 := func(c *CA) []byte {
		der, err := x509.MarshalECPrivateKey(c.key.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}

	tests := []struct {
		name    string
		file    string // file to spoil ("ca.pem" or "ca.key")
		content []byte // nil removes it
		wantIn  string // in the error message
	}{
		{"garbage certificate", "ca.pem", []byte("hello"), "no PEM data"},
		{"empty key", "ca.key", []byte{}, "no PEM data"},
		{"truncated key", "ca.key", []byte("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n"), "no PEM data"},
		{"key of another CA", "ca.key", otherKey, "does not belong"},
		{"certificate not a CA", "ca.pem", leafPEM, "not a CA"},
		{"key in certificate file", "ca.pem", otherKey, `"PRIVATE KEY", want CERTIFICATE`},
		{"two certificates", "ca.pem", append(pemCert(other.cert.Raw), pemCert(other.cert.Raw)...), "unexpected data"},
		{"bad DER", "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}}), "x509"},
		{"certificate missing", "ca.pem", nil, "missing while ca.key exists"},
		{"key missing", "ca.key", nil, "missing while ca.pem exists"},
		{"huge file", "ca.pem", bytes.Repeat([]byte("A"), maxFileSize+1), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadTemp(t)
			dir := c.Dir()
			path := filepath.Join(dir, tt.file)
			if tt.content == nil {
				os.Remove(path)
				// An old half-written CA: Load must not wait for another process.
				hourAgo := time.Now().Add(-time.Hour)
				os.Chtimes(filepath.Join(dir, "ca.key"), hourAgo, hourAgo)
			} else if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			snap := snapshotDir(t, dir)

			_, err := Load(dir)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load = %v, want ErrCorrupt", err)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path {
				t.Errorf("Load error %v: FileError path = %v, want %s", err, fe, path)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("Load error = %q, want it to contain %q", err, tt.wantIn)
			}
			if diff := cmp.Diff(snap, snapshotDir(t, dir)); diff != "" {
				t.Errorf("Load changed the directory (-before +after):\n%s", diff)
			}
		})
	}

	t.Run("SEC1 key accepted", func(t *testing.T) {
		c := loadTemp(t)
		os.WriteFile(filepath.Join(c.Dir(), "ca.key"), sec1(c), 0o600)
		c2, err := Load(c.Dir())
		if err != nil || c2.Fingerprint() != c.Fingerprint() {
			t.Errorf("Load with an EC PRIVATE KEY = %v, want the same CA", err)
		}
	})
}

// snapshotDir maps file names in dir to their contents.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m[e.Name()] = string(b)
	}
	return m
}

func TestAccessors(t *testing.T) {
	c := loadTemp(t)
	sum := sha256.Sum256(c.Certificate().Raw)
	if got, want := c.Fingerprint(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Fingerprint() = %s, want %s", got, want)
	}
	if !bytes.Equal(c.DER(), c.Certificate().Raw) {
		t.Error("DER() differs from the certificate")
	}
	onDisk, _ := os.ReadFile(filepath.Join(c.Dir(), "ca.pem"))
	if !bytes.Equal(c.PEM(), onDisk) {
		t.Errorf("PEM() = %q, want the stored file %q", c.PEM(), onDisk)
	}
	p := c.PEM()
	p[0] = 'X'
	if c.PEM()[0] == 'X' {
		t.Error("PEM() returned shared bytes")
	}
	if got, want := c.CertPath(), filepath.Join(c.Dir(), "ca.pem"); got != want {
		t.Errorf("CertPath() = %s, want %s", got, want)
	}
	if got, want := c.Nickname(), "Polaris CA "+c.Fingerprint()[:16]; got != want {
		t.Errorf("Nickname() = %q, want %q", got, want)
	}
	if s := serialHex(c.cert); len(s) != 32 || s[0] < '4' || s[0] > '7' {
		t.Errorf("serial %s: want 32 hex digits starting with 4-7", s)
	}

	st := c.Status()
	if !st.Present || st.Fingerprint != c.Fingerprint() || st.Subject != c.Certificate().Subject.CommonName ||
		!st.NotAfter.Equal(c.Certificate().NotAfter) || len(st.Installed) != 0 {
		t.Errorf("Status() = %+v, want present, matching the certificate, installed nowhere", st)
	}
	m := manifest{Version: 1, Entries: []entry{
		{Kind: kindNSS, Label: "Firefox profile 'x'", Path: "/p", Fingerprint: c.fp},
		{Kind: kindNSS, Label: "Firefox profile 'old'", Path: "/q", Fingerprint: strings.Repeat("0", 64)},
	}}
	if err := writeManifest(c.Dir(), m); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Status().Installed, []string{"Firefox profile 'x'"}; !cmp.Equal(got, want) {
		t.Errorf("Status().Installed = %q, want %q", got, want)
	}
}

func TestRegenerate(t *testing.T) {
	t.Run("valid CA is replaced and deleted", func(t *testing.T) {
		old := loadTemp(t)
		c, err := Regenerate(old.Dir())
		if err != nil {
			t.Fatalf("Regenerate = %v", err)
		}
		if c.Fingerprint() == old.Fingerprint() {
			t.Error("Regenerate kept the old CA")
		}
		if again, _ := Load(old.Dir()); again == nil || again.Fingerprint() != c.Fingerprint() {
			t.Error("Load after Regenerate does not return the new CA")
		}
		var names []string
		for n := range snapshotDir(t, old.Dir()) {
			names = append(names, n)
		}
		if len(names) != 2 {
			t.Errorf("files after Regenerate = %q, want only ca.pem and ca.key (the old key deleted)", names)
		}
	})
	t.Run("corrupt files are moved aside", func(t *testing.T) {
		old := loadTemp(t)
		keyPath := filepath.Join(old.Dir(), "ca.key")
		os.WriteFile(keyPath, []byte("spoilt"), 0o600)
		oldCert, _ := os.ReadFile(old.CertPath())
		c, err := Regenerate(old.Dir())
		if err != nil {
			t.Fatalf("Regenerate = %v", err)
		}
		if c.Fingerprint() == old.Fingerprint() {
			t.Error("Regenerate kept the old certificate")
		}
		keys, _ := filepath.Glob(keyPath + ".bad-*")
		certs, _ := filepath.Glob(old.CertPath() + ".bad-*")
		if len(keys) != 1 || len(certs) != 1 {
			t.Fatalf("set-aside files: keys %q, certs %q; want one of each", keys, certs)
		}
		if b, _ := os.ReadFile(keys[0]); string(b) != "spoilt" {
			t.Errorf("set-aside key = %q, want the original content", b)
		}
		if b, _ := os.ReadFile(certs[0]); !bytes.Equal(b, oldCert) {
			t.Error("set-aside certificate differs from the original")
		}
	})
	t.Run("refused while installed", func(t *testing.T) {
		old := loadTemp(t)
		writeManifest(old.Dir(), manifest{Entries: []entry{{Kind: kindNSS, Label: "Firefox profile 'default'", Fingerprint: old.fp}}})
		_, err := Regenerate(old.Dir())
		if !errors.Is(err, ErrStillInstalled) || !strings.Contains(err.Error(), "Firefox profile 'default'") {
			t.Errorf("Regenerate = %v, want ErrStillInstalled naming the store", err)
		}
		if c, _ := Load(old.Dir()); c.Fingerprint() != old.Fingerprint() {
			t.Error("refused Regenerate changed the CA")
		}
	})
	t.Run("empty dir", func(t *testing.T) {
		c, err := Regenerate(filepath.Join(t.TempDir(), "new"))
		if err != nil || c == nil {
			t.Errorf("Regenerate(empty dir) = %v", err)
		}
	})
}

func TestLoadNoDir(t *testing.T) {
	if _, err := Load(""); err == nil {
		t.Error(`Load("") = nil error`)
	}
}
