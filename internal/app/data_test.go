// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/ca"
	"polaris/internal/stats"
	"polaris/internal/store"
)

// Lists and statistics go out with an export and come back with an import.
func TestExportImportListsAndStats(t *testing.T) {
	ctx := context.Background()
	src := openApp(t)
	file := filepath.Join(t.TempDir(), "mine.txt")
	os.WriteFile(file, []byte("! Title: My trackers\n||tracker.example^\n||ads.example^$third-party\n"), 0o600)
	if err := src.AddList(ctx, file, "my rules"); err != nil {
		t.Fatal(err)
	}
	st, _ := src.store()
	rows, _ := st.Lists(ctx)
	for _, r := range rows {
		if r.Catalogue == "easylist" {
			st.SetListEnabled(ctx, r.ID, false)
			st.SetListInterval(ctx, r.ID, 12*time.Hour)
		}
	}
	today, earlier := stats.DayNum(time.Now()), stats.DayNum(time.Now().AddDate(0, 0, -10))
	batch := store.StatsBatch{
		Requests: map[int]int64{today: 120, earlier: 9},
		Blocked:  map[store.DayKey]int64{{Day: today, Key: "analytics"}: 7, {Day: earlier, Key: ""}: 2},
		Trackers: map[store.DayKey]int64{{Day: today, Key: "doubleclick.net"}: 5},
	}
	if err := st.AddStats(ctx, batch); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "export.json")
	if err := src.ExportData(ctx, out, nil); err != nil {
		t.Fatal(err)
	}

	dst := openApp(t)
	// EasyList turned off is a change that lets requests through: it
	// applies with the user's confirmation (TestImportHostileLists).
	chk, err := dst.CheckImport(ctx, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.ImportData(ctx, out, chk.Digest, nil); err != nil {
		t.Fatal(err)
	}
	dstStore, _ := dst.store()
	got, _ := dstStore.AllStats(ctx)
	if diff := cmp.Diff(batch, got); diff != "" {
		t.Errorf("statistics after export/import (-want +got):\n%s", diff)
	}
	type sub struct {
		Name, URL string
		Enabled   bool
		Interval  time.Duration
		SHA256    string
	}
	summary := func(s *store.Store) []sub {
		rows, _ := s.Lists(ctx)
		var out []sub
		for _, r := range rows {
			sha := ""
			if r.URL == "" {
				sha = r.SHA256
			}
			out = append(out, sub{r.Name, r.URL, r.Enabled, r.Interval, sha})
		}
		return out
	}
	if diff := cmp.Diff(summary(st), summary(dstStore)); diff != "" {
		t.Errorf("subscriptions after export/import (-want +got):\n%s", diff)
	}
}

