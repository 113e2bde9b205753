// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// requireCertutil returns the NSS certutil, failing when it is missing: the
// NSS suites must not pass silently.
func requireCertutil(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("certutil")
	if err != nil {
		t.Fatal("NSS certutil not found: install Debian's libnss3-tools")
	}
	return p
}

func certutil(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(requireCertutil(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil %q: %v\n%s", args, err, out)
	}
	return string(out)
}

func nssCreate(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	certutil(t, "-N", "-d", "sql:"+dir, "--empty-password")
}

// nssTrustOf returns the trust flags of nick in the database at dir, read
// straight from `certutil -L`, or "" when absent.
func nssTrustOf(t *testing.T, dir, nick string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(nick) + `\s+(\S*,\S*,\S*)\s*$`)
	m := re.FindStringSubmatch(certutil(t, "-L", "-d", "sql:"+dir))
	if m == nil {
		return ""
	}
	return m[1]
}

// firefoxHome is a temporary home directory laid out like a Firefox user's.
type firefoxHome struct {
	home, caDir                string
	root                       string // SystemRoot: no browser installed
	release, work, neverOpened string // profile directories
}

const profilesINI = `[Install4F96D1932A9F858E]
Default=abc123.default-release
Locked=1

[Profile2]
Name=never-opened
IsRelative=1
Path=xyz.never-opened

[Profile1]
Name=work
IsRelative=0
Path=%s

[Profile0]
Name=default-release
IsRelative=1
Path=abc123.default-release
Default=1

[General]
StartWithLastProfile=1
Version=2
`

// newFirefoxHome makes three profiles: default-release (with another CA,
// "Other CA", already trusted), work (absolute path outside the profiles
// folder) and never-opened (no database yet).
func newFirefoxHome(t *testing.T) firefoxHome {
	t.Helper()
	h := firefoxHome{home: t.TempDir(), root: t.TempDir()}
	h.caDir = filepath.Join(h.home, ".local", "share", "polaris", "ca")
	ff := filepath.Join(h.home, ".mozilla", "firefox")
	h.release = filepath.Join(ff, "abc123.default-release")
	h.work = filepath.Join(h.home, "profiles", "work")
	h.neverOpened = filepath.Join(ff, "xyz.never-opened")
	nssCreate(t, h.release)
	nssCreate(t, h.work)
	os.MkdirAll(h.neverOpened, 0o700)
	if err := os.WriteFile(filepath.Join(ff, "profiles.ini"), []byte(fmt.Sprintf(profilesINI, h.work)), 0o644); err != nil {
		t.Fatal(err)
	}
	other := loadTemp(t)
	certutil(t, "-A", "-d", "sql:"+h.release, "-n", "Other CA", "-t", "CT,C,C", "-a", "-i", other.CertPath())
	return h
}

func (h firefoxHome) opts() TrustOptions {
	return TrustOptions{Dir: h.caDir, Home: h.home, SystemRoot: h.root}
}

func lines(r Report) []string { return strings.Split(r.String(), "\n") }

