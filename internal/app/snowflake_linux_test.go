// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package app

import (
	"bytes"
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

	"polaris/internal/status"
	"polaris/internal/testenv"
	"polaris/snowflake"
)

// snowflakeChildren returns the snowflake-proxy processes whose parent is
// this process.
func snowflakeChildren(t *testing.T) []int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		j := bytes.IndexByte(b, '(')
		if i < 0 || j < 0 {
			continue
		}
		comm := string(b[j+1 : i])
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[0] == "Z" || !strings.HasPrefix(comm, "snowflake-proxy") {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == os.Getpid() {
			pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
			out = append(out, pid)
		}
	}
	return out
}

func waitChildren(t *testing.T, n int, within time.Duration) []int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c := snowflakeChildren(t)
		if len(c) == n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d snowflake-proxy processes of Polaris after %v; want %d", len(c), within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSnowflakeGiveBack: the "give back" switch runs the real
// snowflake-proxy (against a stand-in broker, in a network namespace of
// the test's own: the program also asks the Tor Project's NAT probe
// server, which cannot be reached from there). Off by default; on, the
// broker sees its polls; killed, it is started again and counted; off, its
// process is gone; and it stops when Polaris stops.
func TestSnowflakeGiveBack(t *testing.T) {
	if _, err := exec.LookPath(snowflake.DefaultBinary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and snowflake-proxy is not installed")
		}
		t.Skip("snowflake-proxy is not installed")
	}
	if !testenv.InNetns(t) {
		return
	}
	b := testenv.NewSnowflakeBroker(t)
	ctx := context.Background()
	a, err := Open(ctx, Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Snowflake: snowflake.Config{
		Broker: b.URL, STUN: "stun:127.0.0.1:9", Relay: "ws://127.0.0.1:9/", RelayPattern: "127.0.0.1$",
		AllowNonTLSRelay: true, MinBackoff: 100 * time.Millisecond,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	stop := startApp(t, a)
	if st := a.Snapshot().Snowflake; st.Enabled || st.State != status.SnowflakeOff {
		t.Fatalf("a fresh install's Snowflake status %+v; want off", st)
	}
	if c := snowflakeChildren(t); len(c) != 0 {
		t.Fatalf("snowflake-proxy runs (%v) though it is off", c)
	}

	set := func(on bool) {
		t.Helper()
		s := a.Settings()
		s.Snowflake.Enabled, s.Snowflake.Capacity = on, 3
		if err := a.Apply(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	set(true)
	st := waitSnowflake(t, a, 10*time.Second, "running", func(s status.Snowflake) bool { return s.State == status.SnowflakeRunning })
	if !st.Enabled || st.Capacity != 3 {
		t.Errorf("status %+v; want enabled with capacity 3", st)
	}
	pid := waitChildren(t, 1, 5*time.Second)[0]
	if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); !bytes.Contains(cmd, []byte("-capacity\x003\x00")) {
		t.Errorf("snowflake-proxy's command line %q has no -capacity 3", bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
	}
	b.WaitPolls(t, 1, 30*time.Second)

	// Crash.
	syscall.Kill(pid, syscall.SIGKILL)
	killed := time.Now()
	waitSnowflake(t, a, 10*time.Second, "running again after one restart", func(s status.Snowflake) bool {
		return s.State == status.SnowflakeRunning && s.Restarts == 1
	})
	if c := waitChildren(t, 1, 5*time.Second); c[0] == pid {
		t.Fatalf("the killed process %d is still the proxy", pid)
	}
	n := len(b.Polls())
	if p := b.WaitPolls(t, n+1, 30*time.Second); !p[len(p)-1].Time.After(killed) {
		t.Errorf("no poll after the restart")
	}

	// Off: gone.
	set(false)
	waitSnowflake(t, a, 10*time.Second, "off", func(s status.Snowflake) bool { return s.State == status.SnowflakeOff && !s.Enabled })
	waitChildren(t, 0, 5*time.Second)
	if st := a.Snapshot().Snowflake; st.Restarts != 1 {
		t.Errorf("after turning it off the restart count is %d; want 1 kept", st.Restarts)
	}

	// On again, then Polaris stops: gone with it.
	set(true)
	waitSnowflake(t, a, 10*time.Second, "running", func(s status.Snowflake) bool { return s.State == status.SnowflakeRunning })
	waitChildren(t, 1, 5*time.Second)
	stop()
	if c := snowflakeChildren(t); len(c) != 0 {
		t.Errorf("snowflake-proxy %v still runs after Polaris stopped", c)
	}
}