// Delete while running (the window's button): everything goes, Polaris
// keeps working on defaults.
func TestDeleteAllDataWhileRunning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Trust stores that are not this machine's (the CA is not installed
	// here: see TestDeleteAllDataUninstallsTheCA).
	trust := ca.TrustOptions{Home: t.TempDir(), LinuxCertDir: t.TempDir(), LinuxUpdate: []string{"false"}}
	a, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", Trust: trust})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"dnt", "1"}, {"https.filter", "on"}, {"log.persist", "on"}} {
		if err := a.Set(ctx, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	startApp(t, a)
	waitFor(t, "the CA to exist", func() bool {
		_, err := os.Stat(filepath.Join(dir, "ca", "ca.key"))
		return err == nil
	})
	if err := a.DeleteAllData(ctx); err != nil {
		t.Fatalf("DeleteAllData: %v", err)
	}
	if s := a.Settings(); s.Signals.DNT.String() != "unset" || s.HTTPS.Filter || s.Data.LogPersist {
		t.Errorf("settings after delete are not the defaults: %v", s.Map())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch e.Name() {
		case "polaris.db", "polaris.db-wal", "polaris.db-shm", "polaris.lock", "polaris.sock", "lists":
		default:
			t.Errorf("%s survived DeleteAllData", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ca")); err == nil {
		t.Error("the CA survived DeleteAllData")
	}
	// Still serving.
	c := proxyClient(a.currentProxy().Addr(), nil)
	if code, _ := fetch(t, c, "http://polaris.invalid/", nil); code != 200 {
		t.Errorf("status page after delete: %d", code)
	}
}

// TestDeleteAllDataKeepsWhatItCannotUndo: when the system proxy settings
// cannot be put back, deleting the data (and with it the record of those
// settings) would leave the system pointing at a Polaris that is gone.
// Nothing is deleted, and the record is still there to try again.
func TestDeleteAllDataKeepsWhatItCannotUndo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Set(ctx, "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	st, err := a.store()
	if err != nil {
		t.Fatal(err)
	}
	// A journal this build cannot restore: a backend it does not know
	// (as if written by a version of Polaris for another desktop).
	journal := []byte(`{"version":1,"target":{"http":"127.0.0.1:8228"},"backends":[{"name":"plan9-desktop","state":{}}]}`)
	if err := (store.SysproxyJournal{S: st}).Save(ctx, journal); err != nil {
		t.Fatal(err)
	}
	err = a.DeleteAllData(ctx)
	if err == nil || !strings.Contains(err.Error(), "nothing was deleted") || !strings.Contains(err.Error(), "system proxy") {
		t.Fatalf("DeleteAllData with a journal it cannot restore = %v, want \"nothing was deleted\"", err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		t.Errorf("the database is gone: %v", err)
	}
	if got, ok, err := (store.SysproxyJournal{S: st}).Load(ctx); err != nil || !ok || len(got) == 0 {
		t.Errorf("the journal is gone (ok %v, err %v)", ok, err)
	}
	if a.Settings().Signals.DNT.String() != "1" {
		t.Errorf("settings were reset: dnt %v", a.Settings().Signals.DNT)
	}
	// The user insists: everything goes, and the failure is reported.
	err = a.DeleteAllDataAnyway(ctx)
	if err == nil || !strings.Contains(err.Error(), "plan9-desktop") {
		t.Errorf("DeleteAllDataAnyway = %v, want the restore failure reported", err)
	}
	if a.Settings().Signals.DNT.String() != "unset" {
		t.Errorf("settings after a forced delete: dnt %v", a.Settings().Signals.DNT)
	}
	if _, err := os.Stat(filepath.Join(dir, "lists")); err == nil {
		t.Error("lists/ survived a forced delete")
	}
}

// FuzzCheckExport feeds arbitrary files to the import's validation: it
// never panics, and a file it accepts exports back to an acceptable file.
func FuzzCheckExport(f *testing.F) {
	f.Add([]byte(`{"format":"polaris-data-export","version":1,"sections":{"settings":{"dnt":"1"}}}`))
	f.Add([]byte(`{"format":"polaris-data-export","version":1,"sections":{"stats":[{"day":20261121,"requests":3,"blockedByCategory":{"analytics":1},"blockedByTracker":{"doubleclick.net":1}}]}}`))
	f.Add([]byte(`{"format":"polaris-data-export","version":1,"sections":{"lists":[{"name":"x","url":"https://l.example/a.txt","enabled":true,"intervalHours":24},{"name":"y","text":"||t.example^","enabled":false,"intervalHours":0}]}}`))
	f.Add([]byte(`{"format":"polaris-data-export","version":2}`))
	a := &App{}
	f.Fuzz(func(t *testing.T, b []byte) {
		ex, err := a.checkExport(b)
		if err != nil {
			if !errors.Is(err, ErrImport) {
				t.Fatalf("error %v does not match ErrImport", err)
			}
			return
		}
		again, _ := json.Marshal(ex)
		if _, err := a.checkExport(again); err != nil {
			t.Fatalf("accepted %q, but not its own re-encoding: %v", b, err)
		}
	})
}

// DeleteAllData replaces the database under a running engine whose
// settings watcher reads it on every tick: the watcher must neither read
// the missing database (a nil-store panic took the process down) nor put
// the deleted settings back from the old one.
func TestDeleteAllDataUnderTheWatcher(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", WatchInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	startApp(t, a)
	for i := range 20 {
		// Another process's change, so the watcher has something to reload.
		b, err := Open(ctx, Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		err = b.Set(ctx, "dnt", "1")
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the watcher to load the change", func() bool { return a.Settings().Signals.DNT.String() == "1" })
		if err := a.DeleteAllData(ctx); err != nil {
			t.Fatalf("DeleteAllData %d: %v", i, err)
		}
		time.Sleep(5 * time.Millisecond) // a few watcher ticks on the fresh database
		if got := a.Settings().Signals.DNT.String(); got != "unset" {
			t.Fatalf("round %d: DNT is %q after DeleteAllData, want the default (unset)", i, got)
		}
	}
}
