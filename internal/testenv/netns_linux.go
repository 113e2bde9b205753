// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package testenv

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// Private networks for tests that need addresses other than loopback (a
// LAN client, another computer): the test runs again in a network
// namespace of its own, where it may add addresses and links without
// touching the machine's network.

const netnsEnv = "POLARIS_TEST_NETNS"

// InNetns runs the calling test again, alone, in a new network namespace
// (unshare: as root, or in a user namespace) with its loopback up, and
// reports whether this is that run. Outside, it waits for the run and
// fails the test if it failed; the test then returns:
//
//	if !testenv.InNetns(t) {
//		return
//	}
//	// here: a network of the test's own
//
// Where no namespace can be made the test is skipped, except with CI=true,
// where it fails. Only top-level tests can use it.
func InNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == t.Name() {
		Run(t, "ip", "link", "set", "lo", "up")
		return true
	}
	flags := []string{"--net"}
	if os.Geteuid() != 0 {
		flags = append(flags, "--map-root-user")
	}
	if out, err := exec.Command("unshare", append(flags, "true")...).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no network namespace can be made (unshare %s: %v: %s)", strings.Join(flags, " "), err, out)
		}
		t.Skipf("no network namespace can be made here (unshare %s: %v: %s)", strings.Join(flags, " "), err, out)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("no ip command (iproute2): %v", err)
	}
	args := append(flags, "--", os.Args[0], "-test.run", "^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1")
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Errorf("in its own network namespace: %v\n%s", err, out)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Errorf("in its own network namespace, the test did not pass:\n%s", out)
	case testing.Verbose():
		t.Logf("in its own network namespace:\n%s", out)
	}
	return false
}

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// Peer is another computer on a link: a network namespace of its own,
// joined to the test's by a veth pair. It lives until the test ends.
type Peer struct {
	// Addr is the peer's address on the link; Local is the test's.
	Addr, Local netip.Addr
	do          chan func()
}

var peers atomic.Int32

// NewPeer makes a peer on a link with the prefix pf (e.g. 10.77.0.0/24):
// the test's side gets its first address, the peer the second. Call it in
// a namespace of the test's own (InNetns).
func NewPeer(t testing.TB, pf netip.Prefix) *Peer {
	t.Helper()
	n := peers.Add(1)
	local := pf.Masked().Addr().Next()
	p := &Peer{Local: local, Addr: local.Next(), do: make(chan func())}
	tid := make(chan int)
	errc := make(chan error, 1)
	// The peer's namespace belongs to one OS thread, kept for it: what runs
	// there (sockets made, commands started) is in the peer's network.
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		tid <- syscall.Gettid()
		for f := range p.do {
			f()
		}
	}()
	var id int
	select {
	case err := <-errc:
		t.Fatalf("a namespace for the peer: %v", err)
	case id = <-tid:
	}
	t.Cleanup(func() { close(p.do) })
	here, there := fmt.Sprintf("pl%da", n), fmt.Sprintf("pl%db", n)
	Run(t, "ip", "link", "add", here, "type", "veth", "peer", "name", there, "netns", fmt.Sprint(id))
	Run(t, "ip", "addr", "add", netip.PrefixFrom(local, pf.Bits()).String(), "dev", here)
	Run(t, "ip", "link", "set", here, "up")
	var err error
	p.Do(func() {
		for _, args := range [][]string{
			{"link", "set", "lo", "up"},
			{"addr", "add", netip.PrefixFrom(p.Addr, pf.Bits()).String(), "dev", there},
			{"link", "set", there, "up"},
		} {
			if out, e := exec.Command("ip", args...).CombinedOutput(); e != nil && err == nil {
				err = fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), e, out)
			}
		}
	})
	if err != nil {
		t.Fatalf("setting up the peer: %v", err)
	}
	return p
}

// Do runs f in the peer's network namespace and returns when it has.
func (p *Peer) Do(f func()) {
	done := make(chan struct{})
	p.do <- func() { defer close(done); f() }
	<-done
}

// Listen opens a listener in the peer's network (e.g. "tcp", ":80" or
// Addr's port).
func (p *Peer) Listen(network, addr string) (net.Listener, error) {
	var ln net.Listener
	var err error
	p.Do(func() { ln, err = net.Listen(network, addr) })
	return ln, err
}
