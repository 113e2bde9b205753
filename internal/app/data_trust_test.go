// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"polaris/internal/ca"
)

// trustSandbox is a throw-away home with one Firefox profile (an NSS
// database) and a Debian-like system store in temporary directories
// (update-ca-certificates pointed at them), for the App's CA code.
type trustSandbox struct {
	profile string // the Firefox profile's NSS database
	local   string // the system store's local CA directory
	etc     string // where update-ca-certificates writes the bundle
	opts    ca.TrustOptions
}

func newTrustSandbox(t *testing.T) trustSandbox {
	t.Helper()
	if _, err := exec.LookPath("certutil"); err != nil {
		t.Fatal("certutil is missing (apt-get install libnss3-tools)")
	}
	if _, err := os.Stat("/usr/sbin/update-ca-certificates"); err != nil {
		t.Fatal("update-ca-certificates not found: install Debian's ca-certificates")
	}
	home, root := t.TempDir(), t.TempDir()
	s := trustSandbox{
		profile: filepath.Join(home, ".mozilla", "firefox", "abcd.default-release"),
		local:   filepath.Join(root, "local"),
		etc:     filepath.Join(root, "etc-ssl-certs"),
	}
	share := filepath.Join(root, "share")
	for _, d := range []string{s.profile, s.local, s.etc, share} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("certutil", "-N", "-d", "sql:"+s.profile, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v %s", err, out)
	}
	// One distribution CA, as on a real system (with none,
	// update-ca-certificates leaves the old bundle in place).
	distro, err := ca.Load(filepath.Join(root, "distro-ca"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(share, "distro.crt"), distro.PEM(), 0o644)
	conf := filepath.Join(root, "ca-certificates.conf")
	os.WriteFile(conf, []byte("distro.crt\n"), 0o644)
	s.opts = ca.TrustOptions{
		Home:         home,
		LinuxCertDir: s.local,
		LinuxUpdate: []string{"/usr/sbin/update-ca-certificates", "--certsconf", conf, "--certsdir", share,
			"--localcertsdir", s.local, "--etccertsdir", s.etc, "--hooksdir", filepath.Join(root, "no-hooks")},
		IsRoot: func() bool { return true },
	}
	return s
}

// nss is `certutil -L` of the profile.
func (s trustSandbox) nss(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("certutil", "-L", "-d", "sql:"+s.profile).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v %s", err, out)
	}
	return string(out)
}

// system lists the certificates Polaris put in the system store.
func (s trustSandbox) system() []string {
	m, _ := filepath.Glob(filepath.Join(s.local, "polaris-*.crt"))
	return m
}

// bundle is the system store's CA bundle.
func (s trustSandbox) bundle() string {
	b, _ := os.ReadFile(filepath.Join(s.etc, "ca-certificates.crt"))
	return string(b)
}

// installedCA opens an App on a new data dir with the sandbox's trust
// stores, installs its CA in them and checks it is there.
func installedCA(t *testing.T, s trustSandbox) (*App, []byte) {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, Options{DataDir: t.TempDir(), Trust: s.opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Set(ctx, "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	rep, err := a.InstallCA(ctx)
	if err != nil || !strings.Contains(rep, "added to Firefox profile") || !strings.Contains(rep, "added to system store") {
		t.Fatalf("InstallCA = %v\n%s", err, rep)
	}
	pem, err := a.CACertificate(false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.nss(t), "Polaris CA ") || len(s.system()) != 1 || !strings.Contains(s.bundle(), string(pem)) {
		t.Fatalf("after InstallCA: certutil -L\n%s\nsystem store %q", s.nss(t), s.system())
	}
	return a, pem
}

// `data delete` with the CA installed: the certificate leaves every trust
// store before its files (and the record of where it went) are deleted.
func TestDeleteAllDataUninstallsTheCA(t *testing.T) {
	s := newTrustSandbox(t)
	a, pem := installedCA(t, s)
	if err := a.DeleteAllData(context.Background()); err != nil {
		t.Fatalf("DeleteAllData: %v", err)
	}
	if got := s.nss(t); strings.Contains(got, "Polaris CA ") {
		t.Errorf("the certificate is still in the Firefox profile after DeleteAllData:\n%s", got)
	}
	if got := s.system(); len(got) != 0 || strings.Contains(s.bundle(), string(pem)) {
		t.Errorf("the certificate is still in the system store after DeleteAllData: %q", got)
	}
	if _, err := os.Stat(a.caDir()); !os.IsNotExist(err) {
		t.Errorf("ca/ after DeleteAllData: %v, want it gone", err)
	}
}

// When the certificate cannot be taken out of a trust store, `data delete`
// deletes nothing (the CA's files hold the record of where it is
// installed); `data delete --force` deletes everything and says what is
// left behind.
func TestDeleteAllDataKeepsACAItCannotUninstall(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, s trustSandbox, a *App)
	}{
		{"read-only NSS database", func(t *testing.T, s trustSandbox, a *App) { readOnly(t, filepath.Join(s.profile, "cert9.db")) }},
		{"no certutil", func(t *testing.T, s trustSandbox, a *App) {
			a.opts.Trust.CertUtil = filepath.Join(t.TempDir(), "certutil") // not installed
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newTrustSandbox(t)
			a, _ := installedCA(t, s)
			tc.breakIt(t, s, a)

			err := a.DeleteAllData(ctx)
			if err == nil || !strings.Contains(err.Error(), "nothing was deleted") || !strings.Contains(err.Error(), "Firefox profile") {
				t.Fatalf("DeleteAllData = %v, want \"nothing was deleted\" naming the Firefox profile", err)
			}
			for _, f := range []string{"ca/ca.pem", "ca/ca.key", "ca/trust.json", "polaris.db"} {
				if _, err := os.Stat(filepath.Join(a.opts.DataDir, f)); err != nil {
					t.Errorf("%s after a refused delete: %v", f, err)
				}
			}
			if got := s.nss(t); !strings.Contains(got, "Polaris CA ") {
				t.Errorf("the certificate left the profile although removing it failed?\n%s", got)
			}
			if got := a.Settings().Signals.DNT.String(); got != "1" {
				t.Errorf("settings after a refused delete: dnt %s, want 1", got)
			}

			err = a.DeleteAllDataAnyway(ctx)
			if err == nil || !strings.Contains(err.Error(), "Firefox profile") {
				t.Errorf("DeleteAllDataAnyway = %v, want the certificate left in the Firefox profile reported", err)
			}
			if _, err := os.Stat(a.caDir()); !os.IsNotExist(err) {
				t.Errorf("ca/ after DeleteAllDataAnyway: %v, want it gone", err)
			}
			if got := a.Settings().Signals.DNT.String(); got != "unset" {
				t.Errorf("settings after DeleteAllDataAnyway: dnt %s, want unset", got)
			}
		})
	}
}

// readOnly makes file unwritable, for root too (chattr +i; root ignores
// file modes), until the test ends.
func readOnly(t *testing.T, file string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(file, 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Dir(file), 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Dir(file), 0o755) })
		return
	}
	if out, err := exec.Command("chattr", "+i", file).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i %s: %v %s", file, err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", file).Run() })
}