func TestInstallUninstallNSS(t *testing.T) {
	h := newFirefoxHome(t)
	ctx := context.Background()
	// A profile never opened has no database yet: Install creates one
	// (empty password, as Firefox would), which Firefox uses when it
	// first opens the profile; Uninstall removes it again.
	never := "Firefox profile 'never-opened' (~/.mozilla/firefox/xyz.never-opened)"

	r, err := Install(ctx, h.opts())
	if err != nil {
		t.Fatalf("Install = %v\n%s", err, r)
	}
	c, err := Load(h.caDir)
	if err != nil {
		t.Fatal(err)
	}
	nick := c.Nickname()
	want := []string{
		"added to " + never,
		"added to Firefox profile 'work' (~/profiles/work)",
		"added to Firefox profile 'default-release' (~/.mozilla/firefox/abc123.default-release)",
	}
	if diff := cmp.Diff(want, lines(r)); diff != "" {
		t.Errorf("first Install report (-want +got):\n%s", diff)
	}
	for _, dir := range []string{h.release, h.work, h.neverOpened} {
		if got := nssTrustOf(t, dir, nick); got != "C,," {
			t.Errorf("after Install, certutil -L in %s shows %q with trust %q, want C,,", dir, nick, got)
		}
	}
	if got := nssTrustOf(t, h.release, "Other CA"); got != "CT,C,C" {
		t.Errorf("Other CA trust = %q after Install, want CT,C,C untouched", got)
	}
	exported := certutil(t, "-L", "-d", "sql:"+h.release, "-n", nick, "-a")
	if b, _ := pem.Decode([]byte(exported)); b == nil || !bytes.Equal(b.Bytes, c.DER()) {
		t.Errorf("the certificate in NSS differs from the CA:\n%s", exported)
	}

	r, err = Install(ctx, h.opts())
	if err != nil {
		t.Fatalf("second Install = %v", err)
	}
	want = []string{
		"already present in " + never,
		"already present in Firefox profile 'work' (~/profiles/work)",
		"already present in Firefox profile 'default-release' (~/.mozilla/firefox/abc123.default-release)",
	}
	if diff := cmp.Diff(want, lines(r)); diff != "" {
		t.Errorf("second Install report (-want +got):\n%s", diff)
	}
	m, _ := readManifest(h.caDir)
	if len(m.Entries) != 3 {
		t.Errorf("manifest has %d entries after two installs, want 3: %+v", len(m.Entries), m.Entries)
	}

	r, err = TrustStatus(ctx, h.opts())
	if err != nil {
		t.Fatalf("TrustStatus = %v", err)
	}
	wantStores := []string{"Firefox profile 'never-opened'", "Firefox profile 'work'", "Firefox profile 'default-release'"}
	if diff := cmp.Diff(wantStores, r.Installed()); diff != "" {
		t.Errorf("TrustStatus installed (-want +got):\n%s\n%s", diff, r)
	}
	if diff := cmp.Diff(wantStores, c.Status().Installed); diff != "" {
		t.Errorf("Status().Installed (-want +got):\n%s", diff)
	}
	if _, err := Regenerate(h.caDir); !errors.Is(err, ErrStillInstalled) {
		t.Errorf("Regenerate while installed = %v, want ErrStillInstalled", err)
	}

	r, err = Uninstall(ctx, h.opts())
	if err != nil {
		t.Fatalf("Uninstall = %v\n%s", err, r)
	}
	want = []string{
		"removed from " + never,
		"removed from Firefox profile 'work' (~/profiles/work)",
		"removed from Firefox profile 'default-release' (~/.mozilla/firefox/abc123.default-release)",
	}
	if diff := cmp.Diff(want, lines(r)); diff != "" {
		t.Errorf("Uninstall report (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(h.neverOpened, "cert9.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the database Install created in the never-opened profile is still there (%v)", err)
	}
	for _, dir := range []string{h.release, h.work} {
		if got := nssTrustOf(t, dir, nick); got != "" {
			t.Errorf("after Uninstall, %s still holds %q (%s)", dir, nick, got)
		}
	}
	if got := nssTrustOf(t, h.release, "Other CA"); got != "CT,C,C" {
		t.Errorf("Uninstall touched Other CA: trust %q, want CT,C,C", got)
	}

	r, err = Uninstall(ctx, h.opts())
	if err != nil || r.String() != "not in any trust store: Polaris had installed its CA nowhere" {
		t.Errorf("second Uninstall = %q, %v", r, err)
	}
	r, _ = TrustStatus(ctx, h.opts())
	if got := r.Installed(); len(got) != 0 {
		t.Errorf("TrustStatus after Uninstall: installed in %q", got)
	}
	if _, err := Regenerate(h.caDir); err != nil {
		t.Errorf("Regenerate after Uninstall = %v", err)
	}
}

func TestInstallRestoresTrust(t *testing.T) {
	h := newFirefoxHome(t)
	ctx := context.Background()
	if _, err := Install(ctx, h.opts()); err != nil {
		t.Fatal(err)
	}
	c, _ := Load(h.caDir)
	certutil(t, "-M", "-d", "sql:"+h.work, "-n", c.Nickname(), "-t", ",,")
	r, _ := TrustStatus(ctx, h.opts())
	if !strings.Contains(r.String(), "not in Firefox profile 'work' (~/profiles/work): present but not trusted for websites") {
		t.Errorf("TrustStatus with trust removed:\n%s", r)
	}
	r, err := Install(ctx, h.opts())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.String(), "added to Firefox profile 'work' (~/profiles/work): it was there but not trusted for websites; trust restored") {
		t.Errorf("Install report:\n%s", r)
	}
	if got := nssTrustOf(t, h.work, c.Nickname()); got != "C,," {
		t.Errorf("trust after Install = %q, want C,,", got)
	}
}

