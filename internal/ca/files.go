// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"polaris/internal/atomicfile"
)

// File names inside the CA directory.
const (
	certFile = "ca.pem"
	keyFile  = "ca.key"
)

// maxFileSize bounds what is read from a CA file; ours are under 1 KiB.
const maxFileSize = 64 << 10

// ErrNoCA is returned by TrustStatus when the directory holds no CA yet.
var ErrNoCA = errors.New("no CA has been generated in this directory yet")

var errRaced = errors.New("another process created the CA at the same time")

func joinPath(dir, name string) string { return filepath.Join(dir, name) }

// ensureDir creates dir with mode 0700, or tightens an existing one that
// others can read.
func ensureDir(dir string) error {
	missing := missingDirs(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating CA directory: %w", err)
	}
	for _, d := range missing {
		inheritOwner(d)
	}
	return tighten(dir, 0o700)
}

// missingDirs returns dir and those of its parents that do not exist,
// outermost first.
func missingDirs(dir string) []string {
	var out []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		out = append([]string{d}, out...)
		if filepath.Dir(d) == d {
			break
		}
	}
	return out
}

// tighten removes group and other permission bits from path.
func tighten(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("restricting permissions of %s: %w", path, err)
	}
	return nil
}

// readOrCreate returns the stored certificate and key PEM, generating them
// first when dir holds neither. It waits briefly for another process that is
// generating the CA at the same moment.
func readOrCreate(dir string) (certPEM, keyPEM []byte, err error) {
	for attempt := 0; attempt < 50; attempt++ {
		certPEM, keyPEM, err = readFiles(dir)
		switch {
		case err == nil:
			return certPEM, keyPEM, nil
		case errors.Is(err, ErrNoCA):
			if err := create(dir); err != nil && !errors.Is(err, errRaced) {
				return nil, nil, err
			}
		case errors.Is(err, errIncomplete) && beingCreated(dir):
			time.Sleep(50 * time.Millisecond)
		default:
			return nil, nil, err
		}
	}
	return nil, nil, err
}

var errIncomplete = errors.New("incomplete CA")

// readFiles reads both files. Neither present is ErrNoCA; only one present
// is a *FileError wrapping errIncomplete.
func readFiles(dir string) (certPEM, keyPEM []byte, err error) {
	finishRenewal(dir)
	certPath, keyPath := joinPath(dir, certFile), joinPath(dir, keyFile)
	certOK, err := exists(certPath)
	if err != nil {
		return nil, nil, &FileError{Path: certPath, Err: err}
	}
	keyOK, err := exists(keyPath)
	if err != nil {
		return nil, nil, &FileError{Path: keyPath, Err: err}
	}
	switch {
	case !certOK && !keyOK:
		return nil, nil, ErrNoCA
	case !certOK:
		return nil, nil, &FileError{Path: certPath, Err: fmt.Errorf("%w: missing while %s exists", errIncomplete, keyFile)}
	case !keyOK:
		return nil, nil, &FileError{Path: keyPath, Err: fmt.Errorf("%w: missing while %s exists", errIncomplete, certFile)}
	}
	if keyPEM, err = readSmall(keyPath); err != nil {
		return nil, nil, err
	}
	if certPEM, err = readSmall(certPath); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// beingCreated reports whether dir holds a key without a certificate that
// is younger than a few seconds: create publishes the key first, so another
// process is probably about to publish the certificate.
func beingCreated(dir string) bool {
	fi, err := os.Stat(joinPath(dir, keyFile))
	return err == nil && time.Since(fi.ModTime()) < 3*time.Second
}

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// readSmall reads a CA file, tightening its mode to 0600 first.
func readSmall(path string) ([]byte, error) {
	if err := tighten(path, 0o600); err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	if len(b) > maxFileSize {
		return nil, &FileError{Path: path, Err: fmt.Errorf("larger than %d bytes", maxFileSize)}
	}
	return b, nil
}

// parsePair parses and checks a stored CA. Errors are *FileError naming the
// file at fault inside dir.
func parsePair(dir string, certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	certPath, keyPath := joinPath(dir, certFile), joinPath(dir, keyFile)
	cert, err := parseCACert(certPEM)
	if err != nil {
		return nil, nil, &FileError{Path: certPath, Err: err}
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, nil, &FileError{Path: keyPath, Err: err}
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, &FileError{Path: keyPath, Err: fmt.Errorf("the key does not belong to the certificate in %s", certFile)}
	}
	return cert, key, nil
}

// onlyBlock decodes the single PEM block of type want in data; anything but
// whitespace around it is an error.
func onlyBlock(data []byte, want ...string) (*pem.Block, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM data")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("unexpected data after the PEM block")
	}
	for _, w := range want {
		if block.Type == w {
			return block, nil
		}
	}
	return nil, fmt.Errorf("PEM block is %q, want %s", block.Type, strings.Join(want, " or "))
}

