// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// systemStore is one operating-system certificate store. The
// implementations are portable (the per-OS files only choose one), so that
// tests on Linux check the exact commands for macOS and Windows.
type systemStore interface {
	install(ctx context.Context, e *trustEnv, c *CA, m *manifest) Change
	// remove undoes a manifest entry of this store; keep says the entry
	// must stay recorded (failed, or needs root).
	remove(ctx context.Context, e *trustEnv, en entry, m *manifest) (Change, bool)
	check(ctx context.Context, e *trustEnv, c *CA) Change
	// sweep removes what the store holds for fps that the manifest did
	// not record (done holds kind|path|fingerprint already handled).
	sweep(ctx context.Context, e *trustEnv, fps, done map[string]bool, m *manifest) []Change
}

// systemStore returns the store of this operating system.
func (e *trustEnv) systemStore() systemStore { return defaultSystemStore(e) }

// storeForKind returns the store that handles manifest entries of kind, or
// nil for a kind this build does not know.
func (e *trustEnv) storeForKind(kind string) systemStore {
	switch kind {
	case kindDebian:
		return e.debian()
	case kindP11Kit:
		return p11kitStore{}
	case kindMacOS:
		return darwinStore{keychain: loginKeychain(e.home)}
	case kindWindows:
		return windowsStore{}
	}
	return nil
}

// linuxStore picks the Linux method: update-ca-certificates (Debian,
// Ubuntu, and whenever LinuxUpdate is set), else p11-kit's trust (Fedora,
// Arch, openSUSE).
func (e *trustEnv) linuxStore() systemStore {
	if e.opts.LinuxUpdate != nil {
		return e.debian()
	}
	if _, err := exec.LookPath("update-ca-certificates"); err == nil || fileExists("/usr/sbin/update-ca-certificates") {
		return e.debian()
	}
	if _, err := exec.LookPath("trust"); err == nil {
		return p11kitStore{}
	}
	return noStore{reason: "neither update-ca-certificates nor p11-kit's trust tool was found"}
}

func (e *trustEnv) debian() debianStore {
	s := debianStore{dir: e.opts.LinuxCertDir, update: e.opts.LinuxUpdate}
	if s.dir == "" {
		s.dir = "/usr/local/share/ca-certificates"
	}
	if s.update == nil {
		s.update = []string{"update-ca-certificates"}
	}
	return s
}

const systemLabel = "system store"

// asRoot runs cmds, in order, through TrustOptions.Elevate (a password
// prompt); ran is false when there is none (the caller reports NeedsRoot),
// err says why a command failed or the password was not given.
func (e *trustEnv) asRoot(ctx context.Context, cmds ...Command) (ran bool, err error) {
	if e.opts.Elevate == nil {
		return false, nil
	}
	for _, c := range cmds {
		if _, err := e.run.Run(ctx, e.opts.Elevate(c)); err != nil {
			return true, err
		}
	}
	return true, nil
}

// elevatedDetail explains a change made, or not, with an administrator's
// password.
const elevatedDetail = "with an administrator's password"

func sudo(name string, args ...string) Command {
	return Command{Name: "sudo", Args: append([]string{name}, args...)}
}

// --- Debian: update-ca-certificates ---

// debianStore installs polaris-<fp16>.crt into the local CA directory and
// runs update-ca-certificates (with --fresh on removal, which also drops
// the stale links in /etc/ssl/certs).
type debianStore struct {
	dir    string
	update []string
}

func (s debianStore) path(fp string) string {
	return filepath.Join(s.dir, "polaris-"+fp[:16]+".crt")
}

func (s debianStore) updateCmd(extra ...string) Command {
	args := append(append([]string(nil), s.update[1:]...), extra...)
	return Command{Name: s.update[0], Args: args}
}

