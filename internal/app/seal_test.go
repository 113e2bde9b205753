// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/passphrase"
	"polaris/internal/seal"
	"polaris/internal/stats"
	"polaris/internal/store"
)

// fastSeal: the format is the same at any cost; tests cannot afford
// scrypt's default (256 MiB) hundreds of times.
var fastSeal = seal.Cost{WorkFactor: 2, MaxWorkFactor: 10}

var testPass = []byte("marmot kettle obelisk fennel")

// plainExport is a's data as a plain export, without the time it was
// made.
func plainExport(t *testing.T, a *App) map[string]json.RawMessage {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plain.json")
	if err := a.ExportData(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	var f exportFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Sections
}

// dbSum is a checksum of the database's files: what a refused import must
// leave as it was.
func dbSum(t *testing.T, a *App) [32]byte {
	t.Helper()
	h := sha256.New()
	for _, f := range []string{"polaris.db", "polaris.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(a.opts.DataDir, f))
		h.Write(b)
	}
	return [32]byte(h.Sum(nil))
}

// An export encrypted with a passphrase comes back whole on another
// data dir: the plain exports of both are the same. The encrypted file
// shows nothing of the data, and needs the passphrase.
func TestEncryptedExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openTestApp(t, Options{SealCost: fastSeal})
	for k, v := range map[string]string{"dnt": "0", "blocking.allowlist": "intranet.example", "blocking.custom-rules": "||ads.example^"} {
		if err := src.Set(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	own := filepath.Join(t.TempDir(), "mine.txt")
	os.WriteFile(own, []byte("! Title: My trackers\n||tracker.example^\n"), 0o600)
	if err := src.AddList(ctx, own, "my rules"); err != nil {
		t.Fatal(err)
	}
	st, _ := src.store()
	if err := st.AddStats(ctx, store.StatsBatch{Requests: map[int]int64{stats.DayNum(time.Now()): 42},
		Trackers: map[store.DayKey]int64{{Day: stats.DayNum(time.Now()), Key: "doubleclick.net"}: 5}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "polaris-data.age")
	pass := bytes.Clone(testPass)
	if err := src.ExportData(ctx, file, pass); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pass, testPass) {
		t.Error("ExportData changed the caller's passphrase")
	}
	b, _ := os.ReadFile(file)
	if seal.Detect(b) != seal.Age {
		t.Fatalf("the export is not an age file: %.40q", b)
	}
	for _, secret := range []string{"polaris", "intranet.example", "tracker.example", "doubleclick", "dnt"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%q shows in the encrypted file", secret)
		}
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}

	dst := openTestApp(t, Options{SealCost: fastSeal})
	if _, err := dst.CheckImport(ctx, file, nil); !errors.Is(err, passphrase.ErrNeeded) || !errors.Is(err, ErrImport) {
		t.Errorf("CheckImport without the passphrase = %v, want ErrNeeded", err)
	}
	if err := dst.ImportData(ctx, file, "", nil); !errors.Is(err, passphrase.ErrNeeded) {
		t.Errorf("ImportData without the passphrase = %v, want ErrNeeded", err)
	}
	chk, err := dst.CheckImport(ctx, file, testPass)
	if err != nil || !chk.Encrypted || len(chk.Widening) != 1 || chk.Widening[0].Key != "blocking.allowlist" {
		t.Fatalf("CheckImport = %+v, %v; want an encrypted file widening the allowlist", chk, err)
	}
	// The decrypted content gets the same confirmation as a plain file.
	if err := dst.ImportData(ctx, file, chk.Digest, testPass); err != nil {
		t.Fatal(err)
	}
	want, got := plainExport(t, src), plainExport(t, dst)
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b json.RawMessage) bool { return bytes.Equal(a, b) })); diff != "" {
		t.Errorf("the plain exports differ after an encrypted round trip (-src +dst):\n%s", diff)
	}
	for _, sec := range []string{"settings", "lists", "stats"} {
		if len(want[sec]) < 3 {
			t.Errorf("section %s is empty in the export: %s", sec, want[sec])
		}
	}
}

