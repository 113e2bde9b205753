// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/browsers"
)

// step is one expected command and its canned result.
type step struct {
	cmd string
	out string
	err error
}

// scriptRunner stands in for macOS's security and Windows's certutil, which
// cannot run here: it checks each command line exactly and fails on any
// command it does not expect.
type scriptRunner struct {
	t     *testing.T
	steps []step
}

func (r *scriptRunner) Run(_ context.Context, cmd Command) ([]byte, error) {
	r.t.Helper()
	if len(r.steps) == 0 {
		r.t.Errorf("unexpected command: %s", cmd)
		return nil, errors.New("unexpected command")
	}
	s := r.steps[0]
	r.steps = r.steps[1:]
	if got := cmd.String(); got != s.cmd {
		r.t.Errorf("command = %s\n            want %s", got, s.cmd)
	}
	return []byte(s.out), s.err
}

func (r *scriptRunner) expect(steps ...step) { r.steps = append(r.steps, steps...) }

func (r *scriptRunner) done() {
	r.t.Helper()
	for _, s := range r.steps {
		r.t.Errorf("command not run: %s", s.cmd)
	}
	r.steps = nil
}

func exitErr(name string, code int, stderr string) error {
	return &CommandError{Command: Command{Name: name}, ExitCode: code, Stderr: []byte(stderr), Err: errors.New("exit status")}
}

func testEnv(t *testing.T, run Runner, dir string) *trustEnv {
	return &trustEnv{opts: TrustOptions{Dir: dir}, home: "/Users/ann", run: run, goos: "test"}
}

func TestPlatformCommands(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"macOS install", darwinInstallCmd("/Users/ann/Library/Keychains/login.keychain-db", "/Users/ann/Library/Application Support/Polaris/ca/ca.pem"),
			"security add-trusted-cert -r trustRoot -k /Users/ann/Library/Keychains/login.keychain-db '/Users/ann/Library/Application Support/Polaris/ca/ca.pem'"},
		{"macOS uninstall", darwinRemoveCmd("/Users/ann/Library/Keychains/login.keychain-db", "0123456789ABCDEF0123456789ABCDEF01234567"),
			"security delete-certificate -Z 0123456789ABCDEF0123456789ABCDEF01234567 -t /Users/ann/Library/Keychains/login.keychain-db"},
		{"macOS find", darwinFindCmd("/k.keychain-db", "Polaris local CA (0a1b2c3d4e5f)"),
			"security find-certificate -a -Z -c 'Polaris local CA (0a1b2c3d4e5f)' /k.keychain-db"},
		{"Windows install", windowsInstallCmd(`C:\Users\ann\AppData\Roaming\Polaris\ca\ca.pem`),
			`certutil -user -addstore Root 'C:\Users\ann\AppData\Roaming\Polaris\ca\ca.pem'`},
		{"Windows uninstall", windowsRemoveCmd("5f3a00112233445566778899aabbccdd"),
			"certutil -user -delstore Root 5f3a00112233445566778899aabbccdd"},
		{"Windows find", windowsFindCmd("5f3a00112233445566778899aabbccdd"),
			"certutil -user -verifystore Root 5f3a00112233445566778899aabbccdd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cmd.String(); got != tt.want {
				t.Errorf("command = %s\n           want %s", got, tt.want)
			}
		})
	}
	if got, want := loginKeychain("/Users/ann"), "/Users/ann/Library/Keychains/login.keychain-db"; got != filepath.FromSlash(want) {
		t.Errorf("loginKeychain = %s, want %s", got, want)
	}
}

