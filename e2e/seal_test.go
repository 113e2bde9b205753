// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Encrypted exports, end to end: the real binary, the real database, and
// Debian's age tool (installed by the Makefile's test dependencies) as the
// independent reader and writer of the format.

const sealPass = "marmot kettle obelisk fennel"

// ptyStep: wait until the terminal shows want, then type send.
type ptyStep struct{ want, send string }

// onPTY runs cmd with a new pseudo-terminal as its controlling terminal
// and standard streams (as a user at a terminal, so /dev/tty is it too),
// answers its prompts, and returns everything it showed and its exit code.
func onPTY(t *testing.T, cmd *exec.Cmd, steps ...ptyStep) (string, int) {
	t.Helper()
	m, s := openPTY(t)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Close() // the child has it: reads end when it exits
	var seen bytes.Buffer
	buf := make([]byte, 4096)
	deadline := time.Now().Add(60 * time.Second) // scrypt at age's cost, on a loaded machine
	for _, st := range steps {
		for !strings.Contains(seen.String(), st.want) {
			m.SetReadDeadline(deadline)
			n, err := m.Read(buf)
			seen.Write(buf[:n])
			if err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("%s: no %q on the terminal; it shows %q (%v)", cmd.Args, st.want, seen.String(), err)
			}
		}
		seen.WriteString("\x00") // what came before is answered
		m.Write([]byte(st.send))
	}
	for {
		m.SetReadDeadline(deadline)
		n, err := m.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			if !errors.Is(err, syscall.EIO) && !errors.Is(err, io.EOF) {
				cmd.Process.Kill()
			}
			break
		}
	}
	cmd.Wait()
	return seen.String(), cmd.ProcessState.ExitCode()
}