func (s debianStore) install(ctx context.Context, e *trustEnv, c *CA, m *manifest) Change {
	path := s.path(c.fp)
	ch := Change{Store: systemLabel, Location: path}
	en := entry{Kind: kindDebian, Label: systemLabel, Path: path, Fingerprint: c.fp, Added: time.Now().UTC()}
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, c.pem) {
		m.record(en)
		ch.Action = AlreadyPresent
		return ch
	}
	if !e.isRoot {
		up := s.updateCmd()
		if ran, err := e.asRoot(ctx, Command{Name: "install", Args: []string{"-D", "-m", "0644", c.CertPath(), path}}, up); ran {
			if err != nil {
				return failed(ch, "not changed: the administrator's password was not given, or the change failed", err)
			}
			m.record(en)
			ch.Action, ch.Detail = Added, elevatedDetail
			return ch
		}
		ch.Action = NeedsRoot
		ch.Commands = []Command{
			sudo("install", "-D", "-m", "0644", c.CertPath(), path),
			sudo(up.Name, up.Args...),
		}
		return ch
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return failed(ch, "", err)
	}
	if err := replaceFile(s.dir, filepath.Base(path), c.pem, 0o644); err != nil {
		return failed(ch, "", err)
	}
	if _, err := e.run.Run(ctx, s.updateCmd()); err != nil {
		os.Remove(path)
		return failed(ch, "the certificate list could not be updated (nothing changed)", err)
	}
	m.record(en)
	ch.Action = Added
	return ch
}

func (s debianStore) remove(ctx context.Context, e *trustEnv, en entry, m *manifest) (Change, bool) {
	ch := Change{Store: systemLabel, Location: en.Path}
	b, err := os.ReadFile(en.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ch.Action, ch.Detail = NotPresent, "it had already been removed"
		if e.isRoot { // make sure the bundle no longer has it
			if _, err := e.run.Run(ctx, s.updateCmd("--fresh")); err != nil {
				return failed(ch, "the certificate list could not be updated", err), true
			}
		}
		return ch, false
	case err != nil:
		return failed(ch, "", err), true
	}
	if want := m.Certs[en.Fingerprint]; want != "" && !bytes.Equal(b, []byte(want)) {
		ch.Action, ch.Detail = Skipped, "the file has changed since Polaris added it; left alone"
		return ch, false
	}
	if !e.isRoot {
		up := s.updateCmd("--fresh")
		if ran, err := e.asRoot(ctx, Command{Name: "rm", Args: []string{"-f", en.Path}}, up); ran {
			if err != nil {
				return failed(ch, "not removed: the administrator's password was not given, or the change failed", err), true
			}
			ch.Action, ch.Detail = Removed, elevatedDetail
			return ch, false
		}
		ch.Action = NeedsRoot
		ch.Commands = []Command{sudo("rm", "-f", en.Path), sudo(up.Name, up.Args...)}
		return ch, true
	}
	if err := os.Remove(en.Path); err != nil {
		return failed(ch, "", err), true
	}
	if _, err := e.run.Run(ctx, s.updateCmd("--fresh")); err != nil {
		return failed(ch, "the file was removed, but the certificate list could not be updated", err), true
	}
	ch.Action = Removed
	return ch, false
}

func (s debianStore) check(_ context.Context, _ *trustEnv, c *CA) Change {
	path := s.path(c.fp)
	ch := Change{Store: systemLabel, Location: path, Action: NotPresent}
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, c.pem) {
		ch.Action = Present
	}
	return ch
}

func (s debianStore) sweep(ctx context.Context, e *trustEnv, fps, done map[string]bool, m *manifest) []Change {
	var out []Change
	for _, fp := range sortedKeys(fps) {
		path := s.path(fp)
		if done[kindDebian+"|"+path+"|"+fp] || !fileExists(path) {
			continue
		}
		en := entry{Kind: kindDebian, Label: systemLabel, Path: path, Fingerprint: fp}
		c, keep := s.remove(ctx, e, en, m)
		if keep {
			m.record(en)
		}
		c.Kept = keep
		out = append(out, c)
	}
	return out
}

// --- p11-kit: trust anchor ---

// p11kitStore uses `trust anchor --store` / `--remove` (Fedora, Arch,
// openSUSE); the anchor is found again by the CA's unique subject.
type p11kitStore struct{}