func TestUninstallWithoutManifest(t *testing.T) {
	for _, spoil := range []string{"deleted", "corrupt"} {
		t.Run(spoil, func(t *testing.T) {
			h := newFirefoxHome(t)
			ctx := context.Background()
			if _, err := Install(ctx, h.opts()); err != nil {
				t.Fatal(err)
			}
			c, _ := Load(h.caDir)
			mpath := filepath.Join(h.caDir, manifestFile)
			if spoil == "deleted" {
				os.Remove(mpath)
			} else {
				os.WriteFile(mpath, []byte("{not json"), 0o600)
			}
			r, err := Uninstall(ctx, h.opts())
			if err != nil {
				t.Fatalf("Uninstall = %v\n%s", err, r)
			}
			if !strings.Contains(r.String(), "removed from Firefox profile 'work'") ||
				!strings.Contains(r.String(), "removed from Firefox profile 'default-release'") {
				t.Errorf("Uninstall without a manifest did not find the installed CA:\n%s", r)
			}
			if spoil == "corrupt" {
				aside, _ := filepath.Glob(mpath + ".bad-*")
				if len(aside) != 1 || !strings.Contains(r.String(), "skipped trust manifest") {
					t.Errorf("corrupt manifest: aside %q, report:\n%s", aside, r)
				}
			}
			for _, dir := range []string{h.release, h.work} {
				if got := nssTrustOf(t, dir, c.Nickname()); got != "" {
					t.Errorf("%s still holds the CA", dir)
				}
			}
			if got := nssTrustOf(t, h.release, "Other CA"); got != "CT,C,C" {
				t.Errorf("Other CA trust = %q, want untouched", got)
			}
		})
	}
}

func TestUninstallWithCorruptCAFiles(t *testing.T) {
	h := newFirefoxHome(t)
	ctx := context.Background()
	if _, err := Install(ctx, h.opts()); err != nil {
		t.Fatal(err)
	}
	c, _ := Load(h.caDir)
	os.WriteFile(filepath.Join(h.caDir, "ca.key"), []byte("spoilt"), 0o600)
	if _, err := Install(ctx, h.opts()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Install with a corrupt key = %v, want ErrCorrupt", err)
	}
	r, err := Uninstall(ctx, h.opts())
	if err != nil || strings.Count(r.String(), "removed from") != 3 {
		t.Errorf("Uninstall with corrupt CA files = %v:\n%s", err, r)
	}
	if got := nssTrustOf(t, h.work, c.Nickname()); got != "" {
		t.Error("CA still installed")
	}
	if _, err := Regenerate(h.caDir); err != nil {
		t.Errorf("Regenerate = %v", err)
	}
}

