// SPDX-License-Identifier: GPL-3.0-or-later

// Package ca is Polaris's per-install certificate authority: it loads or
// generates the root CA once (ECDSA P-256, crypto/rand, files 0600 in a 0700
// directory), issues cached leaf certificates for the hosts the proxy
// intercepts, and installs or removes the root in the user's trust stores
// (Firefox and Chromium NSS databases via certutil, and the operating
// system's store).
//
// The package imports only the standard library, golang.org/x/net and the
// pure leaf internal/status. It never uses goproxy's built-in CA, whose
// private key is public.
//
// Files in the CA directory:
//
//	ca.pem      the root certificate (PEM), mode 0600
//	ca.key      its private key (PKCS #8 PEM), mode 0600
//	trust.json  the manifest of what Install added to trust stores
//
// A CA file that exists but cannot be used is never overwritten: Load
// returns a *FileError, and Regenerate moves such files aside.
//
// # Leaf certificates
//
// TLSConfigForHost (for the proxy's MITM hook) and LeafFor issue a leaf per
// host: ECDSA P-256, the host as the only subject alternative name, NotBefore
// an hour back, 90 days of life. Leaves stay in memory only, in a bounded LRU
// (WithLeafCacheSize, default 1024); concurrent first requests for a host
// issue one leaf.
//
// # Trust stores
//
// Install, Uninstall and TrustStatus work on:
//
//   - the NSS databases (cert9.db) of Firefox-family profiles: ~/.mozilla/firefox,
//     the snap and Flatpak locations, and LibreWolf; profiles come from
//     profiles.ini and from any folder holding a database. A profile without a
//     database yet (never started) is skipped and reported: Polaris does not
//     initialise a profile behind Firefox's back.
//   - the shared NSS database of Chrome, Chromium, Brave, Edge, Vivaldi and
//     Opera on Linux, ~/.pki/nssdb (plus snap and Flatpak Chromium/Chrome/Brave).
//     When it is missing but one of those browsers is installed (its folder
//     under ~/.config exists), Install creates it, exactly as the browser
//     would on its first start, so that a never-started browser trusts the CA
//     too; Uninstall deletes it again if it then holds nothing. Without such a
//     browser nothing is created.
//   - with TrustOptions.System, the operating system's store: Linux
//     update-ca-certificates (/usr/local/share/ca-certificates/polaris-<fp16>.crt)
//     or p11-kit's `trust anchor`, root only (otherwise the report gives the
//     exact sudo commands); the macOS login keychain (`security`); the Windows
//     current-user Root store (`certutil -user`).
//
// In NSS the CA is named "Polaris CA <first 16 hex digits of its SHA-256
// fingerprint>" with trust "C,," (a CA for TLS servers only). Install records
// what it added in trust.json; Uninstall removes exactly that, plus
// certificates carrying one of this directory's CA names (found again when
// the manifest was lost). A copy of the CA that the user imported by hand
// under another name is left alone. Every outcome is a Change in a Report
// that says in plain words what happened where.
package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"polaris/internal/status"
)

// Validity of a new root certificate: two years, renewed in its last
// RenewBefore (see renew.go and docs/HTTPS.md). A root left behind (Polaris
// removed without uninstalling it, a backup holding its key) stops being
// of use to whoever holds the key within two years; shorter would make
// people type a password for the system store more often.
const caValidity = 2 * 365 * 24 * time.Hour

// backdate is how far NotBefore is set in the past, so that clocks a little
// behind still accept a new certificate.
const backdate = time.Hour

// DefaultLeafCacheSize is the number of leaf certificates kept when no
// WithLeafCacheSize option is given.
const DefaultLeafCacheSize = 1024

