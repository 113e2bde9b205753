// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxRootsFile bounds an extra CA file; system bundles are about 250 KiB.
const maxRootsFile = 16 << 20

// ExtraRoots returns a new pool with the system roots plus every
// certificate in the PEM file at path (the https.upstream-ca setting, for
// corporate networks and tests). path "" gives the system roots alone. A
// missing or unreadable file, a file without certificates, or any PEM block
// that is not a parsable certificate is an error naming the file (and the
// block); nothing is silently skipped. Text between PEM blocks (comments in
// bundles) is ignored.
func ExtraRoots(path string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("loading system roots: %w", err)
	}
	if path == "" {
		return pool, nil
	}
	certs, err := readRootsFile(path)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

func readRootsFile(path string) ([]*x509.Certificate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading upstream CA file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRootsFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading upstream CA file %s: %w", path, err)
	}
	if len(data) > maxRootsFile {
		return nil, fmt.Errorf("upstream CA file %s: larger than %d MiB", path, maxRootsFile>>20)
	}
	certs, err := parseRoots(data)
	if err != nil {
		return nil, fmt.Errorf("upstream CA file %s: %w", path, err)
	}
	return certs, nil
}

// parseRoots parses every PEM block of data as a certificate.
func parseRoots(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is %q, want CERTIFICATE", n, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}
