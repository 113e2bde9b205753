// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package ca

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRunAsRootKeepsUserOwnership: `sudo polaris ca install` working in a
// user's directories must not leave root-owned files there.
func TestRunAsRootKeepsUserOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	requireCertutil(t)
	const uid, gid = 65534, 65534 // nobody
	home := t.TempDir()
	os.Chown(home, uid, gid)
	chromium := filepath.Join(home, ".config", "chromium")
	os.MkdirAll(chromium, 0o700)
	dataDir := filepath.Join(home, ".local")
	os.MkdirAll(dataDir, 0o700)
	for _, d := range []string{filepath.Join(home, ".config"), chromium, dataDir} {
		os.Chown(d, uid, gid)
	}
	opts := TrustOptions{Dir: filepath.Join(dataDir, "share", "polaris", "ca"), Home: home, SystemRoot: t.TempDir()}
	if _, err := Install(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(dataDir, "share"), opts.Dir, filepath.Join(opts.Dir, "ca.key"), filepath.Join(opts.Dir, "ca.pem"),
		filepath.Join(opts.Dir, manifestFile), filepath.Join(home, ".pki"), filepath.Join(home, ".pki", "nssdb"),
		filepath.Join(home, ".pki", "nssdb", "cert9.db"),
	} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid {
			t.Errorf("%s is owned by %d:%d, want the user's %d:%d", p, st.Uid, st.Gid, uid, gid)
		}
	}
}
