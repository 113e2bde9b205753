// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/google/go-cmp/cmp"

	"polaris/internal/passphrase"
	"polaris/internal/settings"
)

// exportCall is one ExportData call as the engine saw it.
type exportCall struct{ Path, Pass string }

// importCall is one ImportData call as the engine saw it.
type importCall struct{ Path, Confirmed, Pass string }

// passOf copies a passphrase as the engine receives it (nil: none).
func passOf(p []byte) string {
	if p == nil {
		return "<nil>"
	}
	return string(p)
}

// The Export dialog encrypts by default: the passphrase typed twice goes
// to the engine, with a .age file; a weak one is warned about and still
// used; unticked, the export is plain JSON.
func TestExportDialog(t *testing.T) {
	f := newFake(t)
	h, y := systemHarness(t, f)
	var calls []exportCall
	var sent [][]byte
	f.exportData = func(path string, pass []byte) error {
		calls = append(calls, exportCall{path, passOf(pass)})
		sent = append(sent, pass)
		return nil
	}
	h.files = func(filePick) (string, error) { return "/home/u/Backups/polaris-data.age", nil }

	// Cancelled in the first dialog: no file dialog, no call.
	h.tap("Export my data…")
	h.see("Export my data")
	h.see("Encrypted, all of it is encrypted")
	if y.export == nil || !y.export.encrypt.Checked {
		t.Fatal(`"Encrypt with a passphrase" is not on by default`)
	}
	if !h.button("Choose where to save…").Disabled() {
		t.Error("saving is possible with no passphrase")
	}
	h.tap("Cancel")
	if y.export != nil || len(h.picks) != 0 || len(calls) != 0 {
		t.Fatalf("cancelled: export dialog %v, file dialogs %v, calls %v", y.export, h.picks, calls)
	}

	// A strong passphrase, the second differing first.
	h.tap("Export my data…")
	test.Type(y.export.pass, "marmot kettle obelisk fennel")
	h.settle()
	h.see("Estimated strength: good (about 56 bits).")
	test.Type(y.export.again, "marmot kettle obelisk fenne")
	h.settle()
	h.see("The two passphrases differ.")
	if !h.button("Choose where to save…").Disabled() {
		t.Error("saving is possible with two different passphrases")
	}
	test.Type(y.export.again, "l")
	h.settle()
	h.dontSee("The two passphrases differ.")
	form := y.export
	h.tap("Choose where to save…")
	if form.pass.Text != "" || form.again.Text != "" {
		t.Error("the passphrase entries keep the passphrase after the dialog closed")
	}
	want := []filePick{{save: true, name: "polaris-data.age", exts: []string{".age"}}}
	if diff := cmp.Diff(want, h.picks, cmp.AllowUnexported(filePick{})); diff != "" {
		t.Errorf("the file dialog asked for (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]exportCall{{"/home/u/Backups/polaris-data.age", "marmot kettle obelisk fennel"}}, calls); diff != "" {
		t.Errorf("ExportData calls (-want +got):\n%s", diff)
	}
	if got := string(sent[0]); got != strings.Repeat("\x00", len("marmot kettle obelisk fennel")) {
		t.Errorf("the passphrase handed to the engine was not cleared after: %q", got)
	}
	if got := h.u.banner.Text(); got != "Your data was saved to /home/u/Backups/polaris-data.age, encrypted with your passphrase." {
		t.Errorf("banner = %q", got)
	}

	// A weak passphrase: a warning with the estimated strength, not a
	// refusal.
	h.tap("Export my data…")
	test.Type(y.export.pass, "kitten1")
	test.Type(y.export.again, "kitten1")
	h.settle()
	h.see("Weak passphrase: estimated strength very weak")
	h.see("7 characters")
	h.see("You can still use it.")
	h.tap("Choose where to save…")
	if len(calls) != 2 || calls[1].Pass != "kitten1" {
		t.Errorf("a weak passphrase: ExportData calls %v, want it used", calls)
	}

	// Encryption off: a plain JSON file, no passphrase.
	h.files = func(filePick) (string, error) { return "/home/u/My Documents/polaris-data.json", nil }
	h.tap("Export my data…")
	test.Tap(y.export.encrypt)
	h.settle()
	h.see("The file will not be encrypted")
	if !y.export.pass.Disabled() {
		t.Error("the passphrase can be typed with encryption off")
	}
	h.tap("Choose where to save…")
	if diff := cmp.Diff(filePick{save: true, name: "polaris-data.json", exts: []string{".json"}}, h.picks[len(h.picks)-1], cmp.AllowUnexported(filePick{})); diff != "" {
		t.Errorf("the file dialog asked for (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(exportCall{"/home/u/My Documents/polaris-data.json", "<nil>"}, calls[2]); diff != "" {
		t.Errorf("ExportData call (-want +got):\n%s", diff)
	}
	if got := h.u.banner.Text(); got != "Your data was saved to /home/u/My Documents/polaris-data.json." {
		t.Errorf("banner = %q", got)
	}

	// The file dialog cancelled or failing: no call.
	h.files = func(filePick) (string, error) { return "", errors.New("the folder /media/usb is not writable") }
	h.tap("Export my data…")
	test.Type(y.export.pass, "marmot kettle obelisk fennel")
	test.Type(y.export.again, "marmot kettle obelisk fennel")
	h.settle()
	h.tap("Choose where to save…")
	if got := h.u.banner.Text(); got != "The folder /media/usb is not writable" {
		t.Errorf("banner = %q", got)
	}
	if len(calls) != 3 {
		t.Errorf("ExportData called after the file dialog failed: %v", calls)
	}

	// The engine fails: its error shows, the buttons come back.
	f.exportData = func(path string, pass []byte) error {
		return errors.New("writing /home/u/full disk/polaris-data.age: no space left on device")
	}
	h.files = func(filePick) (string, error) { return "/home/u/full disk/polaris-data.age", nil }
	h.tap("Export my data…")
	test.Type(y.export.pass, "marmot kettle obelisk fennel")
	test.Type(y.export.again, "marmot kettle obelisk fennel")
	h.settle()
	h.tap("Choose where to save…")
	if got := h.u.banner.Text(); got != "Writing /home/u/full disk/polaris-data.age: no space left on device" {
		t.Errorf("banner = %q", got)
	}
	for _, b := range []string{"Export my data…", "Import…", "Delete all data…"} {
		if h.button(b).Disabled() {
			t.Errorf("%q stays disabled after the export", b)
		}
	}
	if y.dataBusy.Visible() {
		t.Error("the progress bar stays after the export")
	}
}

// A plain file: checked without a passphrase, then "Replace your data?".
func TestImportDialogPlain(t *testing.T) {
	f := newFake(t)
	h, y := systemHarness(t, f)

	h.files = func(filePick) (string, error) { return "", nil }
	h.tap("Import…")
	if diff := cmp.Diff([]filePick{{exts: []string{".json", ".age"}}}, h.picks, cmp.AllowUnexported(filePick{})); diff != "" {
		t.Errorf("the dialog asked for (-want +got):\n%s", diff)
	}
	h.dontSee("Replace your data?") // cancelled: no question, no call

	var checks []string
	f.checkImport = func(path string, pass []byte) (settings.ImportCheck, error) {
		checks = append(checks, path+" "+passOf(pass))
		return settings.ImportCheck{Path: path, Digest: "digest"}, nil
	}
	h.files = func(filePick) (string, error) { return "/home/u/backup/polaris-data.json", nil }
	h.tap("Import…")
	h.see("Replace your data?")
	h.see("Polaris checks the whole file first and changes nothing if it is not valid.")
	h.dontSee("Encrypted file")
	h.tap("No")
	h.dontSee("Replace your data?")

	var calls []importCall
	f.importData = func(path, confirmed string, pass []byte) error {
		calls = append(calls, importCall{path, confirmed, passOf(pass)})
		if len(calls) == 2 {
			return errors.New(`reading /home/u/backup/polaris-data.json: not a Polaris export (no "polaris" version)`)
		}
		f.set.System.SystemProxy = true // what the file held (under the fake's lock)
		return nil
	}
	h.tap("Import…")
	h.tap("Yes")
	if diff := cmp.Diff([]importCall{{"/home/u/backup/polaris-data.json", "", "<nil>"}}, calls); diff != "" {
		t.Errorf("ImportData calls (-want +got):\n%s", diff)
	}
	if got := h.u.banner.Text(); got != "Your data was imported." {
		t.Errorf("banner = %q", got)
	}
	if !y.sysProxy.On {
		t.Error("the screen does not show the imported settings (system proxy still off)")
	}
	h.tap("Import…")
	h.tap("Yes")
	if got := h.u.banner.Text(); got != `Reading /home/u/backup/polaris-data.json: not a Polaris export (no "polaris" version)` {
		t.Errorf("banner = %q", got)
	}
	if h.button("Import…").Disabled() {
		t.Error("Import stays disabled after a failed import")
	}
	if diff := cmp.Diff([]string{
		"/home/u/backup/polaris-data.json <nil>",
		"/home/u/backup/polaris-data.json <nil>",
		"/home/u/backup/polaris-data.json <nil>",
	}, checks); diff != "" {
		t.Errorf("CheckImport calls (-want +got):\n%s", diff)
	}
}

// An encrypted file: the window asks for its passphrase; a wrong one is
// said and asked again; the right one goes to the check and the import
// (which then asks as for a plain file), and is cleared after. A file that
// cannot be decrypted (damaged) is one error, and nothing is imported.
func TestImportDialogEncrypted(t *testing.T) {
	f := newFake(t)
	h, y := systemHarness(t, f)
	const path = "/home/u/backup/polaris-data.age"
	h.files = func(filePick) (string, error) { return path, nil }
	var checks []string
	var damaged bool
	f.checkImport = func(p string, pass []byte) (settings.ImportCheck, error) {
		checks = append(checks, passOf(pass))
		switch {
		case pass == nil:
			return settings.ImportCheck{}, fmt.Errorf("cannot import this file: %w", passphrase.ErrNeeded)
		case damaged:
			return settings.ImportCheck{}, errors.New("cannot import this file: the encrypted file is damaged: it was changed or cut short after it was encrypted")
		case string(pass) != "marmot kettle obelisk fennel":
			return settings.ImportCheck{}, fmt.Errorf("cannot import this file: %w", passphrase.ErrWrong)
		}
		return settings.ImportCheck{Path: p, Digest: "d1g3st", Encrypted: true, Widening: []settings.Change{
			{Key: "listen", From: "127.0.0.1:8228", To: "0.0.0.0:8228", Why: "other computers on the network could use this Polaris"},
		}}, nil
	}
	var calls []importCall
	var sent []byte
	f.importData = func(p, confirmed string, pass []byte) error {
		calls = append(calls, importCall{p, confirmed, passOf(pass)})
		sent = pass
		return nil
	}

	h.tap("Import…")
	h.see("Encrypted file")
	h.see(path + " is encrypted. Type the passphrase it was exported with.")
	if !h.button("Open").Disabled() {
		t.Error("Open is possible with no passphrase")
	}
	h.tap("Cancel")
	h.dontSee("Encrypted file")

	h.tap("Import…")
	test.Type(y.passAsk.pass, "marmot kettle")
	h.settle()
	h.tap("Open")
	h.see("This passphrase does not open the file. Try again.")
	test.Type(y.passAsk.pass, "marmot kettle obelisk fennel")
	h.settle()
	form := y.passAsk
	h.tap("Open")
	if form.pass.Text != "" {
		t.Error("the passphrase entry keeps the passphrase after the dialog closed")
	}
	// The decrypted file's widening settings are confirmed as for a
	// plain one; not applying them is the default.
	h.see("This file opens Polaris to others")
	h.see("listen: 127.0.0.1:8228 → 0.0.0.0:8228")
	h.tap("Import without them")
	if diff := cmp.Diff([]string{"<nil>", "<nil>", "marmot kettle", "marmot kettle obelisk fennel"}, checks); diff != "" {
		t.Errorf("CheckImport passphrases (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]importCall{{path, "", "marmot kettle obelisk fennel"}}, calls); diff != "" {
		t.Errorf("ImportData calls (-want +got):\n%s", diff)
	}
	if string(sent) != strings.Repeat("\x00", len("marmot kettle obelisk fennel")) {
		t.Errorf("the passphrase was not cleared after the import: %q", sent)
	}
	if got := h.u.banner.Text(); got != "Your data was imported, except what would open Polaris to others; kept as they were: listen." {
		t.Errorf("banner = %q", got)
	}

	// With the changes: the digest and the passphrase.
	h.tap("Import…")
	test.Type(y.passAsk.pass, "marmot kettle obelisk fennel")
	h.settle()
	h.tap("Open")
	h.tap("Import with these changes")
	if diff := cmp.Diff(importCall{path, "d1g3st", "marmot kettle obelisk fennel"}, calls[len(calls)-1]); diff != "" {
		t.Errorf("ImportData call (-want +got):\n%s", diff)
	}

	// Damaged: the error shows, nothing is imported, no second ask.
	damaged = true
	h.tap("Import…")
	test.Type(y.passAsk.pass, "marmot kettle obelisk fennel")
	h.settle()
	h.tap("Open")
	if got := h.u.banner.Text(); got != "Cannot import this file: the encrypted file is damaged: it was changed or cut short after it was encrypted" {
		t.Errorf("banner = %q", got)
	}
	h.dontSee("Encrypted file")
	if len(calls) != 2 {
		t.Errorf("ImportData called for a damaged file: %v", calls)
	}
}

// An imported file that would open Polaris to others: the window shows
// each such setting, and imports it only with the user's yes.
func TestSystemImportWidening(t *testing.T) {
	f := newFake(t)
	h, _ := systemHarness(t, f)
	h.files = func(filePick) (string, error) { return "/tmp/from-a-stranger.json", nil }
	f.checkImport = func(path string, pass []byte) (settings.ImportCheck, error) {
		return settings.ImportCheck{Path: path, Digest: "d1g3st", Widening: []settings.Change{
			{Key: "listen", From: "127.0.0.1:8228", To: "0.0.0.0:8228", Why: "other computers on the network could use this Polaris"},
			{Key: "tor.binary", From: "", To: "/tmp/evil", Why: "Polaris would run this program, with your rights, as Tor"},
		}}, nil
	}
	var got []string
	f.importData = func(path, confirmed string, pass []byte) error {
		got = append(got, confirmed)
		return nil
	}
	h.tap("Import…")
	h.see("This file opens Polaris to others")
	h.see("listen: 127.0.0.1:8228 → 0.0.0.0:8228")
	h.see("tor.binary: (none) → /tmp/evil")
	h.see("Polaris would run this program, with your rights, as Tor")
	h.dontSee("Replace your data?")
	h.tap("Cancel")
	h.dontSee("This file opens Polaris to others")
	h.tap("Import…")
	h.tap("Import without them")
	if got := h.u.banner.Text(); got != "Your data was imported, except what would open Polaris to others; kept as they were: listen, tor.binary." {
		t.Errorf("banner = %q", got)
	}
	h.tap("Import…")
	h.tap("Import with these changes")
	if diff := cmp.Diff([]string{"", "d1g3st"}, got); diff != "" {
		t.Errorf("ImportData confirmations (-want +got):\n%s", diff)
	}
}