func parseCACert(data []byte) (*x509.Certificate, error) {
	block, err := onlyBlock(data, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return nil, errors.New("not a CA certificate")
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, errors.New("certificate may not sign certificates")
	}
	return cert, nil
}

func parseKey(data []byte) (crypto.Signer, error) {
	block, err := onlyBlock(data, "PRIVATE KEY", "EC PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	var k any
	if block.Type == "EC PRIVATE KEY" {
		k, err = x509.ParseECPrivateKey(block.Bytes)
	} else {
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return s, nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// create generates a CA and publishes it in dir without ever replacing an
// existing file: the key first, then the certificate. It returns errRaced
// when another process published first.
func create(dir string) error {
	certPEM, keyPEM, err := newPair(time.Now())
	if err != nil {
		return err
	}
	if err := publish(dir, keyFile, keyPEM); err != nil {
		return err
	}
	if err := publish(dir, certFile, certPEM); err != nil {
		// Do not leave our key beside someone else's certificate.
		if b, rerr := os.ReadFile(joinPath(dir, keyFile)); rerr == nil && bytes.Equal(b, keyPEM) {
			os.Remove(joinPath(dir, keyFile))
		}
		return err
	}
	return nil
}

// newPair generates a CA valid from now and returns its certificate and key
// in PEM.
func newPair(now time.Time) (certPEM, keyPEM []byte, err error) {
	certDER, key, err := generate(now)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding CA key: %w", err)
	}
	return pemCert(certDER), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// publish writes data to dir/name atomically with mode 0600, never
// replacing a file another process created first (errRaced).
func publish(dir, name string, data []byte) error {
	final := joinPath(dir, name)
	if err := atomicfile.WriteNew(final, data, 0o600); errors.Is(err, fs.ErrExist) {
		return errRaced
	} else if err != nil {
		return fmt.Errorf("writing %s: %w", final, err)
	}
	inheritOwner(final)
	return nil
}

// replaceFile atomically replaces dir/name with data.
func replaceFile(dir, name string, data []byte, mode fs.FileMode) error {
	p := joinPath(dir, name)
	if err := atomicfile.Write(p, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	inheritOwner(p)
	return nil
}

// setAside renames path to path.bad-<UTC time>, never replacing anything.
// It returns the new path.
func setAside(path string, now time.Time) (string, error) {
	base := path + ".bad-" + now.UTC().Format("20060102T150405Z")
	dst := base
	for i := 2; ; i++ {
		ok, err := exists(dst)
		if err != nil {
			return "", err
		}
		if !ok {
			break
		}
		dst = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("moving %s aside: %w", path, err)
	}
	return dst, nil
}

// Regenerate replaces the CA in dir with a new one and returns it. The
// caller uninstalls the old CA first (Uninstall needs only dir): while the
// manifest records any installation, Regenerate refuses with
// ErrStillInstalled. A valid old CA is deleted (its key must not outlive
// it); files that could not be loaded are moved aside as
// "<name>.bad-<time>". Leaf caches of CA values loaded earlier are not
// affected: the caller swaps in the returned CA.
func Regenerate(dir string, opts ...Option) (*CA, error) {
	if dir == "" {
		return nil, errors.New("regenerating CA: no directory given")
	}
	trustMu.Lock()
	defer trustMu.Unlock()
	m, err := readManifest(dir)
	if err != nil {
		return nil, fmt.Errorf("regenerating CA: %w; uninstall first (it sets an unreadable manifest aside)", err)
	}
	if len(m.Entries) > 0 {
		return nil, fmt.Errorf("regenerating CA: %w (%s); uninstall it first", ErrStillInstalled, strings.Join(m.labels(), ", "))
	}
	if err := ensureDir(dir); err != nil {
		return nil, fmt.Errorf("regenerating CA: %w", err)
	}
	if err := retire(dir); err != nil {
		return nil, fmt.Errorf("regenerating CA: %w", err)
	}
	if err := create(dir); err != nil {
		return nil, fmt.Errorf("regenerating CA: %w", err)
	}
	return Load(dir, opts...)
}

// retire removes a valid CA from dir, or moves unusable CA files aside.
func retire(dir string) error {
	certPEM, keyPEM, err := readFiles(dir)
	if errors.Is(err, ErrNoCA) {
		return nil
	}
	valid := false
	if err == nil {
		_, _, perr := parsePair(dir, certPEM, keyPEM)
		valid = perr == nil
	}
	now := time.Now()
	for _, name := range []string{keyFile, certFile} {
		p := joinPath(dir, name)
		ok, err := exists(p)
		if err != nil || !ok {
			continue
		}
		if valid {
			err = os.Remove(p)
		} else {
			_, err = setAside(p, now)
		}
		if err != nil {
			return err
		}
	}
	atomicfile.SyncDir(dir)
	return nil
}
