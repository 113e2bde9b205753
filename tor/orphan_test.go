// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package tor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoOrphanAfterCrash kills a process running a Client with SIGKILL (no
// Shutdown, no deferred cleanup) and checks that its tor exits too
// (TAKEOWNERSHIP and __OwningControllerProcess).
func TestNoOrphanAfterCrash(t *testing.T) {
	t.Parallel()
	lookTor(t)
	dir := t.TempDir()
	torrc := unreachableTorrc(t) // loopback only: nothing leaves the host
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "POLARIS_TOR_HELPER="+filepath.Join(dir, "tor"), "POLARIS_TOR_HELPER_TORRC="+torrc)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the helper's tor PID: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "tor-pid "))
	if err != nil || pid <= 0 {
		t.Fatalf("helper said %q, want tor-pid N", line)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("helper's tor %d is not running: %v", pid, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("tor %d still runs 10 s after its owner was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether pid runs: a zombie (exited, not yet reaped by
// an init that may be slow to, in a container) has stopped.
func running(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

// TestHelperProcess is the process killed by TestNoOrphanAfterCrash.
func TestHelperProcess(t *testing.T) {
	dataDir := os.Getenv("POLARIS_TOR_HELPER")
	if dataDir == "" {
		t.Skip("helper for TestNoOrphanAfterCrash")
	}
	c, err := New(Config{DataDir: dataDir, ExtraTorrc: os.Getenv("POLARIS_TOR_HELPER_TORRC")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	pid := c.inst.pid()
	c.mu.Unlock()
	fmt.Printf("tor-pid %d\n", pid)
	time.Sleep(time.Minute) // killed before
}
