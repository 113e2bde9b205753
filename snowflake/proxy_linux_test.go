// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package snowflake

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"polaris/internal/testenv"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig points a proxy at a stand-in broker, a STUN placeholder and a
// relay placeholder, all on loopback. The test runs in a network namespace
// of its own (testenv.InNetns): snowflake-proxy 2.5 also asks the Tor
// Project's NAT probe server (no flag changes it), and there that request
// cannot leave this computer.
func testConfig(t *testing.T, b *testenv.SnowflakeBroker, log *syncBuf) Config {
	t.Helper()
	stun, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stun.Close() })
	return Config{
		Broker:           b.URL,
		STUN:             "stun:" + stun.LocalAddr().String(),
		Relay:            "ws://127.0.0.1:9/",
		RelayPattern:     "127.0.0.1$",
		AllowNonTLSRelay: true,
		Capacity:         2,
		SummaryInterval:  time.Second,
		Log:              log,
		MinBackoff:       100 * time.Millisecond,
	}
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) STATE ...
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running %v later", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func needProgram(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(DefaultBinary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s is not installed (make deps-test)", DefaultBinary)
		}
		t.Skipf("%s is not installed (apt-get install snowflake-proxy)", DefaultBinary)
	}
}

// TestStartStopCrashRestart runs the real snowflake-proxy against the
// stand-in broker: started, it polls the broker; killed with SIGKILL, it is
// started again (the restart counted) and polls again; shut down, its
// process is gone.
func TestStartStopCrashRestart(t *testing.T) {
	needProgram(t)
	if !testenv.InNetns(t) {
		return
	}
	b := testenv.NewSnowflakeBroker(t)
	var log syncBuf
	p, err := New(testConfig(t, b, &log))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("snowflake-proxy's output:\n%s", log.String())
		}
	}()
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	st := p.Status()
	if st.State != Running || st.PID == 0 || !alive(st.PID) {
		t.Fatalf("after Start: %+v", st)
	}
	first := st.PID
	polls := b.WaitPolls(t, 1, 30*time.Second)
	if polls[0].Type != "standalone" || polls[0].Sid == "" {
		t.Errorf("first poll %+v: want a standalone proxy with a session id", polls[0])
	}
	// The capacity cap is passed on.
	if !slices.Contains(p.Args(), "-capacity") {
		t.Errorf("args %q carry no -capacity", p.Args())
	}

	// Crash: kill -9 the child. Polaris starts it again.
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	st = waitStatus(t, p, 10*time.Second, "restarted once with a new process", func(s Status) bool {
		return s.State == Running && s.Restarts == 1 && s.PID != 0 && s.PID != first
	})
	waitGone(t, first, 5*time.Second)
	n := len(b.Polls())
	polls = b.WaitPolls(t, n+1, 30*time.Second)
	last := polls[len(polls)-1]
	if !last.Time.After(killedAt) || last.Sid == polls[0].Sid {
		t.Errorf("after the restart the broker saw %+v; want a poll from a new session (first was %q)", last, polls[0].Sid)
	}

	// Stop: the process is gone.
	second := st.PID
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if alive(second) {
		t.Errorf("process %d still running after Shutdown", second)
	}
	if st := p.Status(); st.State != Off || st.PID != 0 {
		t.Errorf("after Shutdown: %+v", st)
	}
	n = len(b.Polls())
	time.Sleep(6 * time.Second) // longer than the proxy's 5 s poll interval
	if m := len(b.Polls()); m != n {
		t.Errorf("the broker saw %d polls after Shutdown", m-n)
	}
}

const orphanEnv = "POLARIS_SNOWFLAKE_ORPHAN_BROKER"

// TestNoOrphanWhenPolarisDies runs a stand-in Polaris (this test binary
// again) that starts the proxy, kills it with SIGKILL, and checks the
// proxy goes with it.
func TestNoOrphanWhenPolarisDies(t *testing.T) {
	needProgram(t)
	if !testenv.InNetns(t) {
		return
	}
	b := testenv.NewSnowflakeBroker(t)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestOrphanHelper$", "-test.v")
	cmd.Env = append(os.Environ(), orphanEnv+"="+b.URL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "PID %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatal("the stand-in Polaris did not start the proxy")
	}
	go io.Copy(io.Discard, out)
	b.WaitPolls(t, 1, 30*time.Second)
	if !alive(pid) {
		t.Fatalf("proxy %d not running", pid)
	}
	cmd.Process.Kill() // Polaris dies without cleaning up
	cmd.Wait()
	waitGone(t, pid, 5*time.Second)
	n := len(b.Polls())
	time.Sleep(6 * time.Second)
	if m := len(b.Polls()); m != n {
		t.Errorf("the broker saw %d polls after Polaris died: an orphan proxy", m-n)
	}
}

// TestOrphanHelper is the stand-in Polaris of TestNoOrphanWhenPolarisDies.
func TestOrphanHelper(t *testing.T) {
	broker := os.Getenv(orphanEnv)
	if broker == "" {
		t.Skip("run by TestNoOrphanWhenPolarisDies")
	}
	p, err := New(Config{Broker: broker, STUN: "stun:127.0.0.1:9", Relay: "ws://127.0.0.1:9/", RelayPattern: "127.0.0.1$", AllowNonTLSRelay: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PID %d\n", p.Status().PID)
	time.Sleep(time.Minute)
}