func (p11kitStore) install(ctx context.Context, e *trustEnv, c *CA, m *manifest) Change {
	ch := Change{Store: systemLabel, Location: "p11-kit"}
	en := entry{Kind: kindP11Kit, Label: systemLabel, Path: "p11-kit", Fingerprint: c.fp, Added: time.Now().UTC()}
	if ok, err := p11kitHas(ctx, e, c.cert.Subject.CommonName); err != nil {
		return failed(ch, "could not list the anchors", err)
	} else if ok {
		m.record(en)
		ch.Action = AlreadyPresent
		return ch
	}
	cmd := Command{Name: "trust", Args: []string{"anchor", "--store", c.CertPath()}}
	if !e.isRoot {
		ch.Action, ch.Commands = NeedsRoot, []Command{sudo(cmd.Name, cmd.Args...)}
		return ch
	}
	if _, err := e.run.Run(ctx, cmd); err != nil {
		return failed(ch, "", err)
	}
	m.record(en)
	ch.Action = Added
	return ch
}

func (p11kitStore) remove(ctx context.Context, e *trustEnv, en entry, m *manifest) (Change, bool) {
	ch := Change{Store: systemLabel, Location: "p11-kit"}
	file, err := certFileFor(e.opts.Dir, en.Fingerprint, m)
	if err != nil {
		return failed(ch, "", err), true
	}
	cmd := Command{Name: "trust", Args: []string{"anchor", "--remove", file}}
	if !e.isRoot {
		ch.Action, ch.Commands = NeedsRoot, []Command{sudo(cmd.Name, cmd.Args...)}
		return ch, true
	}
	if _, err := e.run.Run(ctx, cmd); err != nil {
		return failed(ch, "", err), true
	}
	ch.Action = Removed
	return ch, false
}

func (p11kitStore) check(ctx context.Context, e *trustEnv, c *CA) Change {
	ch := Change{Store: systemLabel, Location: "p11-kit", Action: NotPresent}
	ok, err := p11kitHas(ctx, e, c.cert.Subject.CommonName)
	if err != nil {
		return failed(ch, "could not list the anchors", err)
	}
	if ok {
		ch.Action = Present
	}
	return ch
}

func (p11kitStore) sweep(context.Context, *trustEnv, map[string]bool, map[string]bool, *manifest) []Change {
	return nil
}

// p11kitHas reports whether an anchor labelled cn exists.
func p11kitHas(ctx context.Context, e *trustEnv, cn string) (bool, error) {
	out, err := e.run.Run(ctx, Command{Name: "trust", Args: []string{"list", "--filter=ca-anchors"}})
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == "label" && strings.TrimSpace(v) == cn {
			return true, nil
		}
	}
	return false, nil
}

// certFileFor returns a file holding the certificate with fingerprint fp:
// the CA file when it is the current CA, else a copy written from the
// manifest into dir as polaris-<fp16>.pem.
func certFileFor(dir, fp string, m *manifest) (string, error) {
	if cur, err := loadExisting(dir); err == nil && cur.fp == fp {
		return cur.CertPath(), nil
	}
	pemText := m.Certs[fp]
	if pemText == "" {
		return "", fmt.Errorf("the manifest has no copy of certificate %s", fp[:16])
	}
	name := "polaris-" + fp[:16] + ".pem"
	if err := replaceFile(dir, name, []byte(pemText), 0o644); err != nil {
		return "", err
	}
	return joinPath(dir, name), nil
}

// --- macOS: security ---

// darwinStore adds the CA to the user's login keychain with user-level trust
// settings (no administrator rights; macOS asks for the login password).
type darwinStore struct{ keychain string }

const darwinLabel = "macOS login keychain"

func loginKeychain(home string) string {
	return filepath.Join(home, "Library", "Keychains", "login.keychain-db")
}

// darwinInstallCmd trusts certFile as a root for the user and adds it to
// keychain.
func darwinInstallCmd(keychain, certFile string) Command {
	return Command{Name: "security", Args: []string{"add-trusted-cert", "-r", "trustRoot", "-k", keychain, certFile}}
}

