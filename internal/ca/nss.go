// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"polaris/internal/browsers"
)

// NSS trust flags given to the CA: a trusted CA for TLS servers only
// (not for e-mail or code signing).
const nssTrust = "C,,"

// nssDB is one NSS certificate database Install may use.
type nssDB struct {
	label string // "Firefox profile 'default-release'"
	dir   string
	// create: the database does not exist but a browser that reads it is
	// installed; Install creates it (empty password, as the browser would).
	create bool
	// skip is why the database cannot be used ("" when it can).
	skip string
}

// findNSSDBs lists the NSS databases the browsers found under env read, in
// a stable order (internal/browsers knows where they are). Windows has none
// (its certutil is another tool; Firefox there follows the Windows store),
// and on macOS Chromium-family browsers use the keychain.
func findNSSDBs(env browsers.Env) []nssDB {
	if env.GOOS == "windows" {
		return nil
	}
	var dbs []nssDB
	for _, d := range browsers.Databases(browsers.List(env)) {
		db := nssDB{label: d.Label, dir: d.Dir, create: d.Create}
		if d.State == browsers.DBLegacy {
			db.skip = fmt.Sprintf("old certificate database format (cert8.db); open it once in a current %s", joinOr(d.Browsers))
		}
		dbs = append(dbs, db)
	}
	return dbs
}

// joinOr says "A", "A or B".
func joinOr(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// parseNSSList reads `certutil -L` output into nickname -> trust flags.
func parseNSSList(out []byte) map[string]string {
	certs := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, " \t\r")
		i := strings.LastIndexAny(line, " \t")
		if i < 0 {
			continue
		}
		trust := line[i+1:]
		nick := strings.TrimSpace(line[:i])
		if nick == "" || !isTrustFlags(trust) || nick == "Certificate Nickname" {
			continue
		}
		certs[nick] = trust
	}
	return certs
}

// isTrustFlags matches NSS trust attributes such as "C,," or "CT,C,C".
func isTrustFlags(s string) bool {
	if strings.Count(s, ",") != 2 {
		return false
	}
	for _, r := range s {
		if r != ',' && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (e *trustEnv) certutilCmd(args ...string) Command {
	return Command{Name: e.certutil, Args: args}
}

func nssArg(dir string) string { return "sql:" + dir }

func (e *trustEnv) nssList(ctx context.Context, dir string) (map[string]string, error) {
	out, err := e.run.Run(ctx, e.certutilCmd("-L", "-d", nssArg(dir)))
	if err != nil {
		return nil, err
	}
	return parseNSSList(out), nil
}

// nssHolds reports whether the certificates named nick in dir include c.
func (e *trustEnv) nssHolds(ctx context.Context, dir, nick string, c *CA) (bool, error) {
	out, err := e.run.Run(ctx, e.certutilCmd("-L", "-d", nssArg(dir), "-n", nick, "-a"))
	if err != nil {
		return false, err
	}
	for rest := out; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return false, nil
		}
		if bytes.Equal(b.Bytes, c.cert.Raw) {
			return true, nil
		}
	}
}

func (e *trustEnv) noCertutil(ch Change) Change {
	ch.Action = Skipped
	ch.Detail = "needs the NSS certutil tool; " + certutilHint(e.goos)
	return ch
}

func certutilHint(goos string) string {
	if goos == "darwin" {
		return "install it with `brew install nss`, or let Firefox use the macOS keychain (about:config, security.enterprise_roots.enabled = true)"
	}
	return "install it (Debian/Ubuntu: sudo apt install libnss3-tools; Fedora: sudo dnf install nss-tools; Arch: sudo pacman -S nss) and install again"
}