// Sentinel errors; test for them with errors.Is.
var (
	// ErrCorrupt marks a CA file that exists but cannot be used (unreadable,
	// not PEM, wrong type, key and certificate do not match, or one of the
	// pair missing). The file is left as it is.
	ErrCorrupt = errors.New("CA file is corrupt")
	// ErrStillInstalled is returned by Regenerate while the trust-store
	// manifest says the current CA is installed somewhere: Uninstall first.
	ErrStillInstalled = errors.New("the CA is still installed in trust stores")
	// ErrExpired is returned when issuing a leaf from a CA past its NotAfter.
	ErrExpired = errors.New("the Polaris CA has expired; regenerate it")
	// ErrBadHost is returned for a host name no certificate can be issued for.
	ErrBadHost = errors.New("not a valid host name or IP address")
)

// FileError reports a CA file that exists but cannot be used. The file is
// left untouched; Regenerate moves it aside.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("CA file %s cannot be used: %v (left as it is; regenerating the CA moves it aside)", e.Path, e.Err)
}

// Unwrap lets errors.Is match both ErrCorrupt and the underlying cause.
func (e *FileError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// Option configures Load and Regenerate.
type Option func(*options)

type options struct {
	leafCacheSize int
}

// WithLeafCacheSize bounds the leaf-certificate cache to n entries
// (least recently used evicted first). n <= 0 means DefaultLeafCacheSize.
func WithLeafCacheSize(n int) Option {
	return func(o *options) { o.leafCacheSize = n }
}

func buildOptions(opts []Option) options {
	o := options{leafCacheSize: DefaultLeafCacheSize}
	for _, f := range opts {
		f(&o)
	}
	if o.leafCacheSize <= 0 {
		o.leafCacheSize = DefaultLeafCacheSize
	}
	return o
}

// CA is a loaded root certificate authority. Its methods are safe for
// concurrent use. It holds the private key in memory; it never writes files
// after Load.
type CA struct {
	dir    string
	cert   *x509.Certificate
	key    crypto.Signer
	pem    []byte
	fp     string // SHA-256 of the DER, lowercase hex
	sha1   string // SHA-1 of the DER, uppercase hex (macOS, Windows tools)
	leaves *leafCache
	ticket [32]byte // session ticket key shared by all leaf configs
	now    func() time.Time
}

// Load returns the CA stored in dir, generating and storing a new one if dir
// holds none. dir is created with mode 0700 if needed; the files are written
// atomically with mode 0600, and looser modes on existing files are
// tightened. A file that exists but cannot be used gives a *FileError
// (errors.Is(err, ErrCorrupt)) and is never overwritten. Two directories
// always hold two different CAs.
func Load(dir string, opts ...Option) (*CA, error) {
	if dir == "" {
		return nil, errors.New("loading CA: no directory given")
	}
	if err := ensureDir(dir); err != nil {
		return nil, fmt.Errorf("loading CA: %w", err)
	}
	certPEM, keyPEM, err := readOrCreate(dir)
	if err != nil {
		return nil, fmt.Errorf("loading CA: %w", err)
	}
	return newCA(dir, certPEM, keyPEM, buildOptions(opts))
}

func newCA(dir string, certPEM, keyPEM []byte, o options) (*CA, error) {
	cert, key, err := parsePair(dir, certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading CA: %w", err)
	}
	c := &CA{
		dir:    dir,
		cert:   cert,
		key:    key,
		pem:    pemCert(cert.Raw),
		leaves: newLeafCache(o.leafCacheSize),
		now:    time.Now,
	}
	sum := sha256.Sum256(cert.Raw)
	c.fp = hex.EncodeToString(sum[:])
	s1 := sha1.Sum(cert.Raw)
	c.sha1 = fmt.Sprintf("%X", s1[:])
	if _, err := rand.Read(c.ticket[:]); err != nil {
		return nil, fmt.Errorf("loading CA: session ticket key: %w", err)
	}
	return c, nil
}

// Dir returns the directory the CA was loaded from.
func (c *CA) Dir() string { return c.dir }

// CertPath returns the path of the root certificate file (PEM) in Dir.
func (c *CA) CertPath() string { return joinPath(c.dir, certFile) }

// Certificate returns the parsed root certificate. It is shared: callers
// must not modify it.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// PEM returns the root certificate in PEM form (a fresh copy), e.g. for
// `polaris ca export` or the proxy's download page.
func (c *CA) PEM() []byte { return append([]byte(nil), c.pem...) }

// DER returns the root certificate in DER form (a fresh copy), e.g. for
// `polaris ca export --der`.
func (c *CA) DER() []byte { return append([]byte(nil), c.cert.Raw...) }

// Fingerprint returns the SHA-256 fingerprint of the root certificate as 64
// lowercase hex digits.
func (c *CA) Fingerprint() string { return c.fp }

// Nickname is the name under which the CA is stored in NSS databases: it
// contains the first 16 hex digits of the fingerprint, so that two installs
// never clash and Uninstall never touches another certificate.
func (c *CA) Nickname() string { return nickname(c.fp) }

func nickname(fp string) string { return "Polaris CA " + fp[:16] }

// Status describes the CA for the status snapshot. Installed lists the trust
// stores the manifest records for this CA (reading a small file in Dir; a
// missing or unreadable manifest gives none). It does not run any tool:
// TrustStatus checks the stores themselves.
func (c *CA) Status() status.CA {
	st := status.CA{
		Present:     true,
		Subject:     c.cert.Subject.CommonName,
		Fingerprint: c.fp,
		NotAfter:    c.cert.NotAfter,
	}
	if m, err := readManifest(c.dir); err == nil {
		for _, e := range m.Entries {
			if e.Fingerprint == c.fp {
				st.Installed = append(st.Installed, e.Label)
			}
		}
	}
	return st
}

// generate makes a new root certificate and key.
func generate(now time.Time) (certDER []byte, key *ecdsa.PrivateKey, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating CA key: %w", err)
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return nil, nil, fmt.Errorf("generating CA name: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   fmt.Sprintf("Polaris local CA (%x)", id),
			Organization: []string{"Polaris"},
		},
		NotBefore: now.Add(-backdate),
		NotAfter:  now.Add(caValidity),
		KeyUsage:  x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		// For TLS servers only. Verifiers that read a CA's extended key
		// usage (Windows, macOS, Go; NSS for its intermediates) then refuse
		// what its key signs for code, e-mail or client authentication, even
		// from the system store, where a root is otherwise trusted for every
		// purpose. It excludes nothing Polaris issues.
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing CA certificate: %w", err)
	}
	return certDER, key, nil
}