// darwinRemoveCmd deletes the certificate with the SHA-1 hash (uppercase
// hex) from keychain, with its user trust settings.
func darwinRemoveCmd(keychain, sha1 string) Command {
	return Command{Name: "security", Args: []string{"delete-certificate", "-Z", sha1, "-t", keychain}}
}

// darwinFindCmd lists the SHA-1 hashes of the certificates named cn.
func darwinFindCmd(keychain, cn string) Command {
	return Command{Name: "security", Args: []string{"find-certificate", "-a", "-Z", "-c", cn, keychain}}
}

// darwinNotFound reports a `security` failure meaning "no such item"
// (errSecItemNotFound, exit status 44).
func darwinNotFound(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && (ce.ExitCode == 44 || strings.Contains(ce.output(), "could not be found"))
}

func (s darwinStore) has(ctx context.Context, e *trustEnv, cn, sha1 string) (bool, error) {
	out, err := e.run.Run(ctx, darwinFindCmd(s.keychain, cn))
	if darwinNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == "SHA-1 hash" && strings.EqualFold(strings.TrimSpace(v), sha1) {
			return true, nil
		}
	}
	return false, nil
}

func (s darwinStore) install(ctx context.Context, e *trustEnv, c *CA, m *manifest) Change {
	ch := Change{Store: darwinLabel, Location: e.display(s.keychain)}
	en := entry{Kind: kindMacOS, Label: darwinLabel, Path: s.keychain, Fingerprint: c.fp, SHA1: c.sha1, Added: time.Now().UTC()}
	ok, err := s.has(ctx, e, c.cert.Subject.CommonName, c.sha1)
	if err != nil {
		return failed(ch, "could not search the keychain", err)
	}
	if ok {
		m.record(en)
		ch.Action = AlreadyPresent
		return ch
	}
	if _, err := e.run.Run(ctx, darwinInstallCmd(s.keychain, c.CertPath())); err != nil {
		return failed(ch, "", err)
	}
	m.record(en)
	ch.Action = Added
	return ch
}

func (s darwinStore) remove(ctx context.Context, e *trustEnv, en entry, _ *manifest) (Change, bool) {
	keychain := en.Path
	if keychain == "" {
		keychain = s.keychain
	}
	ch := Change{Store: darwinLabel, Location: e.display(keychain)}
	_, err := e.run.Run(ctx, darwinRemoveCmd(keychain, en.SHA1))
	switch {
	case darwinNotFound(err):
		ch.Action, ch.Detail = NotPresent, "it had already been removed"
	case err != nil:
		return failed(ch, "", err), true
	default:
		ch.Action = Removed
	}
	return ch, false
}

func (s darwinStore) check(ctx context.Context, e *trustEnv, c *CA) Change {
	ch := Change{Store: darwinLabel, Location: e.display(s.keychain), Action: NotPresent}
	ok, err := s.has(ctx, e, c.cert.Subject.CommonName, c.sha1)
	if err != nil {
		return failed(ch, "could not search the keychain", err)
	}
	if ok {
		ch.Action = Present
	}
	return ch
}

func (darwinStore) sweep(context.Context, *trustEnv, map[string]bool, map[string]bool, *manifest) []Change {
	return nil
}

// --- Windows: certutil -user ---

// windowsStore adds the CA to the current user's Root store (no
// administrator rights; Windows asks the user to confirm).
type windowsStore struct{}

const windowsLabel = "Windows certificate store (current user)"

// windowsInstallCmd adds certFile to the current user's Root store.
func windowsInstallCmd(certFile string) Command {
	return Command{Name: "certutil", Args: []string{"-user", "-addstore", "Root", certFile}}
}

// windowsRemoveCmd deletes the certificate with serial (hex) from the
// current user's Root store.
func windowsRemoveCmd(serial string) Command {
	return Command{Name: "certutil", Args: []string{"-user", "-delstore", "Root", serial}}
}

