// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"polaris/internal/settings"
)

// serveApp runs a on 127.0.0.1:0 until the test ends and returns a client
// that uses it as its proxy.
func serveApp(t *testing.T, a *App) *http.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	select {
	case s := <-addr:
		u, _ := url.Parse("http://" + s)
		return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}, Timeout: 5 * time.Second}
	case err := <-done:
		done <- err
		t.Fatalf("Run: %v", err)
	}
	return nil
}

func dntOrigin(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(r.Header.Values("Dnt"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func gotDNT(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v []string
	json.NewDecoder(resp.Body).Decode(&v)
	return strings.Join(v, ",")
}

func setDNT(t *testing.T, a *App, v string) error {
	t.Helper()
	s := a.Settings()
	if err := s.Set("dnt", v); err != nil {
		t.Fatal(err)
	}
	return a.Apply(context.Background(), s)
}

func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the store's own tests cover a full disk with SQLite's page limit", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// A full disk: the change is refused by the disk, said so in plain words,
// and still applied by the running proxy.
func TestDiskFullKeepsRunningInMemory(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	c := serveApp(t, a)
	origin := dntOrigin(t)
	if err := setDNT(t, a, "1"); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(filepath.Join(dir, "filler"))
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	// Keep trying a few values: SQLite may still have a free page or two.
	var applyErr error
	for _, v := range []string{"0", "unset", "0", "1", "0"} {
		s := a.Settings()
		s.Set("dnt", v)
		s.Blocking.CustomRules = strings.Repeat("||tracker.example^\n", 5000)
		if applyErr = a.Apply(context.Background(), s); applyErr != nil {
			break
		}
	}
	if !errors.Is(applyErr, ErrNotSaved) || !strings.Contains(applyErr.Error(), "disk is full") {
		t.Fatalf("Apply on a full disk = %v, want ErrNotSaved saying the disk is full", applyErr)
	}
	want := a.Settings().Signals.DNT.Header()
	if got := gotDNT(t, c, origin); got != want {
		t.Errorf("the proxy did not apply the in-memory setting: DNT %q, want %q", got, want)
	}
}

// Another process holding the database: same.
func TestLockedDatabaseKeepsRunningInMemory(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0", BusyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := serveApp(t, a)
	origin := dntOrigin(t)

	other, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "polaris.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO settings(key, value, updated) VALUES('x', 'y', 0)"); err != nil {
		t.Fatal(err)
	}
	err = setDNT(t, a, "1")
	if !errors.Is(err, ErrNotSaved) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("Apply while locked = %v, want ErrNotSaved saying the database is locked", err)
	}
	if got := gotDNT(t, c, origin); got != "1" {
		t.Errorf("DNT = %q, want the in-memory 1", got)
	}
}

// A read-only data folder: the stored settings are read and used; changes
// live in memory.
func TestReadOnlyDataDirUsesStoredSettings(t *testing.T) {
	src := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: src})
	if err != nil {
		t.Fatal(err)
	}
	if err := setDNT(t, a, "0"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	ro := t.TempDir()
	if out, err := exec.Command("mount", "--bind", src, ro).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", ro).Run() })
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", ro).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only: %v: %s", err, out)
	}
	b, err := Open(context.Background(), Options{DataDir: ro, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("Open on a read-only data dir: %v", err)
	}
	notices := b.Notices()
	if len(notices) == 0 || !strings.Contains(notices[0].Text, "read-only") {
		t.Errorf("no clear notice about the read-only folder: %+v", notices)
	}
	if b.Settings().Signals.DNT != settings.DNTAllowTracking {
		t.Errorf("stored settings not read from the read-only dir: dnt %v", b.Settings().Signals.DNT)
	}
	c := serveApp(t, b)
	origin := dntOrigin(t)
	if got := gotDNT(t, c, origin); got != "0" {
		t.Errorf("DNT = %q, want the stored 0", got)
	}
	if err := setDNT(t, b, "1"); !errors.Is(err, ErrNotSaved) {
		t.Errorf("Apply on a read-only dir = %v, want ErrNotSaved", err)
	}
	if got := gotDNT(t, c, origin); got != "1" {
		t.Errorf("DNT = %q, want the in-memory 1", got)
	}
}

// TestSetWithoutProxyStoresOrChangesNothing: `polaris config set` runs in a
// process without the proxy, so a change that cannot be stored would be
// lost when the command exits. It must say nothing was changed, and not
// claim the change is active.
func TestSetWithoutProxyStoresOrChangesNothing(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir, BusyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "polaris.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO settings(key, value, updated) VALUES('x', 'y', 0)"); err != nil {
		t.Fatal(err)
	}
	err = a.Set(context.Background(), "dnt", "1")
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "locked") ||
		errors.Is(err, ErrNotSaved) {
		t.Errorf("Set while locked = %v, want \"nothing was changed\" and why", err)
	}
	if a.Settings().Signals.DNT != settings.DNTUnset {
		t.Errorf("the refused change is in effect: dnt %v", a.Settings().Signals.DNT)
	}
	tx.Rollback()
	if err := a.Set(context.Background(), "dnt", "1"); err != nil {
		t.Fatalf("Set once the lock is gone: %v", err)
	}
	a.Close()
	b, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Settings().Signals.DNT != settings.DNTDoNotTrack {
		t.Errorf("stored dnt %v, want 1", b.Settings().Signals.DNT)
	}
}

// TestImportHalfwayPutsBackWhatWasThere: an import that fails while being
// applied (here the disk fills up with the lists) leaves the data as it
// was, not half imported.
func TestImportHalfwayPutsBackWhatWasThere(t *testing.T) {
	ctx := context.Background()
	dir := mountTmpfs(t, "2m")
	a, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Set(ctx, "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	listsBefore, _ := a.Lists(ctx)
	var big strings.Builder
	for i := 0; big.Len() < 3<<20; i++ {
		fmt.Fprintf(&big, "||tracker-%d.example^\n", i)
	}
	doc, _ := json.Marshal(map[string]any{"format": ExportFormat, "version": ExportVersion, "sections": map[string]any{
		"settings": map[string]string{"dnt": "0"},
		"lists":    []map[string]any{{"name": "huge", "text": big.String(), "enabled": true, "intervalHours": 0}},
	}})
	file := filepath.Join(t.TempDir(), "export.json")
	os.WriteFile(file, doc, 0o600)
	err = a.ImportData(ctx, file, "", nil)
	if err == nil || !strings.Contains(err.Error(), "previous data is back") {
		t.Fatalf("ImportData onto a disk too small = %v, want a failure and the previous data back", err)
	}
	if got := a.Settings().Signals.DNT.String(); got != "1" {
		t.Errorf("dnt after the failed import = %s, want the previous 1", got)
	}
	listsAfter, _ := a.Lists(ctx)
	if len(listsAfter) != len(listsBefore) {
		t.Errorf("lists after the failed import: %d, want the previous %d", len(listsAfter), len(listsBefore))
	}
	for _, l := range listsAfter {
		if l.Name == "huge" {
			t.Error("the half-imported list is still there")
		}
	}
}
