// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The attack: a data dir Polaris did not create (0755, say a folder the
// user made or a shared home) and the usual umask 022. Every file of the
// database — the write-ahead log and the shared-memory index hold recent
// settings and statistics too — must be readable by its owner only, also
// when an older Polaris left them 0644.
func TestDatabaseFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	check := func(t *testing.T, path string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(p), err)
				continue
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode = %v, want 0600", filepath.Base(p), fi.Mode().Perm())
			}
		}
	}
	t.Run("new", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, FileName)
		s, _, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.SaveSettings(ctx, map[string]string{"dnt": "1"}); err != nil {
			t.Fatal(err)
		}
		check(t, path)
	})
	t.Run("left 0644 by an older version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s, _, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		// Reopen it as an older Polaris would have left it: every file 0644,
		// the log and index open (another connection holds them).
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite3", dsn(path, readWrite, 0))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if _, err := db.Exec("CREATE TABLE IF NOT EXISTS t (x)"); err != nil {
			t.Fatal(err)
		}
		for _, suf := range []string{"-wal", "-shm"} {
			if fi, err := os.Stat(path + suf); err != nil || fi.Mode().Perm() != 0o644 {
				t.Fatalf("set-up: %s: %v %v", suf, fi.Mode(), err)
			}
		}
		s, _, err = Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, path)
	})
}