// windowsFindCmd succeeds when the user's Root store holds serial.
func windowsFindCmd(serial string) Command {
	return Command{Name: "certutil", Args: []string{"-user", "-verifystore", "Root", serial}}
}

// windowsNotFound reports CRYPT_E_NOT_FOUND (0x80092004).
func windowsNotFound(err error) bool {
	var ce *CommandError
	if !errors.As(err, &ce) {
		return false
	}
	code := int64(ce.ExitCode) // certutil exits with the HRESULT, signed or not
	return code == 0x80092004 || code == -0x7ff6dffc ||
		strings.Contains(ce.output(), "0x80092004") || strings.Contains(ce.output(), "CRYPT_E_NOT_FOUND")
}

// windowsCancelled reports ERROR_CANCELLED (0x800704c7): the user said no
// to Windows's confirmation dialog.
func windowsCancelled(err error) bool {
	var ce *CommandError
	if !errors.As(err, &ce) {
		return false
	}
	code := int64(ce.ExitCode)
	return code == 0x800704c7 || code == -0x7ff8fb39 || strings.Contains(ce.output(), "0x800704c7")
}

func (windowsStore) has(ctx context.Context, e *trustEnv, serial string) (bool, error) {
	_, err := e.run.Run(ctx, windowsFindCmd(serial))
	if windowsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func (s windowsStore) install(ctx context.Context, e *trustEnv, c *CA, m *manifest) Change {
	ch := Change{Store: windowsLabel, Location: `Root`}
	serial := serialHex(c.cert)
	en := entry{Kind: kindWindows, Label: windowsLabel, Path: "Root", Fingerprint: c.fp, SHA1: c.sha1, Serial: serial, Added: time.Now().UTC()}
	ok, err := s.has(ctx, e, serial)
	if err != nil {
		return failed(ch, "could not search the store", err)
	}
	if ok {
		m.record(en)
		ch.Action = AlreadyPresent
		return ch
	}
	if _, err := e.run.Run(ctx, windowsInstallCmd(c.CertPath())); err != nil {
		if windowsCancelled(err) {
			return failed(ch, "not added: the confirmation was declined", err)
		}
		return failed(ch, "", err)
	}
	m.record(en)
	ch.Action = Added
	return ch
}

func (windowsStore) remove(ctx context.Context, e *trustEnv, en entry, _ *manifest) (Change, bool) {
	ch := Change{Store: windowsLabel, Location: "Root"}
	_, err := e.run.Run(ctx, windowsRemoveCmd(en.Serial))
	switch {
	case windowsNotFound(err):
		ch.Action, ch.Detail = NotPresent, "it had already been removed"
	case err != nil:
		return failed(ch, "", err), true
	default:
		ch.Action = Removed
	}
	return ch, false
}

func (s windowsStore) check(ctx context.Context, e *trustEnv, c *CA) Change {
	ch := Change{Store: windowsLabel, Location: "Root", Action: NotPresent}
	ok, err := s.has(ctx, e, serialHex(c.cert))
	if err != nil {
		return failed(ch, "could not search the store", err)
	}
	if ok {
		ch.Action = Present
	}
	return ch
}

func (windowsStore) sweep(context.Context, *trustEnv, map[string]bool, map[string]bool, *manifest) []Change {
	return nil
}

// --- no system store ---

// noStore is used where no system store is supported.
type noStore struct{ reason string }

func (s noStore) install(context.Context, *trustEnv, *CA, *manifest) Change {
	return Change{Store: systemLabel, Action: Skipped, Detail: s.reason}
}

func (s noStore) remove(_ context.Context, _ *trustEnv, en entry, _ *manifest) (Change, bool) {
	return Change{Store: en.Label, Action: Skipped, Detail: s.reason}, true
}

func (s noStore) check(context.Context, *trustEnv, *CA) Change {
	return Change{Store: systemLabel, Action: Skipped, Detail: s.reason}
}

func (noStore) sweep(context.Context, *trustEnv, map[string]bool, map[string]bool, *manifest) []Change {
	return nil
}