// installNSS adds c to one database (creating the database first when
// db.create), and records it in m.
func (e *trustEnv) installNSS(ctx context.Context, c *CA, db nssDB, m *manifest) Change {
	ch := Change{Store: db.label, Location: e.display(db.dir)}
	if db.skip != "" {
		ch.Action, ch.Detail = Skipped, db.skip
		return ch
	}
	if e.certutil == "" {
		return e.noCertutil(ch)
	}
	en := entry{Kind: kindNSS, Label: db.label, Path: db.dir, Nickname: c.Nickname(),
		Fingerprint: c.fp, Added: time.Now().UTC()}
	if db.create {
		created, err := e.createNSS(ctx, db.dir)
		if err != nil {
			return failed(ch, "could not create the certificate database", err)
		}
		en.Created, en.CreatedDB = created, true
	}
	list, err := e.nssList(ctx, db.dir)
	if err != nil {
		return failed(ch, "could not read its certificate database", err)
	}
	if trust, ok := list[en.Nickname]; ok {
		same, err := e.nssHolds(ctx, db.dir, en.Nickname, c)
		if err != nil {
			return failed(ch, "could not read its certificate database", err)
		}
		if !same {
			return failed(ch, "", fmt.Errorf("it holds a different certificate named %q; left alone", en.Nickname))
		}
		m.record(en)
		if sslTrusted(trust) {
			ch.Action = AlreadyPresent
			return ch
		}
		if _, err := e.run.Run(ctx, e.certutilCmd("-M", "-d", nssArg(db.dir), "-n", en.Nickname, "-t", nssTrust)); err != nil {
			return failed(ch, "could not restore its trust", err)
		}
		ch.Action, ch.Detail = Added, "it was there but not trusted for websites; trust restored"
		return ch
	}
	_, err = e.run.Run(ctx, e.certutilCmd("-A", "-d", nssArg(db.dir), "-n", en.Nickname, "-t", nssTrust, "-a", "-i", c.CertPath()))
	if err != nil {
		if en.CreatedDB {
			e.dropCreatedNSS(ctx, en)
		}
		return failed(ch, "could not add the certificate", err)
	}
	after, err := e.nssList(ctx, db.dir)
	if err != nil {
		return failed(ch, "could not check it after adding", err)
	}
	if _, ok := after[en.Nickname]; !ok {
		return e.keepHandImport(ctx, ch, db.dir, list, after)
	}
	m.record(en)
	ch.Action = Added
	return ch
}

// keepHandImport handles a database that already held the CA under another
// name (imported by hand): NSS then keeps that name and only sets the
// trust. The trust is put back as it was, nothing is recorded, and the
// report says so; the user's own import stays theirs.
func (e *trustEnv) keepHandImport(ctx context.Context, ch Change, dir string, before, after map[string]string) Change {
	ch.Action = AlreadyPresent
	ch.Detail = "imported by hand under another name; left as it is"
	for _, nick := range sortedKeys(keysOf(after)) {
		old, ok := before[nick]
		if !ok || old == after[nick] {
			continue
		}
		if _, err := e.run.Run(ctx, e.certutilCmd("-M", "-d", nssArg(dir), "-n", nick, "-t", old)); err != nil {
			return failed(ch, fmt.Sprintf("it was imported by hand as %q, and its trust could not be put back to %q", nick, old), err)
		}
		ch.Detail = fmt.Sprintf("imported by hand as %q (trust %q); left as it is", nick, old)
	}
	return ch
}