// Each way an encrypted import can go wrong is its own one-line error,
// and the database stays byte for byte as it was.
func TestEncryptedImportRefusals(t *testing.T) {
	ctx := context.Background()
	src := openTestApp(t, Options{SealCost: fastSeal})
	if err := src.Set(ctx, "dnt", "0"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.age")
	if err := src.ExportData(ctx, good, testPass); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.json")
	if err := src.ExportData(ctx, plain, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	body := bytes.Index(b, []byte("\n---")) + 60 // inside the payload
	flipped := bytes.Clone(b)
	flipped[body] ^= 0x01
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, content, 0o600)
		return p
	}
	// Encrypted to another passphrase, but not a Polaris export.
	notOurs, _ := seal.Encrypt([]byte(`{"hello":"world"}`), testPass, fastSeal)
	costly, _ := seal.Encrypt([]byte(`{}`), testPass, seal.Cost{WorkFactor: 11})

	dst := openTestApp(t, Options{SealCost: fastSeal})
	if err := dst.Set(ctx, "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	before, sum := plainExport(t, dst), dbSum(t, dst)
	for _, tc := range []struct {
		name string
		file string
		pass []byte
		want error
		says string
	}{
		{"wrong passphrase", good, []byte("marmot kettle obelisk fenne1"), passphrase.ErrWrong, "wrong passphrase"},
		{"flipped byte", write("flipped.age", flipped), testPass, seal.ErrDamaged, "damaged"},
		{"truncated", write("truncated.age", b[:len(b)-20]), testPass, seal.ErrDamaged, "cut short"},
		{"header only", write("header.age", b[:body-50]), testPass, seal.ErrDamaged, "damaged"},
		{"plain file given a passphrase", plain, testPass, passphrase.ErrNotEncrypted, "not encrypted"},
		{"no passphrase", good, nil, passphrase.ErrNeeded, "passphrase is needed"},
		{"encrypted, not an export", write("other.age", notOurs), testPass, ErrImport, "not a Polaris export"},
		{"too costly", write("costly.age", costly), testPass, seal.ErrTooCostly, "more work"},
	} {
		_, cerr := dst.CheckImport(ctx, tc.file, tc.pass)
		ierr := dst.ImportData(ctx, tc.file, "", tc.pass)
		for _, err := range []error{cerr, ierr} {
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrImport) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%s: %v, want %v saying %q", tc.name, err, tc.want, tc.says)
				continue
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: not one line: %q", tc.name, err)
			}
		}
		if dbSum(t, dst) != sum {
			t.Errorf("%s: the database changed", tc.name)
		}
	}
	if diff := cmp.Diff(before, plainExport(t, dst)); diff != "" {
		t.Errorf("the data changed (-before +after):\n%s", diff)
	}
	// The file as exported still imports.
	if err := dst.ImportData(ctx, good, "", testPass); err != nil {
		t.Errorf("the good file: %v", err)
	}
}

// The inventory says what an export holds and that encryption covers it.
func TestInventorySaysWhatAnExportHolds(t *testing.T) {
	a := openTestApp(t, Options{})
	inv, err := a.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"settings", "proxy password", "blocklist", "statistics", "all of it is encrypted"} {
		if !strings.Contains(inv.Export, want) {
			t.Errorf("the inventory's export text does not say %q: %q", want, inv.Export)
		}
	}
}

// FuzzOpenExport feeds arbitrary files, with and without a passphrase, to
// what an import does first: tell an encrypted file from a plain one,
// decrypt, validate. It never panics, every refusal is ErrImport, a file
// that opens with the passphrase was encrypted and one that opens without
// was not, and what opens exports back to a file that opens again.
func FuzzOpenExport(f *testing.F) {
	pass := []byte("fuzz")
	plain := []byte(`{"format":"polaris-data-export","version":1,"sections":{"settings":{"dnt":"1"},"stats":[{"day":20261121,"requests":3}]}}`)
	cost := seal.Cost{WorkFactor: 1, MaxWorkFactor: 4}
	sealed, err := seal.Encrypt(plain, pass, cost)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain, true)
	f.Add(plain, false)
	f.Add(sealed, true)
	f.Add(sealed, false)
	f.Add(sealed[:len(sealed)-3], true)
	a := &App{core: &core{opts: Options{SealCost: cost}}}
	f.Fuzz(func(t *testing.T, b []byte, withPass bool) {
		var p []byte
		if withPass {
			p = pass
		}
		ex, err := a.openExport(b, p)
		if err != nil {
			if !errors.Is(err, ErrImport) {
				t.Fatalf("error %v does not match ErrImport", err)
			}
			return
		}
		if withPass != seal.Detect(b).Encrypted() {
			t.Fatalf("opened with passphrase %v a %v file", withPass, seal.Detect(b))
		}
		again, _ := json.Marshal(ex)
		if _, err := a.openExport(again, nil); err != nil {
			t.Fatalf("opened %q, but not its own re-encoding: %v", b, err)
		}
	})
}