// randomSerial returns a positive 128-bit serial whose first byte is in
// 0x40..0x7f: no sign padding and no leading zero, so its hex form is the
// same everywhere (Windows certutil looks certificates up by it).
func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	b[0] = b[0]&0x3f | 0x40
	return new(big.Int).SetBytes(b), nil
}

// serialHex is the serial in the form Windows certutil takes.
func serialHex(cert *x509.Certificate) string {
	return hex.EncodeToString(cert.SerialNumber.Bytes())
}

// serverCipherSuites are the TLS 1.2 suites a leaf is served with: ECDHE
// with an AEAD only (no CBC, no SHA-1 MAC, no static RSA). TLS 1.3's suites
// are all AEAD and not configurable.
var serverCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// serverProtocols are the ALPN protocols a leaf is served with, in the
// server's order of preference: the proxy's interception server speaks
// HTTP/2 and HTTP/1.1.
var serverProtocols = []string{"h2", "http/1.1"}

// leafTLSConfig builds the server configuration for one leaf.
func (c *CA) leafTLSConfig(cert *tls.Certificate) *tls.Config {
	cfg := &tls.Config{
		Certificates: []tls.Certificate{*cert},
		NextProtos:   serverProtocols,
		MinVersion:   tls.VersionTLS12,
		CipherSuites: serverCipherSuites,
	}
	// One ticket key for every leaf: clones of this config (goproxy clones
	// per connection) then resume each other's sessions.
	cfg.SetSessionTicketKeys([][32]byte{c.ticket})
	return cfg
}
