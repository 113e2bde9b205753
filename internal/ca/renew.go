// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"polaris/internal/atomicfile"
)

// Renewal. A root is valid for caValidity (two years, see docs/HTTPS.md);
// when it has less than RenewBefore left (or has expired), Renew replaces it
// with a new one and installs the new one in every trust store the manifest
// says the old one is in, then removes the old one from there. Stores are
// handled one by one: a store where the new root could not be added (it
// needs root, certutil is gone, a failure) keeps the old one, recorded in
// the manifest, so that Uninstall still finds it; it expires on its own.

// RenewBefore is how long before its expiry a CA is renewed.
const RenewBefore = 60 * 24 * time.Hour

// Staging names of a renewal's new files: both are written first, then the
// key and the certificate are renamed over the old ones. Load completes or
// drops a renewal a crash interrupted (finishRenewal).
const (
	nextCertFile = certFile + ".next"
	nextKeyFile  = keyFile + ".next"
)

// Due reports whether c must be renewed at now: it expires within
// RenewBefore, or has expired.
func Due(c *CA, now time.Time) bool {
	return c != nil && !now.Before(c.cert.NotAfter.Add(-RenewBefore))
}

// Renew replaces the CA of opts.Dir with a new one if it expires within
// before (Due uses RenewBefore), and reinstalls it where the old one was
// installed (the manifest's entries for the old CA, whatever opts.System
// says). It returns the CA now in the directory (the old one when nothing
// was due), and a report of what changed in which trust store (empty when
// nothing was due). The old key is deleted; the old certificate stays in
// the manifest's list so that Uninstall can still find it. A directory
// without a CA gives ErrNoCA.
func Renew(ctx context.Context, opts TrustOptions, before time.Duration) (*CA, Report, error) {
	e, err := newTrustEnv(opts)
	if err != nil {
		return nil, Report{}, fmt.Errorf("renewing CA: %w", err)
	}
	trustMu.Lock()
	defer trustMu.Unlock()
	old, err := loadExisting(opts.Dir)
	if err != nil {
		return nil, Report{}, fmt.Errorf("renewing CA: %w", err)
	}
	if time.Now().Before(old.cert.NotAfter.Add(-before)) {
		return old, Report{}, nil
	}
	var r Report
	m := e.loadManifest(&r)
	if m.Certs == nil {
		m.Certs = map[string]string{}
	}
	m.Certs[old.fp] = string(old.pem)
	if err := writeManifest(opts.Dir, m); err != nil {
		return old, r, fmt.Errorf("renewing CA: %w", err)
	}
	if err := replaceCA(opts.Dir); err != nil {
		return old, r, fmt.Errorf("renewing CA: %w", err)
	}
	c, err := loadExisting(opts.Dir)
	if err != nil {
		return nil, r, fmt.Errorf("renewing CA: %w", err)
	}
	m.Certs[c.fp] = string(c.pem)
	e.saveManifest(m, &r)
	for _, en := range append([]entry(nil), m.Entries...) {
		if en.Fingerprint != old.fp {
			continue
		}
		if err := ctx.Err(); err != nil {
			return c, r, fmt.Errorf("renewing CA: %w", err)
		}
		e.reinstall(ctx, c, en, &m, &r)
		e.saveManifest(m, &r)
	}
	return c, r, r.Err()
}

// reinstall adds c where en (an entry of the old CA) is, and removes the
// old CA from there once the new one is in.
func (e *trustEnv) reinstall(ctx context.Context, c *CA, en entry, m *manifest, r *Report) {
	var ch Change
	var s systemStore
	if en.Kind == kindNSS {
		if !fileExists(joinPath(en.Path, "cert9.db")) {
			r.add(Change{Store: en.Label, Location: e.display(en.Path), Action: NotPresent,
				Detail: "the certificate database no longer exists"})
			m.forget(func(o entry) bool { return o.same(en) })
			return
		}
		ch = e.installNSS(ctx, c, nssDB{label: en.Label, dir: en.Path}, m)
		for i, o := range m.Entries { // a database Polaris created stays Polaris's to drop
			if o.Kind == kindNSS && o.Path == en.Path && o.Fingerprint == c.fp {
				m.Entries[i].Created, m.Entries[i].CreatedDB = en.Created, en.CreatedDB
			}
		}
	} else {
		if s = e.storeForKind(en.Kind); s == nil {
			return // another system's entry: left as it is
		}
		ch = s.install(ctx, e, c, m)
	}
	if ch.Action != Added && ch.Action != AlreadyPresent {
		if ch.Detail != "" {
			ch.Detail += "; "
		}
		ch.Detail += "the expiring certificate stays there until it expires"
		r.add(ch)
		return
	}
	ch.Detail = "renewed certificate"
	r.add(ch)
	var rm Change
	keep := false
	if s == nil {
		old := en
		old.Created, old.CreatedDB = nil, false
		rm, keep = e.removeNSS(ctx, old)
	} else {
		rm, keep = s.remove(ctx, e, en, m)
	}
	rm.Kept = keep
	if rm.Detail == "" {
		rm.Detail = "the expiring certificate"
	}
	r.add(rm)
	if !keep {
		m.forget(func(o entry) bool { return o.same(en) })
	}
}

// replaceCA writes a new CA over the one in dir: both new files are staged,
// then the key and the certificate are renamed into place.
func replaceCA(dir string) error {
	certPEM, keyPEM, err := newPair(time.Now())
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{nextKeyFile, keyPEM}, {nextCertFile, certPEM}} {
		if err := atomicfile.Write(joinPath(dir, f.name), f.data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
		inheritOwner(joinPath(dir, f.name))
	}
	if err := os.Rename(joinPath(dir, nextKeyFile), joinPath(dir, keyFile)); err != nil {
		return err
	}
	if err := os.Rename(joinPath(dir, nextCertFile), joinPath(dir, certFile)); err != nil {
		return err
	}
	atomicfile.SyncDir(dir)
	return nil
}

// finishRenewal completes or drops a renewal a crash interrupted: with both
// staged files present the old pair is still in place (the staged ones go);
// with the certificate alone, the new key is in place and its certificate
// follows it.
func finishRenewal(dir string) {
	nextCert := joinPath(dir, nextCertFile)
	if _, err := os.Lstat(nextCert); errors.Is(err, fs.ErrNotExist) {
		return
	}
	if _, err := os.Lstat(joinPath(dir, nextKeyFile)); err == nil {
		os.Remove(joinPath(dir, nextKeyFile))
		os.Remove(nextCert)
		return
	}
	certPEM, err1 := readSmall(nextCert)
	keyPEM, err2 := readSmall(joinPath(dir, keyFile))
	if err1 != nil || err2 != nil {
		return
	}
	if _, _, err := parsePair(dir, certPEM, keyPEM); err == nil {
		os.Rename(nextCert, joinPath(dir, certFile))
	}
}
