// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtraRoots(t *testing.T) {
	upstream := loadTemp(t) // stands for a corporate or test CA
	other := loadTemp(t)
	leaf, err := upstream.LeafFor("origin.test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "extra.pem")
	content := "# Corporate roots\n" + string(other.PEM()) + "Issuer: test\n" + string(upstream.PEM())
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	pool, err := ExtraRoots(file)
	if err != nil {
		t.Fatalf("ExtraRoots(%s) = %v", file, err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "origin.test"}); err != nil {
		t.Errorf("leaf of the extra CA does not verify with ExtraRoots: %v", err)
	}
	sys, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*CA{other, upstream} {
		sys.AddCert(c.Certificate())
	}
	if !pool.Equal(sys) {
		t.Error("ExtraRoots pool is not the system roots plus the file's certificates")
	}

	plain, err := ExtraRoots("")
	if err != nil {
		t.Fatalf(`ExtraRoots("") = %v`, err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: plain, DNSName: "origin.test"}); err == nil {
		t.Error(`ExtraRoots("") trusts the extra CA`)
	}
	if sysOnly, _ := x509.SystemCertPool(); !plain.Equal(sysOnly) {
		t.Error(`ExtraRoots("") is not the system pool`)
	}
}

func TestExtraRootsErrors(t *testing.T) {
	dir := t.TempDir()
	good := loadTemp(t).PEM()
	key, _ := os.ReadFile(filepath.Join(loadTemp(t).Dir(), "ca.key"))
	badDER := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("nope")})
	tests := []struct {
		name    string
		content []byte // nil: no file
		wantIn  string
	}{
		{"missing", nil, "no such file"},
		{"empty", []byte{}, "no PEM certificate found"},
		{"text", []byte("not a certificate\n"), "no PEM certificate found"},
		{"private key", append(append([]byte{}, good...), key...), `PEM block 2 is "PRIVATE KEY"`},
		{"bad certificate", append(append([]byte{}, good...), badDER...), "PEM block 2: x509"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".pem")
			if tt.content != nil {
				os.WriteFile(path, tt.content, 0o644)
			}
			pool, err := ExtraRoots(path)
			if err == nil || pool != nil {
				t.Fatalf("ExtraRoots(%s) = %v, %v; want an error", tt.name, pool, err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) || !strings.Contains(err.Error(), path) {
				t.Errorf("ExtraRoots error = %q, want it to name %s and contain %q", err, path, tt.wantIn)
			}
			if tt.content == nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("missing file error %v is not fs.ErrNotExist", err)
			}
		})
	}
}