func TestChromiumDatabase(t *testing.T) {
	requireCertutil(t)
	ctx := context.Background()
	t.Run("created when Chromium is installed, removed again", func(t *testing.T) {
		home := t.TempDir()
		os.MkdirAll(filepath.Join(home, ".config", "chromium"), 0o700)
		opts := TrustOptions{Dir: filepath.Join(home, "ca"), Home: home, SystemRoot: t.TempDir()}
		r, err := Install(ctx, opts)
		if err != nil || r.String() != "added to Chromium (~/.pki/nssdb)" {
			t.Fatalf("Install = %v:\n%s", err, r)
		}
		c, _ := Load(opts.Dir)
		db := filepath.Join(home, ".pki", "nssdb")
		if got := nssTrustOf(t, db, c.Nickname()); got != "C,," {
			t.Errorf("trust in the created database = %q, want C,,", got)
		}
		r, err = Uninstall(ctx, opts)
		if err != nil || r.String() != "removed from Chromium (~/.pki/nssdb)" {
			t.Errorf("Uninstall = %v:\n%s", err, r)
		}
		if _, err := os.Stat(filepath.Join(home, ".pki")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the database Install created is still there after Uninstall (%v)", err)
		}
	})
	t.Run("kept when the browser added its own data", func(t *testing.T) {
		home := t.TempDir()
		os.MkdirAll(filepath.Join(home, ".config", "google-chrome"), 0o700)
		opts := TrustOptions{Dir: filepath.Join(home, "ca"), Home: home, SystemRoot: t.TempDir()}
		if _, err := Install(ctx, opts); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(home, ".pki", "nssdb")
		certutil(t, "-A", "-d", "sql:"+db, "-n", "Other CA", "-t", "C,,", "-a", "-i", loadTemp(t).CertPath())
		if _, err := Uninstall(ctx, opts); err != nil {
			t.Fatal(err)
		}
		if got := nssTrustOf(t, db, "Other CA"); got != "C,," {
			t.Errorf("Other CA in the shared database = %q after Uninstall, want kept", got)
		}
	})
	t.Run("not created without a browser", func(t *testing.T) {
		home := t.TempDir()
		r, err := Install(ctx, TrustOptions{Dir: filepath.Join(home, "ca"), Home: home, SystemRoot: t.TempDir()})
		if err != nil || r.String() != "skipped browsers: no Firefox profile or Chrome/Chromium certificate database found" {
			t.Errorf("Install in an empty home = %v:\n%s", err, r)
		}
		if _, err := os.Stat(filepath.Join(home, ".pki")); err == nil {
			t.Error("Install created ~/.pki without a Chromium-family browser")
		}
	})
}

func TestInstallWithoutCertutil(t *testing.T) {
	h := newFirefoxHome(t)
	opts := h.opts()
	opts.CertUtil = filepath.Join(t.TempDir(), "no-certutil")
	r, err := Install(context.Background(), opts)
	if err != nil {
		t.Fatalf("Install = %v", err)
	}
	want := "skipped Firefox profile 'work' (~/profiles/work): needs the NSS certutil tool; install it (Debian/Ubuntu: sudo apt install libnss3-tools; Fedora: sudo dnf install nss-tools; Arch: sudo pacman -S nss) and install again"
	if got := lines(r)[1]; got != want {
		t.Errorf("report line = %q, want %q", got, want)
	}
}

// Uninstall without certutil removes nothing from the NSS databases: the
// report says which stores still hold the CA (Kept), and the manifest
// keeps them for the next try.
func TestUninstallWithoutCertutilKeeps(t *testing.T) {
	h := newFirefoxHome(t)
	ctx := context.Background()
	if _, err := Install(ctx, h.opts()); err != nil {
		t.Fatal(err)
	}
	opts := h.opts()
	opts.CertUtil = filepath.Join(t.TempDir(), "no-certutil")
	r, err := Uninstall(ctx, opts)
	if err != nil {
		t.Fatalf("Uninstall = %v", err)
	}
	var kept []string
	for _, c := range r.Kept() {
		kept = append(kept, c.Store)
	}
	want := []string{"Firefox profile 'never-opened'", "Firefox profile 'work'", "Firefox profile 'default-release'"}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("Kept() after Uninstall without certutil (-want +got):\n%s\nreport:\n%s", diff, r)
	}
	r, err = Uninstall(ctx, h.opts())
	if err != nil || len(r.Kept()) != 0 || !strings.Contains(r.String(), "removed from Firefox profile 'work'") {
		t.Errorf("Uninstall with certutil back = %v, kept %v\n%s", err, r.Kept(), r)
	}
}

// debianSandbox points update-ca-certificates at temporary directories that
// look like a Debian system with one distribution CA.
type debianSandbox struct {
	local, etc string
	update     []string
}