func keysOf(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// sslTrusted reports whether NSS trust flags make a CA trusted for TLS.
func sslTrusted(flags string) bool {
	ssl, _, _ := strings.Cut(flags, ",")
	return strings.Contains(ssl, "C")
}

func failed(ch Change, what string, err error) Change {
	ch.Action, ch.Err = Failed, err
	if what == "" {
		ch.Detail = err.Error()
	} else {
		ch.Detail = what + ": " + err.Error()
	}
	return ch
}

// createNSS creates an empty NSS database in dir (and dir itself) and
// returns the directories it created, outermost first.
func (e *trustEnv) createNSS(ctx context.Context, dir string) ([]string, error) {
	created := missingDirs(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for _, d := range created {
		inheritOwner(d)
	}
	if _, err := e.run.Run(ctx, e.certutilCmd("-N", "-d", nssArg(dir), "--empty-password")); err != nil {
		return created, err
	}
	for _, f := range nssFiles {
		inheritOwner(filepath.Join(dir, f))
	}
	return created, nil
}

// nssFiles are the files of an SQL NSS database.
var nssFiles = []string{"cert9.db", "key4.db", "pkcs11.txt"}

// dropCreatedNSS removes a database Install created, if it holds no
// certificate and no key, and then the directories it created, if empty.
func (e *trustEnv) dropCreatedNSS(ctx context.Context, en entry) {
	list, err := e.nssList(ctx, en.Path)
	if err != nil || len(list) > 0 {
		return
	}
	out, err := e.run.Run(ctx, e.certutilCmd("-K", "-d", nssArg(en.Path)))
	var ce *CommandError
	if err == nil || !errors.As(err, &ce) || !strings.Contains(ce.output()+string(out), "no keys found") {
		return // keys, or an answer we do not understand: keep it
	}
	for _, f := range nssFiles {
		os.Remove(filepath.Join(en.Path, f))
	}
	for i := len(en.Created) - 1; i >= 0; i-- {
		os.Remove(en.Created[i]) // fails, harmlessly, when not empty
	}
}

// removeNSS removes one recorded NSS certificate.
func (e *trustEnv) removeNSS(ctx context.Context, en entry) (Change, bool) {
	ch := Change{Store: en.Label, Location: e.display(en.Path)}
	if !fileExists(filepath.Join(en.Path, "cert9.db")) {
		ch.Action, ch.Detail = NotPresent, "the certificate database no longer exists"
		return ch, false
	}
	if e.certutil == "" {
		return e.noCertutil(ch), true
	}
	list, err := e.nssList(ctx, en.Path)
	if err != nil {
		return failed(ch, "could not read its certificate database", err), true
	}
	if _, ok := list[en.Nickname]; !ok {
		ch.Action, ch.Detail = NotPresent, "it had already been removed"
	} else {
		if _, err := e.run.Run(ctx, e.certutilCmd("-D", "-d", nssArg(en.Path), "-n", en.Nickname)); err != nil {
			return failed(ch, "could not remove it", err), true
		}
		ch.Action = Removed
	}
	if en.CreatedDB {
		e.dropCreatedNSS(ctx, en)
	}
	return ch, false
}

// sweepNSS removes certificates named after one of fps from the databases
// Install would use that were not handled through the manifest.
func (e *trustEnv) sweepNSS(ctx context.Context, fps, done map[string]bool) []Change {
	if e.certutil == "" || len(fps) == 0 {
		return nil
	}
	var out []Change
	for _, db := range findNSSDBs(e.browsers()) {
		if db.skip != "" || db.create {
			continue
		}
		list, err := e.nssList(ctx, db.dir)
		if err != nil {
			out = append(out, failed(Change{Store: db.label, Location: e.display(db.dir)}, "could not read its certificate database", err))
			continue
		}
		for _, fp := range sortedKeys(fps) {
			nick := nickname(fp)
			if _, ok := list[nick]; !ok || done[kindNSS+"|"+db.dir+"|"+fp] {
				continue
			}
			en := entry{Kind: kindNSS, Label: db.label, Path: db.dir, Nickname: nick, Fingerprint: fp}
			c, keep := e.removeNSS(ctx, en)
			c.Kept = keep
			out = append(out, c)
		}
	}
	return out
}

// statusNSS reports whether c is installed and trusted in db.
func (e *trustEnv) statusNSS(ctx context.Context, c *CA, db nssDB) Change {
	ch := Change{Store: db.label, Location: e.display(db.dir)}
	switch {
	case db.skip != "":
		ch.Action, ch.Detail = Skipped, db.skip
		return ch
	case db.create || !fileExists(filepath.Join(db.dir, "cert9.db")):
		ch.Action, ch.Detail = NotPresent, "no certificate database yet"
		return ch
	case e.certutil == "":
		return e.noCertutil(ch)
	}
	list, err := e.nssList(ctx, db.dir)
	if err != nil {
		return failed(ch, "could not read its certificate database", err)
	}
	trust, ok := list[c.Nickname()]
	switch {
	case !ok:
		ch.Action = NotPresent
	case !sslTrusted(trust):
		ch.Action, ch.Detail = NotPresent, "present but not trusted for websites; install again to trust it"
	default:
		ch.Action = Present
	}
	return ch
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
