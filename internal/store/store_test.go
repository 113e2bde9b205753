// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, rec, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	if rec != nil {
		t.Fatalf("Open(%q) of a new file reported a recovery: %+v", path, rec)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestMigrateEmptyToHead(t *testing.T) {
	s, path := openTemp(t)
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() {
		t.Errorf("user_version = %d, want %d", v, SchemaVersion())
	}
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	var fk int
	if err := s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v, want 0600", fi.Mode().Perm())
	}
	// Reopening an up-to-date database is a no-op.
	s.Close()
	s2, rec, err := Open(context.Background(), path)
	if err != nil || rec != nil {
		t.Fatalf("reopen: %v %+v", err, rec)
	}
	s2.Close()
}

func TestSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	want := map[string]string{"dnt": "1", "gpc": "off", "future.key": "kept"}
	if err := s.SaveSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSettings(ctx, map[string]string{"dnt": "0"}); err != nil {
		t.Fatal(err)
	}
	want["dnt"] = "0"
	s.Close()
	s2, _, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Settings()[%q] = %q, want %q", k, got[k], v)
		}
	}
}

func TestCorruptFileMovedAside(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"garbage", []byte(strings.Repeat("this is not a database\n", 400))},
		{"truncated header", []byte("SQLite format 3\x00\x10\x00\x02\x02")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, rec, err := Open(context.Background(), path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if rec == nil {
				t.Fatal("Open did not report moving the corrupt file aside")
			}
			kept, err := os.ReadFile(rec.MovedTo)
			if err != nil {
				t.Fatalf("old file not kept at %s: %v", rec.MovedTo, err)
			}
			if string(kept) != string(tc.content) {
				t.Error("the moved-aside file differs from the original")
			}
			if !strings.Contains(rec.Message(), rec.MovedTo) {
				t.Errorf("Message() = %q, does not say where the old file is", rec.Message())
			}
			if err := s.SaveSettings(context.Background(), map[string]string{"dnt": "1"}); err != nil {
				t.Errorf("fresh database not writable: %v", err)
			}
		})
	}
}

// TestCorruptTwiceKeepsBoth: a second broken file moved aside in the same
// second must not replace the first one.
func TestCorruptTwiceKeepsBoth(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	var moved []string
	for _, text := range []string{"first garbage", "second garbage", "third garbage"} {
		if err := os.WriteFile(path, []byte(strings.Repeat(text+"\n", 400)), 0o600); err != nil {
			t.Fatal(err)
		}
		s, rec, err := Open(context.Background(), path)
		if err != nil || rec == nil {
			t.Fatalf("Open: %v, recovery %v", err, rec)
		}
		s.Close()
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
		moved = append(moved, rec.MovedTo)
	}
	for i, text := range []string{"first garbage", "second garbage", "third garbage"} {
		b, err := os.ReadFile(moved[i])
		if err != nil || !strings.HasPrefix(string(b), text) {
			t.Errorf("copy %d at %s: %v, starts %q, want %q", i+1, moved[i], err, string(b[:min(len(b), 20)]), text)
		}
	}
}

func TestCorruptPageDetected(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	big := map[string]string{}
	for i := 0; i < 2000; i++ {
		big[strings.Repeat("k", 10)+string(rune('a'+i%26))+strings.Repeat("x", i%50)+string(rune(i))] = strings.Repeat("v", 200)
	}
	if err := s.SaveSettings(ctx, big); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8192 {
		t.Fatalf("database too small (%d bytes) to corrupt a page", len(b))
	}
	// Overwrite the second page (the settings table's first b-tree page) with junk.
	for i := 4096; i < 8192; i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s2, rec, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s2.Close()
	if rec == nil {
		t.Fatal("a database with a corrupt page was not moved aside")
	}
}

func TestTooNewSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := sql.Open("sqlite3", dsn(path, readWrite, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, _, err = Open(context.Background(), path)
	var tooNew *ErrTooNew
	if !errors.As(err, &tooNew) {
		t.Fatalf("Open of a newer database = %v, want ErrTooNew", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error("a newer database must not be moved or deleted")
	}
}

func TestDataVersionSeesOtherConnections(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	v1, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := Open(ctx, path) // as the CLI would, from another process
	if err != nil {
		t.Fatal(err)
	}
	if err := other.SaveSettings(ctx, map[string]string{"gpc": "off"}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	v2, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v2 {
		t.Errorf("DataVersion did not change after another connection wrote (still %d)", v1)
	}
}