func newDebianSandbox(t *testing.T) debianSandbox {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/update-ca-certificates"); err != nil {
		t.Fatal("update-ca-certificates not found: install Debian's ca-certificates")
	}
	root := t.TempDir()
	s := debianSandbox{local: filepath.Join(root, "local"), etc: filepath.Join(root, "etc-ssl-certs")}
	share := filepath.Join(root, "share")
	for _, d := range []string{s.local, s.etc, share} {
		os.MkdirAll(d, 0o755)
	}
	distro := loadTemp(t)
	os.WriteFile(filepath.Join(share, "distro.crt"), distro.PEM(), 0o644)
	conf := filepath.Join(root, "ca-certificates.conf")
	os.WriteFile(conf, []byte("distro.crt\n"), 0o644)
	s.update = []string{"/usr/sbin/update-ca-certificates", "--certsconf", conf, "--certsdir", share,
		"--localcertsdir", s.local, "--etccertsdir", s.etc, "--hooksdir", filepath.Join(root, "no-hooks")}
	return s
}

func (s debianSandbox) bundle(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(s.etc, "ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLinuxSystemStore(t *testing.T) {
	s := newDebianSandbox(t)
	ctx := context.Background()
	home := t.TempDir()
	opts := TrustOptions{Dir: filepath.Join(home, "ca"), Home: home, SystemRoot: t.TempDir(), System: true,
		LinuxCertDir: s.local, LinuxUpdate: s.update, IsRoot: func() bool { return true }}
	r, err := Install(ctx, opts)
	if err != nil {
		t.Fatalf("Install = %v\n%s", err, r)
	}
	c, _ := Load(opts.Dir)
	file := filepath.Join(s.local, "polaris-"+c.fp[:16]+".crt")
	if got, want := r.String(), "skipped browsers: no Firefox profile or Chrome/Chromium certificate database found"; strings.Contains(got, want) {
		t.Errorf("report mentions browsers although the system store was changed:\n%s", got)
	}
	if got, want := r.String(), "added to system store ("+file+")"; got != want {
		t.Errorf("Install report = %q, want %q", got, want)
	}
	if got := mode(t, file); got != 0o644 {
		t.Errorf("mode of %s = %v, want 0644", file, got)
	}
	if !strings.Contains(s.bundle(t), string(c.PEM())) {
		t.Error("the CA bundle does not contain the CA after Install")
	}
	r, _ = Install(ctx, opts)
	if got, want := r.String(), "already present in system store ("+file+")"; got != want {
		t.Errorf("second Install = %q, want %q", got, want)
	}
	r, _ = TrustStatus(ctx, opts)
	if got, want := r.String(), "installed in system store ("+file+")"; got != want {
		t.Errorf("TrustStatus = %q, want %q", got, want)
	}
	r, err = Uninstall(ctx, opts)
	if got, want := r.String(), "removed from system store ("+file+")"; err != nil || got != want {
		t.Errorf("Uninstall = %q, %v; want %q", got, err, want)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists after Uninstall", file)
	}
	bundle := s.bundle(t)
	if strings.Contains(bundle, string(c.PEM())) || !strings.Contains(bundle, "BEGIN CERTIFICATE") {
		t.Error("after Uninstall the bundle should hold the distribution CA only")
	}
	links, _ := filepath.Glob(filepath.Join(s.etc, "polaris-*"))
	if len(links) != 0 {
		t.Errorf("links left in the certificate directory: %q", links)
	}
}

func TestLinuxSystemStoreNeedsRoot(t *testing.T) {
	s := newDebianSandbox(t)
	ctx := context.Background()
	home := t.TempDir()
	user := TrustOptions{Dir: filepath.Join(home, "ca"), Home: home, SystemRoot: t.TempDir(), System: true,
		LinuxCertDir: s.local, LinuxUpdate: s.update, IsRoot: func() bool { return false }}
	r, err := Install(ctx, user)
	if err != nil {
		t.Fatalf("Install = %v", err)
	}
	c, _ := Load(user.Dir)
	file := filepath.Join(s.local, "polaris-"+c.fp[:16]+".crt")
	update := strings.Join(s.update, " ")
	want := fmt.Sprintf("system store (%s): needs root; run: sudo install -D -m 0644 %s %s && sudo %s",
		file, c.CertPath(), file, update)
	if got := lines(r)[len(lines(r))-1]; got != want {
		t.Errorf("Install without root:\n got %s\nwant %s", got, want)
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("Install without root wrote the system file")
	}

	// The user runs the commands (we are root here; sudo is not needed).
	for _, cmd := range r.Changes[len(r.Changes)-1].Commands {
		if out, err := exec.Command(cmd.Args[0], cmd.Args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
	}
	r, _ = TrustStatus(ctx, user)
	if got := r.Installed(); !cmp.Equal(got, []string{"system store"}) {
		t.Errorf("TrustStatus after the manual commands: installed in %q, want the system store", got)
	}

	r, err = Uninstall(ctx, user)
	want = fmt.Sprintf("system store (%s): needs root; run: sudo rm -f %s && sudo %s --fresh", file, file, update)
	if err != nil || r.String() != want {
		t.Errorf("Uninstall without root:\n got %s (%v)\nwant %s", r, err, want)
	}
	if _, err := Regenerate(user.Dir); !errors.Is(err, ErrStillInstalled) {
		t.Errorf("Regenerate while the system store holds the CA = %v, want ErrStillInstalled", err)
	}
	root := user
	root.IsRoot = func() bool { return true }
	r, err = Uninstall(ctx, root)
	if err != nil || r.String() != "removed from system store ("+file+")" {
		t.Errorf("Uninstall as root = %q, %v", r, err)
	}
	if strings.Contains(s.bundle(t), string(c.PEM())) {
		t.Error("bundle still holds the CA")
	}
}

func TestUninstallLeavesChangedSystemFile(t *testing.T) {
	s := newDebianSandbox(t)
	ctx := context.Background()
	home := t.TempDir()
	opts := TrustOptions{Dir: filepath.Join(home, "ca"), Home: home, SystemRoot: t.TempDir(), System: true,
		LinuxCertDir: s.local, LinuxUpdate: s.update, IsRoot: func() bool { return true }}
	if _, err := Install(ctx, opts); err != nil {
		t.Fatal(err)
	}
	c, _ := Load(opts.Dir)
	file := filepath.Join(s.local, "polaris-"+c.fp[:16]+".crt")
	someone := loadTemp(t).PEM()
	os.WriteFile(file, someone, 0o644)
	r, _ := Uninstall(ctx, opts)
	if !strings.Contains(r.String(), "the file has changed since Polaris added it; left alone") {
		t.Errorf("Uninstall report:\n%s", r)
	}
	if b, _ := os.ReadFile(file); string(b) != string(someone) {
		t.Error("Uninstall removed or changed a file that is no longer Polaris's")
	}
}

// TestInstallRespectsHandImport: a CA the user imported by hand under
// another name is neither renamed, re-trusted, recorded nor removed.
func TestInstallRespectsHandImport(t *testing.T) {
	h := newFirefoxHome(t)
	ctx := context.Background()
	c, err := Load(h.caDir)
	if err != nil {
		t.Fatal(err)
	}
	certutil(t, "-A", "-d", "sql:"+h.work, "-n", "My import", "-t", ",,", "-a", "-i", c.CertPath())
	r, err := Install(ctx, h.opts())
	if err != nil {
		t.Fatal(err)
	}
	want := `already present in Firefox profile 'work' (~/profiles/work): imported by hand as "My import" (trust ",,"); left as it is`
	if got := lines(r)[1]; got != want {
		t.Errorf("Install report line = %q, want %q", got, want)
	}
	if got := nssTrustOf(t, h.work, "My import"); got != ",," {
		t.Errorf("trust of the hand import = %q, want ,, as the user left it", got)
	}
	r, _ = Uninstall(ctx, h.opts())
	if strings.Contains(r.String(), "profile 'work'") {
		t.Errorf("Uninstall touched the hand import:\n%s", r)
	}
	if got := nssTrustOf(t, h.work, "My import"); got != ",," {
		t.Errorf("hand import after Uninstall: trust %q, want it kept", got)
	}
}

func TestTrustStatusWithoutCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	_, err := TrustStatus(context.Background(), TrustOptions{Dir: dir, Home: t.TempDir(), SystemRoot: t.TempDir()})
	if !errors.Is(err, ErrNoCA) {
		t.Errorf("TrustStatus without a CA = %v, want ErrNoCA", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.key")); err == nil {
		t.Error("TrustStatus generated a CA")
	}
	if _, err := Install(context.Background(), TrustOptions{Home: t.TempDir()}); err == nil {
		t.Error("Install without Dir = nil error")
	}
}

func TestUninstallNothing(t *testing.T) {
	s := newDebianSandbox(t)
	home := t.TempDir()
	opts := TrustOptions{Dir: filepath.Join(home, "never-created"), Home: home, SystemRoot: t.TempDir(), System: true,
		LinuxCertDir: s.local, LinuxUpdate: s.update, IsRoot: func() bool { return true }}
	r, err := Uninstall(context.Background(), opts)
	if err != nil || r.String() != "not in any trust store: Polaris had installed its CA nowhere" {
		t.Errorf("Uninstall with no CA directory = %q, %v", r, err)
	}
	if _, err := os.Stat(opts.Dir); err == nil {
		t.Error("Uninstall created the CA directory")
	}
}

// TestInstallCorruptDatabase: one broken profile fails in the report and in
// the error, and the others are still done.
func TestInstallCorruptDatabase(t *testing.T) {
	h := newFirefoxHome(t)
	os.WriteFile(filepath.Join(h.work, "cert9.db"), []byte("not sqlite"), 0o600)
	r, err := Install(context.Background(), h.opts())
	if err == nil || !strings.Contains(err.Error(), "Firefox profile 'work'") {
		t.Errorf("Install error = %v, want one naming the broken profile", err)
	}
	got := lines(r)
	if !strings.HasPrefix(got[1], "Firefox profile 'work' (~/profiles/work): could not read its certificate database: ") ||
		!strings.Contains(got[1], "certutil") {
		t.Errorf("report line for the broken profile = %q", got[1])
	}
	if got[2] != "added to Firefox profile 'default-release' (~/.mozilla/firefox/abc123.default-release)" {
		t.Errorf("report line for the good profile = %q", got[2])
	}
	if b, _ := os.ReadFile(filepath.Join(h.work, "cert9.db")); string(b) != "not sqlite" {
		t.Error("Install changed the broken database")
	}
}

// With a password prompt (TrustOptions.Elevate, pkexec on Linux), a user
// who is not root changes the system store itself: no command to paste,
// and the change is recorded, so that Uninstall undoes it.
func TestLinuxSystemStoreElevated(t *testing.T) {
	s := newDebianSandbox(t)
	ctx := context.Background()
	home := t.TempDir()
	var asked []string
	user := TrustOptions{Dir: filepath.Join(home, "ca"), Home: home, SystemRoot: t.TempDir(), System: true,
		LinuxCertDir: s.local, LinuxUpdate: s.update, IsRoot: func() bool { return false },
		// The tests run as root: the "prompt" runs the command as it is.
		Elevate: func(c Command) Command { asked = append(asked, c.Name); return c }}
	r, err := Install(ctx, user)
	if err != nil {
		t.Fatalf("Install = %v\n%s", err, r)
	}
	c, _ := Load(user.Dir)
	file := filepath.Join(s.local, "polaris-"+c.fp[:16]+".crt")
	if got, want := lines(r)[len(lines(r))-1], "added to system store ("+file+"): with an administrator's password"; got != want {
		t.Errorf("Install with a password prompt:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(r.String(), "sudo") {
		t.Errorf("the report names sudo: %s", r)
	}
	if len(asked) != 2 || !strings.Contains(s.bundle(t), string(c.PEM())) {
		t.Fatalf("prompts %q; the bundle holds the CA: %v", asked, strings.Contains(s.bundle(t), string(c.PEM())))
	}
	r, err = Uninstall(ctx, user)
	if got, want := lines(r)[len(lines(r))-1], "removed from system store ("+file+"): with an administrator's password"; err != nil || got != want {
		t.Errorf("Uninstall with a password prompt:\n got %s (%v)\nwant %s", got, err, want)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) || strings.Contains(s.bundle(t), string(c.PEM())) {
		t.Error("the CA is still in the system store after Uninstall")
	}
	// A refused password changes nothing and says so.
	user.Elevate = func(c Command) Command { return Command{Name: "false"} }
	r, _ = Install(ctx, user)
	if got := lines(r)[len(lines(r))-1]; !strings.Contains(got, "password was not given") {
		t.Errorf("Install with the password refused: %s", got)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("the system file exists after a refused password")
	}
}