func TestDarwinStore(t *testing.T) {
	c := loadTemp(t)
	run := &scriptRunner{t: t}
	e := testEnv(t, run, c.Dir())
	s := darwinStore{keychain: loginKeychain(e.home)}
	kc := s.keychain
	find := "security find-certificate -a -Z -c '" + c.cert.Subject.CommonName + "' " + kc
	var m manifest

	run.expect(
		step{cmd: find, err: exitErr("security", 44, "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.")},
		step{cmd: "security add-trusted-cert -r trustRoot -k " + kc + " " + c.CertPath()},
	)
	ch := s.install(context.Background(), e, c, &m)
	run.done()
	if got, want := ch.String(), "added to macOS login keychain (~/Library/Keychains/login.keychain-db)"; got != want {
		t.Errorf("install = %q, want %q", got, want)
	}
	want := []entry{{Kind: kindMacOS, Label: darwinLabel, Path: kc, Fingerprint: c.fp, SHA1: c.sha1}}
	if diff := cmp.Diff(want, m.Entries, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Added" }, cmp.Ignore())); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}

	run.expect(step{cmd: find, out: "keychain: \"" + kc + "\"\nSHA-256 hash: 00\nSHA-1 hash: " + c.sha1 + "\nclass: 0x80001000\n"})
	if ch := s.install(context.Background(), e, c, &m); ch.Action != AlreadyPresent {
		t.Errorf("second install = %s, want already present", ch)
	}
	run.done()

	run.expect(step{cmd: "security delete-certificate -Z " + c.sha1 + " -t " + kc})
	ch, keep := s.remove(context.Background(), e, m.Entries[0], &m)
	run.done()
	if ch.String() != "removed from macOS login keychain (~/Library/Keychains/login.keychain-db)" || keep {
		t.Errorf("remove = %q, keep %v", ch, keep)
	}

	run.expect(step{cmd: "security delete-certificate -Z " + c.sha1 + " -t " + kc,
		err: exitErr("security", 44, "Unable to delete certificate matching \"x\": The specified item could not be found in the keychain.")})
	if ch, keep := s.remove(context.Background(), e, m.Entries[0], &m); ch.Action != NotPresent || keep {
		t.Errorf("remove of a missing certificate = %q, keep %v; want not present, forgotten", ch, keep)
	}
	run.expect(step{cmd: "security delete-certificate -Z " + c.sha1 + " -t " + kc, err: exitErr("security", 1, "User interaction is not allowed.")})
	if ch, keep := s.remove(context.Background(), e, m.Entries[0], &m); ch.Action != Failed || !keep || !strings.Contains(ch.String(), "User interaction is not allowed") {
		t.Errorf("failed remove = %q, keep %v; want failed, kept", ch, keep)
	}
	run.done()
}

func TestWindowsStore(t *testing.T) {
	c := loadTemp(t)
	run := &scriptRunner{t: t}
	e := testEnv(t, run, c.Dir())
	s := windowsStore{}
	serial := serialHex(c.cert)
	var m manifest

	run.expect(
		step{cmd: "certutil -user -verifystore Root " + serial, err: exitErr("certutil", -2146885628, "CertUtil: -verifyStore command FAILED: 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)")},
		step{cmd: "certutil -user -addstore Root " + c.CertPath()},
	)
	if ch := s.install(context.Background(), e, c, &m); ch.String() != "added to Windows certificate store (current user) (Root)" {
		t.Errorf("install = %q", ch)
	}
	run.done()
	if len(m.Entries) != 1 || m.Entries[0].Serial != serial {
		t.Fatalf("manifest entries = %+v, want one with serial %s", m.Entries, serial)
	}

	run.expect(step{cmd: "certutil -user -verifystore Root " + serial, out: "Root\n================ Certificate 0 ================\n"})
	if ch := s.install(context.Background(), e, c, &m); ch.Action != AlreadyPresent {
		t.Errorf("second install = %q, want already present", ch)
	}
	run.done()

	run.expect(
		step{cmd: "certutil -user -verifystore Root " + serial, err: exitErr("certutil", 0x80092004, "")},
		step{cmd: "certutil -user -addstore Root " + c.CertPath(), err: exitErr("certutil", 0x800704c7, "CertUtil: -addstore command FAILED: 0x800704c7 (WIN32: 1223 ERROR_CANCELLED)")},
	)
	if ch := s.install(context.Background(), e, c, &m); ch.Action != Failed || !strings.Contains(ch.Detail, "confirmation was declined") {
		t.Errorf("declined install = %q, want failed with an explanation", ch)
	}
	run.done()

	run.expect(step{cmd: "certutil -user -delstore Root " + serial})
	if ch, keep := s.remove(context.Background(), e, m.Entries[0], &m); ch.Action != Removed || keep {
		t.Errorf("remove = %q, keep %v", ch, keep)
	}
	run.done()
}

func TestP11KitStore(t *testing.T) {
	c := loadTemp(t)
	run := &scriptRunner{t: t}
	e := testEnv(t, run, c.Dir())
	var m manifest
	list := "trust list --filter=ca-anchors"
	otherAnchor := "pkcs11:id=%AA;type=cert\n    type: certificate\n    label: ISRG Root X1\n    trust: anchor\n    category: authority\n"

	e.isRoot = false
	run.expect(step{cmd: list, out: otherAnchor})
	ch := p11kitStore{}.install(context.Background(), e, c, &m)
	run.done()
	if got, want := ch.String(), "system store (p11-kit): needs root; run: sudo trust anchor --store "+c.CertPath(); got != want {
		t.Errorf("install without root = %q, want %q", got, want)
	}

	e.isRoot = true
	run.expect(step{cmd: list, out: otherAnchor}, step{cmd: "trust anchor --store " + c.CertPath()})
	if ch := (p11kitStore{}).install(context.Background(), e, c, &m); ch.Action != Added {
		t.Errorf("install = %q", ch)
	}
	run.done()
	run.expect(step{cmd: list, out: otherAnchor + "pkcs11:id=%BB;type=cert\n    label: " + c.cert.Subject.CommonName + "\n"})
	if ch := (p11kitStore{}).check(context.Background(), e, c); ch.Action != Present {
		t.Errorf("check = %q, want present", ch)
	}
	run.done()

	// After Regenerate the old certificate is written from the manifest.
	old := m.Entries[0]
	old.Fingerprint = strings.Repeat("ab", 32)
	m.Certs = map[string]string{old.Fingerprint: "-----BEGIN CERTIFICATE-----\nold\n-----END CERTIFICATE-----\n"}
	oldFile := filepath.Join(c.Dir(), "polaris-abababababababab.pem")
	run.expect(step{cmd: "trust anchor --remove " + oldFile})
	if ch, keep := (p11kitStore{}).remove(context.Background(), e, old, &m); ch.Action != Removed || keep {
		t.Errorf("remove = %q, keep %v", ch, keep)
	}
	run.done()
	if b, err := os.ReadFile(oldFile); err != nil || string(b) != m.Certs[old.Fingerprint] {
		t.Errorf("old certificate file = %q, %v", b, err)
	}
}

func TestFindNSSDBs(t *testing.T) {
	home, root := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/bin/chromium"), []byte("ELF"), 0o755)
	touch := func(rel string) {
		p := filepath.Join(home, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, nil, 0o600)
	}
	touch(".mozilla/firefox/a1.default-release/cert9.db")
	touch(".mozilla/firefox/b2.old/cert8.db")
	touch("snap/firefox/common/.mozilla/firefox/s3.default/cert9.db")
	touch(".var/app/org.mozilla.firefox/.mozilla/firefox/f4.default-release/cert9.db")
	touch(".librewolf/l5.default-default/cert9.db")
	touch(".config/mozilla/firefox/x7.xdg/times.json") // Firefox ESR 153's XDG folder: no database yet
	os.WriteFile(filepath.Join(home, ".config/mozilla/firefox/profiles.ini"),
		[]byte("[Profile0]\nName=xdg\nIsRelative=1\nPath=x7.xdg\n"), 0o644)
	touch(".pki/nssdb/cert9.db")
	touch(".var/app/org.chromium.Chromium/.pki/nssdb/cert9.db")
	touch("Library/Application Support/Firefox/Profiles/m6.default-release/cert9.db")
	os.WriteFile(filepath.Join(home, "Library/Application Support/Firefox/profiles.ini"),
		[]byte("[Profile0]\nName=Mac default\nIsRelative=1\nPath=Profiles/m6.default-release\n"), 0o644)

	type row struct {
		Label, Dir, Skip string
		Create           bool
	}
	rows := func(dbs []nssDB) []row {
		var out []row
		for _, d := range dbs {
			rel, _ := filepath.Rel(home, d.dir)
			skip := d.skip
			if i := strings.IndexByte(skip, ';'); i >= 0 {
				skip = skip[:i]
			}
			out = append(out, row{d.label, filepath.ToSlash(rel), skip, d.create})
		}
		return out
	}
	want := []row{
		{"Firefox profile 'xdg'", ".config/mozilla/firefox/x7.xdg", "", true},
		{"Firefox profile 'default-release'", ".mozilla/firefox/a1.default-release", "", false},
		{"Firefox profile 'old'", ".mozilla/firefox/b2.old", "old certificate database format (cert8.db)", false},
		{"Firefox (snap) profile 'default'", "snap/firefox/common/.mozilla/firefox/s3.default", "", false},
		{"Firefox (Flatpak) profile 'default-release'", ".var/app/org.mozilla.firefox/.mozilla/firefox/f4.default-release", "", false},
		{"LibreWolf profile 'default-default'", ".librewolf/l5.default-default", "", false},
		{"Chromium", ".pki/nssdb", "", false},
		{"Chromium (Flatpak)", ".var/app/org.chromium.Chromium/.pki/nssdb", "", false},
	}
	env := func(goos string) browsers.Env { return browsers.Env{GOOS: goos, Home: home, Root: root} }
	if diff := cmp.Diff(want, rows(findNSSDBs(env("linux")))); diff != "" {
		t.Errorf("findNSSDBs(linux) (-want +got):\n%s", diff)
	}
	wantMac := []row{{"Firefox profile 'Mac default'", "Library/Application Support/Firefox/Profiles/m6.default-release", "", false}}
	if diff := cmp.Diff(wantMac, rows(findNSSDBs(env("darwin")))); diff != "" {
		t.Errorf("findNSSDBs(darwin) (-want +got):\n%s", diff)
	}
	if dbs := findNSSDBs(env("windows")); len(dbs) != 0 {
		t.Errorf("findNSSDBs(windows) = %v, want none (Windows certutil is not NSS)", dbs)
	}
}

func TestParseNSSList(t *testing.T) {
	out := "\nCertificate Nickname                                         Trust Attributes\n" +
		"                                                             SSL,S/MIME,JAR/XPI\n\n" +
		"Polaris CA 0123456789abcdef                                  C,,  \n" +
		"My Bank Root (2024)                                          CT,C,C\n" +
		"DigiCert Global Root G2 - DigiCert Inc                       ,,\n" +
		"no flags here\n"
	want := map[string]string{
		"Polaris CA 0123456789abcdef":            "C,,",
		"My Bank Root (2024)":                    "CT,C,C",
		"DigiCert Global Root G2 - DigiCert Inc": ",,",
	}
	if diff := cmp.Diff(want, parseNSSList([]byte(out))); diff != "" {
		t.Errorf("parseNSSList (-want +got):\n%s", diff)
	}
	for flags, want := range map[string]bool{"C,,": true, "CT,C,C": true, ",C,": false, ",,": false, "c,,": false} {
		if got := sslTrusted(flags); got != want {
			t.Errorf("sslTrusted(%q) = %v, want %v", flags, got, want)
		}
	}
}

func TestChangeString(t *testing.T) {
	tests := []struct {
		c    Change
		want string
	}{
		{Change{Store: "Firefox profile 'a'", Location: "~/p", Action: Added}, "added to Firefox profile 'a' (~/p)"},
		{Change{Store: "Firefox profile 'a'", Location: "~/p", Action: AlreadyPresent}, "already present in Firefox profile 'a' (~/p)"},
		{Change{Store: "Firefox profile 'a'", Location: "~/p", Action: Removed}, "removed from Firefox profile 'a' (~/p)"},
		{Change{Store: "system store", Action: Present}, "installed in system store"},
		{Change{Store: "system store", Action: NotPresent, Detail: "gone"}, "not in system store: gone"},
		{Change{Store: "system store", Location: "/x", Action: NeedsRoot, Commands: []Command{{Name: "sudo", Args: []string{"rm", "-f", "/x y"}}, {Name: "sudo", Args: []string{"update-ca-certificates"}}}},
			"system store (/x): needs root; run: sudo rm -f '/x y' && sudo update-ca-certificates"},
		{Change{Store: "Chrome/Chromium", Action: Skipped, Detail: "why"}, "skipped Chrome/Chromium: why"},
		{Change{Store: "Chrome/Chromium", Action: Failed, Detail: "could not add: boom"}, "Chrome/Chromium: could not add: boom"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Change.String() = %q, want %q", got, tt.want)
		}
	}
	r := Report{Changes: []Change{
		{Store: "a", Action: Added}, {Store: "b", Action: Failed, Err: errors.New("boom")}, {Store: "c", Action: NeedsRoot},
	}}
	if err := r.Err(); err == nil || err.Error() != "b: boom" {
		t.Errorf("Report.Err() = %v, want only the failure", err)
	}
	if got := r.Installed(); !cmp.Equal(got, []string{"a"}) {
		t.Errorf("Report.Installed() = %q", got)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain/path-1.2_x": "plain/path-1.2_x",
		"":                 "''",
		"a b":              "'a b'",
		"it's":             `'it'\''s'`,
		"C,,":              "C,,",
		"$HOME":            "'$HOME'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestExecRunnerError(t *testing.T) {
	_, err := ExecRunner{}.Run(context.Background(), Command{Name: "sh", Args: []string{"-c", "echo first >&2; echo second >&2; exit 3"}})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 {
		t.Fatalf("Run = %v, want a CommandError with exit code 3", err)
	}
	if got, want := err.Error(), "sh: exit status 3: first ; second"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	out, err := ExecRunner{}.Run(context.Background(), Command{Name: "sh", Args: []string{"-c", "echo out"}})
	if err != nil || string(out) != "out\n" {
		t.Errorf("Run = %q, %v", out, err)
	}
}
