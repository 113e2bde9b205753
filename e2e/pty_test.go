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
