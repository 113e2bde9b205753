// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// manifestFile records, in the CA directory, what Install added to trust
// stores, so that Uninstall removes exactly that.
const manifestFile = "trust.json"

// Entry kinds.
const (
	kindNSS     = "nss"     // a certificate in an NSS database (certutil)
	kindDebian  = "debian"  // a file for update-ca-certificates
	kindP11Kit  = "p11-kit" // an anchor stored with `trust anchor --store`
	kindMacOS   = "macos"   // a certificate in a macOS keychain
	kindWindows = "windows" // a certificate in the Windows user Root store
)

type manifest struct {
	Version int `json:"version"`
	// Certs holds the PEM of every CA of this directory ever installed, by
	// SHA-256 fingerprint, so that Uninstall can find and remove them even
	// after Regenerate or with unreadable CA files.
	Certs   map[string]string `json:"certs,omitempty"`
	Entries []entry           `json:"entries"`
}

// entry is one thing Install added.
type entry struct {
	Kind        string `json:"kind"`
	Label       string `json:"label"`          // the store in words
	Path        string `json:"path,omitempty"` // NSS directory, system file, keychain
	Nickname    string `json:"nickname,omitempty"`
	Fingerprint string `json:"fingerprint"`
	SHA1        string `json:"sha1,omitempty"`
	Serial      string `json:"serial,omitempty"`
	// Created lists directories Install created for the NSS database, in
	// creation order; CreatedDB says it created the database itself.
	Created   []string  `json:"created,omitempty"`
	CreatedDB bool      `json:"created_db,omitempty"`
	Added     time.Time `json:"added"`
}

func (e entry) same(o entry) bool {
	return e.Kind == o.Kind && e.Path == o.Path && e.Fingerprint == o.Fingerprint && e.Serial == o.Serial
}

// readManifest reads dir's manifest; a missing one is empty.
func readManifest(dir string) (manifest, error) {
	path := joinPath(dir, manifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return manifest{Version: 1}, nil
	}
	if err != nil {
		return manifest{}, fmt.Errorf("reading trust manifest: %w", err)
	}
	m, err := parseManifest(b)
	if err != nil {
		return manifest{}, fmt.Errorf("reading trust manifest %s: %w", path, err)
	}
	return m, nil
}

func parseManifest(b []byte) (manifest, error) {
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return manifest{}, err
	}
	if m.Version != 1 {
		return manifest{}, fmt.Errorf("unknown manifest version %d", m.Version)
	}
	for fp := range m.Certs {
		if !isFingerprint(fp) {
			return manifest{}, fmt.Errorf("bad fingerprint %q", fp)
		}
	}
	for i, e := range m.Entries {
		if !isFingerprint(e.Fingerprint) {
			return manifest{}, fmt.Errorf("entry %d: bad fingerprint %q", i+1, e.Fingerprint)
		}
		if e.Kind == "" || e.Label == "" {
			return manifest{}, fmt.Errorf("entry %d: no kind or label", i+1)
		}
	}
	return m, nil
}

func isFingerprint(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func writeManifest(dir string, m manifest) error {
	m.Version = 1
	if m.Entries == nil {
		m.Entries = []entry{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding trust manifest: %w", err)
	}
	return replaceFile(dir, manifestFile, append(b, '\n'), 0o600)
}

// record adds e unless the same entry is there.
func (m *manifest) record(e entry) {
	for _, o := range m.Entries {
		if o.same(e) {
			return
		}
	}
	m.Entries = append(m.Entries, e)
}

// forget drops the entries for which drop is true.
func (m *manifest) forget(drop func(entry) bool) {
	kept := m.Entries[:0]
	for _, e := range m.Entries {
		if !drop(e) {
			kept = append(kept, e)
		}
	}
	m.Entries = kept
}

// labels returns the distinct store labels, in order.
func (m manifest) labels() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range m.Entries {
		if !seen[e.Label] {
			seen[e.Label] = true
			out = append(out, e.Label)
		}
	}
	return out
}