// sections is an export's data, without the time it was made.
func sections(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var f struct {
		Format   string                     `json:"format"`
		Sections map[string]json.RawMessage `json:"sections"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Format != "polaris-data-export" {
		t.Fatalf("not a Polaris export (%v): %.80q", err, b)
	}
	return f.Sections
}

// plainSections exports dir's data in plain JSON and returns it.
func plainSections(t *testing.T, dir string) map[string]json.RawMessage {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plain.json")
	mustPolaris(t, dir, "data", "export", p)
	b, _ := os.ReadFile(p)
	return sections(t, b)
}

func sameSections(t *testing.T, what string, a, b map[string]json.RawMessage) {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("%s: the data differ:\n%s\nvs\n%s", what, ja, jb)
	}
}

// dbChecksum is the checksum of a data dir's database files.
func dbChecksum(t *testing.T, dir string) [32]byte {
	t.Helper()
	h := sha256.New()
	for _, f := range []string{"polaris.db", "polaris.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		h.Write(b)
	}
	return [32]byte(h.Sum(nil))
}

// Round trip: export encrypted with --passphrase-file, read by Debian's
// age with the passphrase typed at its terminal, imported on a fresh data
// dir: the plain exports of both are identical. A file age encrypted
// imports too.
func TestDataExportEncrypted(t *testing.T) {
	if _, err := exec.LookPath("age"); err != nil {
		t.Fatal("the age tool is not installed (make deps-test installs it)")
	}
	src := t.TempDir()
	for _, kv := range [][2]string{{"dnt", "0"}, {"blocking.allowlist", "intranet.example"}, {"blocking.custom-rules", "||ads.example^"}} {
		mustPolaris(t, src, "config", "set", kv[0], kv[1])
	}
	own := filepath.Join(t.TempDir(), "mine.txt")
	os.WriteFile(own, []byte("! Title: My trackers\n||tracker.example^\n"), 0o600)
	mustPolaris(t, src, "lists", "add", own)
	tmp := t.TempDir()
	pf := filepath.Join(tmp, "pass")
	os.WriteFile(pf, []byte(sealPass+"\n"), 0o600)

	file := filepath.Join(tmp, "polaris-data.age")
	out, errOut, code := polaris(t, src, "data", "export", file, "--encrypt", "--passphrase-file", pf)
	if code != 0 || !strings.Contains(out, "encrypted") || errOut != "" {
		t.Fatalf("export --encrypt: exit %d %q %q", code, out, errOut)
	}
	b, _ := os.ReadFile(file)
	if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n-> scrypt ")) {
		t.Fatalf("not an age file encrypted to a passphrase: %.60q", b)
	}
	for _, secret := range []string{"polaris", "intranet.example", "tracker.example"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%q shows in the encrypted file", secret)
		}
	}
	want := plainSections(t, src)

	// Debian's age reads it, the passphrase typed at its terminal.
	decrypted := filepath.Join(tmp, "by-age.json")
	shown, code := onPTY(t, exec.Command("age", "-d", "-o", decrypted, file), ptyStep{"passphrase", sealPass + "\n"})
	if code != 0 {
		t.Fatalf("age -d: exit %d: %q", code, shown)
	}
	plain, _ := os.ReadFile(decrypted)
	sameSections(t, "age -d of the export vs a plain export", want, sections(t, plain))

	// Imported on a fresh data dir.
	dst := t.TempDir()
	if _, e, code := polaris(t, dst, "data", "import", file, "--passphrase-file", pf, "--yes"); code != 0 {
		t.Fatalf("import: exit %d %s", code, e)
	}
	sameSections(t, "the source vs the data dir it was imported into", want, plainSections(t, dst))

	// Without --yes and without a terminal, the decrypted file's
	// allowlist is not applied, as for a plain file.
	guarded := t.TempDir()
	_, e, code := polaris(t, guarded, "data", "import", file, "--passphrase-file", pf)
	if code != 0 || !strings.Contains(e, "blocking.allowlist") {
		t.Errorf("import without --yes: exit %d %q, want 0 and the allowlist named", code, e)
	}
	if got := strings.TrimSpace(mustPolaris(t, guarded, "config", "get", "blocking.allowlist")); got != "" {
		t.Errorf("blocking.allowlist = %q after an unconfirmed encrypted import", got)
	}

	// A file age encrypted (age -p, the passphrase typed twice) imports.
	byAge := filepath.Join(tmp, "by-age.age")
	shown, code = onPTY(t, exec.Command("age", "-p", "-o", byAge, decrypted),
		ptyStep{"passphrase", sealPass + "\n"}, ptyStep{"onfirm", sealPass + "\n"})
	if code != 0 {
		t.Fatalf("age -p: exit %d: %q", code, shown)
	}
	other := t.TempDir()
	if _, e, code := polaris(t, other, "data", "import", byAge, "--passphrase-file", pf, "--yes"); code != 0 {
		t.Fatalf("import of age's file: exit %d %s", code, e)
	}
	sameSections(t, "the source vs a data dir that imported age's file", want, plainSections(t, other))

	// A weak passphrase: warned about with its estimated strength, used.
	weak := filepath.Join(tmp, "weak")
	os.WriteFile(weak, []byte("kitten1"), 0o600)
	_, e, code = polaris(t, src, "data", "export", filepath.Join(tmp, "weak.age"), "--passphrase-file", weak)
	if code != 0 || !strings.Contains(e, "warning: this passphrase is weak (estimated strength very weak, about") || !strings.Contains(e, "7 characters") {
		t.Errorf("export with a weak passphrase: exit %d %q, want 0 and a warning", code, e)
	}
	if strings.Contains(e, "kitten1") {
		t.Error("the warning shows the passphrase")
	}
}

// Each bad encrypted import is refused with its one-line message and exit
// status 2, and the database stays as it was, byte for byte.
func TestDataImportEncryptedRefusals(t *testing.T) {
	src, tmp := t.TempDir(), t.TempDir()
	mustPolaris(t, src, "config", "set", "dnt", "0")
	pf := filepath.Join(tmp, "pass")
	os.WriteFile(pf, []byte(sealPass), 0o600)
	wrong := filepath.Join(tmp, "wrong")
	os.WriteFile(wrong, []byte(sealPass+"!"), 0o600)
	empty := filepath.Join(tmp, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	good := filepath.Join(tmp, "good.age")
	mustPolaris(t, src, "data", "export", good, "--passphrase-file", pf)
	plain := filepath.Join(tmp, "plain.json")
	mustPolaris(t, src, "data", "export", plain)
	b, _ := os.ReadFile(good)
	write := func(name string, content []byte) string {
		p := filepath.Join(tmp, name)
		os.WriteFile(p, content, 0o600)
		return p
	}
	flipped := bytes.Clone(b)
	flipped[len(flipped)-40] ^= 0x01

	dir := t.TempDir()
	mustPolaris(t, dir, "config", "set", "dnt", "1")
	mustPolaris(t, dir, "config", "get") // opened and closed once more: the files are at rest
	sum := dbChecksum(t, dir)
	mustPolaris(t, dir, "config", "get")
	if dbChecksum(t, dir) != sum {
		t.Fatal("the database files change when Polaris only reads them: this test cannot tell")
	}
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"wrong passphrase", []string{good, "--passphrase-file", wrong}, "wrong passphrase"},
		{"flipped byte", []string{write("flipped.age", flipped), "--passphrase-file", pf}, "damaged"},
		{"truncated", []string{write("truncated.age", b[:len(b)/2]), "--passphrase-file", pf}, "cut short"},
		{"plain file given a passphrase", []string{plain, "--passphrase-file", pf}, "not encrypted"},
		{"no passphrase, no terminal", []string{good}, "--passphrase-file"},
		{"an empty passphrase file", []string{good, "--passphrase-file", empty}, "empty"},
	} {
		out, e, code := polaris(t, dir, append([]string{"data", "import"}, tc.args...)...)
		if code != 2 || !strings.Contains(e, tc.says) || strings.Count(e, "\n") != 1 || !strings.HasPrefix(e, "polaris: ") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line saying %q", tc.name, code, e, tc.says)
		}
		if strings.Contains(out+e, sealPass) {
			t.Errorf("%s: the passphrase is shown", tc.name)
		}
		if dbChecksum(t, dir) != sum {
			t.Errorf("%s: the database changed", tc.name)
			sum = dbChecksum(t, dir)
		}
	}
	if got := strings.TrimSpace(mustPolaris(t, dir, "config", "get", "dnt")); got != "1" {
		t.Errorf("dnt = %s after the refused imports, want 1", got)
	}

	// An export that cannot ask for its passphrase writes nothing.
	out := filepath.Join(tmp, "never.age")
	for _, args := range [][]string{{"--encrypt"}, {"--passphrase-file", filepath.Join(tmp, "missing")}, {"--passphrase-file", empty}} {
		_, e, code := polaris(t, src, append([]string{"data", "export", out}, args...)...)
		if code != 2 || strings.Count(e, "\n") != 1 {
			t.Errorf("export %v: exit %d %q, want 2 and one line", args, code, e)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("export %v wrote a file", args)
		}
	}
}

// On a terminal: export --encrypt asks twice without echoing, refuses two
// different answers; import asks for an encrypted file's passphrase.
func TestDataEncryptedOnATerminal(t *testing.T) {
	src, tmp := t.TempDir(), t.TempDir()
	mustPolaris(t, src, "config", "set", "dnt", "0")
	file := filepath.Join(tmp, "polaris-data.age")

	shown, code := onPTY(t, exec.Command(binary, "--data-dir", src, "data", "export", file, "--encrypt"),
		ptyStep{"Passphrase for the export (not shown): ", sealPass + "\n"},
		ptyStep{"The same passphrase again: ", sealPass + "x\n"})
	if code != 2 || !strings.Contains(shown, "the two passphrases differ") {
		t.Errorf("two different passphrases: exit %d %q, want 2", code, shown)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a file was written after two different passphrases")
	}

	shown, code = onPTY(t, exec.Command(binary, "--data-dir", src, "data", "export", file, "--encrypt"),
		ptyStep{"Passphrase for the export (not shown): ", sealPass + "\n"},
		ptyStep{"The same passphrase again: ", sealPass + "\n"})
	if code != 0 || !strings.Contains(shown, "exported, encrypted with your passphrase") {
		t.Fatalf("export --encrypt on a terminal: exit %d %q", code, shown)
	}
	if strings.Contains(shown, "marmot") {
		t.Errorf("the passphrase was echoed: %q", shown)
	}
	if strings.Contains(shown, "warning") {
		t.Errorf("a good passphrase is warned about: %q", shown)
	}

	dst := t.TempDir()
	mustPolaris(t, dst, "config", "set", "dnt", "1")
	shown, code = onPTY(t, exec.Command(binary, "--data-dir", dst, "data", "import", file),
		ptyStep{"is encrypted. Its passphrase (not shown): ", "not it\n"})
	if code != 2 || !strings.Contains(shown, "wrong passphrase") {
		t.Errorf("a wrong passphrase on the terminal: exit %d %q, want 2", code, shown)
	}
	shown, code = onPTY(t, exec.Command(binary, "--data-dir", dst, "data", "import", file),
		ptyStep{"is encrypted. Its passphrase (not shown): ", sealPass + "\n"})
	if code != 0 || strings.Contains(shown, "marmot") {
		t.Fatalf("import on a terminal: exit %d %q", code, shown)
	}
	if got := strings.TrimSpace(mustPolaris(t, dst, "config", "get", "dnt")); got != "0" {
		t.Errorf("dnt = %s after the import, want the file's 0", got)
	}
}

// data inventory says what an export holds, and that encryption covers
// all of it.
func TestDataInventoryExport(t *testing.T) {
	out := mustPolaris(t, t.TempDir(), "data", "inventory")
	for _, want := range []string{"Exports (polaris data export FILE [--encrypt]):", "proxy password", "all of it is encrypted"} {
		if !strings.Contains(out, want) {
			t.Errorf("data inventory does not say %q:\n%s", want, out)
		}
	}
}
