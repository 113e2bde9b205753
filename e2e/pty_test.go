// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the master and the slave of a new pseudo-terminal.
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// On a terminal, data delete asks, and only "delete" deletes.
func TestDataDeleteAsksOnATerminal(t *testing.T) {
	for _, tc := range []struct {
		answer  string
		deleted bool
	}{{"no", false}, {"delete", true}} {
		t.Run(tc.answer, func(t *testing.T) {
			dir := t.TempDir()
			polaris(t, dir, "config", "set", "dnt", "1")
			m, s := openPTY(t)
			cmd := exec.Command(binary, "--data-dir", dir, "data", "delete")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(m)
			deadline := time.Now().Add(10 * time.Second)
			var seen strings.Builder
			for !strings.Contains(seen.String(), "to go on:") {
				m.SetReadDeadline(deadline)
				b, err := r.ReadByte()
				if err != nil {
					t.Fatalf("no confirmation prompt; got %q (%v)", seen.String(), err)
				}
				seen.WriteByte(b)
			}
			m.Write([]byte(tc.answer + "\n"))
			cmd.Wait()
			_, err := os.Stat(filepath.Join(dir, "polaris.db"))
			if deleted := os.IsNotExist(err); deleted != tc.deleted {
				t.Errorf("answer %q: deleted = %v, want %v", tc.answer, deleted, tc.deleted)
			}
		})
	}
}

// On a terminal, data import shows the settings of the file that would
// open Polaris to others and applies them only after "yes".
func TestDataImportAsksOnATerminal(t *testing.T) {
	file := filepath.Join(t.TempDir(), "from-someone.json")
	os.WriteFile(file, []byte(`{"format":"polaris-data-export","version":1,"sections":{"settings":`+
		`{"dnt":"0","blocking.allowlist":"tracker.example","https.default-exclusions":"off"}}}`), 0o600)
	for _, tc := range []struct {
		answer  string
		applied bool
	}{{"no", false}, {"yes", true}} {
		t.Run(tc.answer, func(t *testing.T) {
			dir := t.TempDir()
			polaris(t, dir, "config", "set", "dnt", "1")
			m, s := openPTY(t)
			cmd := exec.Command(binary, "--data-dir", dir, "data", "import", file)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(m)
			deadline := time.Now().Add(10 * time.Second)
			var seen strings.Builder
			for !strings.Contains(seen.String(), "without them: ") {
				m.SetReadDeadline(deadline)
				b, err := r.ReadByte()
				if err != nil {
					t.Fatalf("no confirmation prompt; got %q (%v)", seen.String(), err)
				}
				seen.WriteByte(b)
			}
			for _, want := range []string{"blocking.allowlist", "tracker.example", "trackers on these sites would no longer be blocked", "https.default-exclusions"} {
				if !strings.Contains(seen.String(), want) {
					t.Errorf("the question does not show %q:\n%s", want, seen.String())
				}
			}
			m.Write([]byte(tc.answer + "\n"))
			cmd.Wait()
			got := strings.TrimSpace(mustPolaris(t, dir, "config", "get", "blocking.allowlist"))
			if applied := got == "tracker.example"; applied != tc.applied {
				t.Errorf("answer %q: blocking.allowlist = %q, applied %v, want %v", tc.answer, got, applied, tc.applied)
			}
			if dnt := strings.TrimSpace(mustPolaris(t, dir, "config", "get", "dnt")); dnt != "0" {
				t.Errorf("answer %q: dnt = %s, want the file's 0 either way", tc.answer, dnt)
			}
		})
	}
}
