// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package testenv

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tornet is the private Tor network of ../shared/tornet running on
// 127.0.0.1: three authorities and two exit relays, no client (tests join
// it with their own tor).
type Tornet struct {
	Script string
	Dir    string
	// Torrc is a file of torrc lines that joins the network
	// (TestingTorNetwork 1 and the DirAuthority lines).
	Torrc string
	// Exits are the PIDs of the exit relays.
	Exits []int
	// inUse holds Dir's lock while this process runs the network.
	inUse *os.File
}

var (
	tornetOnce sync.Once
	theTornet  *Tornet
	tornetErr  error
)

// StartTornet returns the private Tor network, starting it the first time
// in this process (about 10-15 s; keys are cached between runs). It skips
// the test only when tor is not installed or in -short mode. Call
// StopTornet from TestMain.
func StartTornet(t testing.TB) *Tornet {
	t.Helper()
	if _, err := exec.LookPath("tor"); err != nil {
		t.Skip("tor is not installed (Debian package tor): skipping the tests on the private Tor network")
	}
	if testing.Short() {
		t.Skip("-short: skipping the tests on the private Tor network")
	}
	script := Shared(t, "tornet/tornet.sh")
	tornetOnce.Do(func() { theTornet, tornetErr = startTornet(script) })
	if tornetErr != nil {
		t.Fatal(tornetErr)
	}
	return theTornet
}

// StopTornet stops the private network if this process started it.
func StopTornet() {
	if theTornet == nil {
		return
	}
	if out, err := exec.Command(theTornet.Script, "stop", theTornet.Dir).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the private Tor network: %v\n%s", err, out)
	}
	os.Remove(theTornet.Torrc)
	theTornet.inUse.Close()
}

func startTornet(script string) (*Tornet, error) {
	// Keys are kept between runs (per base port) to start faster.
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "polaris-test")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	// Test binaries of several packages run at once (go test -p): from
	// choosing free ports until the relays are bound (and the cached keys
	// of that base are in use) only one of them may go, or both pick the
	// same base.
	lock, err := os.OpenFile(filepath.Join(root, "tornet.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	defer lock.Close() // releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	base, inUse, err := freeTornetBase(root)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, fmt.Sprintf("tornet-%d", base))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	start := time.Now()
	out, err := runTornet(script, dir, base)
	if err != nil {
		// Keys are cached between runs; a run killed while it wrote them
		// (or keys of another tor version) leaves a directory whose
		// relays cannot start ("failed to start auth2", seen in CI).
		// Start once more from new keys before giving up.
		fmt.Fprintf(os.Stderr, "private Tor network did not start with the cached keys in %s; starting again with new keys\n%s", dir, out)
		if rerr := os.RemoveAll(dir); rerr != nil {
			return nil, fmt.Errorf("starting the private Tor network: %v (and removing %s: %v)\n%s", err, dir, rerr, out)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		out, err = runTornet(script, dir, base)
	}
	if err != nil {
		return nil, fmt.Errorf("starting the private Tor network: %v\n%s", err, out)
	}
	n := &Tornet{Script: script, Dir: dir, inUse: inUse}
	auths, err := os.ReadFile(filepath.Join(dir, "authorities.conf"))
	if err != nil {
		return n, err
	}
	f, err := os.CreateTemp("", "polaris-tornet-*.torrc")
	if err != nil {
		return n, err
	}
	n.Torrc = f.Name()
	fmt.Fprintf(f, "TestingTorNetwork 1\n%s", auths)
	f.Close()
	pids, _ := filepath.Glob(filepath.Join(dir, "exit*", "pid"))
	for _, p := range pids {
		b, _ := os.ReadFile(p)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			n.Exits = append(n.Exits, pid)
		}
	}
	if len(n.Exits) == 0 {
		return n, fmt.Errorf("no exit relay PIDs in %s", dir)
	}
	fmt.Fprintf(os.Stderr, "private Tor network up in %.1f s (base port %d)\n", time.Since(start).Seconds(), base)
	return n, nil
}

// runTornet runs `tornet.sh start dir` with the network's base port, and
// stops whatever it started when it fails.
func runTornet(script, dir string, base int) ([]byte, error) {
	cmd := exec.Command(script, "start", dir)
	cmd.Env = append(os.Environ(),
		"TORNET_BASE_PORT="+strconv.Itoa(base),
		"TORNET_OWNER_PID="+strconv.Itoa(os.Getpid()),
		"TORNET_CLIENTS=0", // tests join it with their own clients
		"TORNET_TIMEOUT=90",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		exec.Command(script, "stop", dir).Run()
	}
	return out, err
}

// IsExit reports whether pid is one of the exit relays.
func (n *Tornet) IsExit(pid int) bool {
	for _, p := range n.Exits {
		if p == pid {
			return true
		}
	}
	return false
}

// freeTornetBase picks a TORNET_BASE_PORT whose ports are all free and
// whose key directory no other running test process uses, so that
// parallel test runs (several packages) do not collide. The ports alone
// do not tell: e2e runs in its own network namespace, where every port is
// free, and two networks in one directory overwrite each other's relay
// PIDs — so one's stop killed the other's relays (and, across PID
// namespaces, whatever host process had those numbers). The directory's
// lock is held, through the returned file, until StopTornet.
func freeTornetBase(root string) (int, *os.File, error) {
	for base := 23000; base < 31000; base += 400 {
		free := true
		for _, p := range []int{0, 1, 2, 3, 4, 100, 101, 102} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+p))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if !free {
			continue
		}
		f, err := os.OpenFile(filepath.Join(root, fmt.Sprintf("tornet-%d.in-use", base)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return 0, nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // another test process runs a network from this directory
			continue
		}
		return base, f, nil
	}
	return 0, nil, fmt.Errorf("no free port range for the private Tor network")
}

// PeerPID returns the PID of the process owning the TCP socket whose local
// address is peer and remote address is local (both IPv4 host:port), from
// /proc/net/tcp and /proc/*/fd: an origin uses it to prove which process
// connected to it (e.g. a Tor exit relay).
func PeerPID(peer, local string) (int, error) {
	enc := func(hostport string) (string, error) {
		ap, err := netip.ParseAddrPort(hostport)
		if err != nil {
			return "", err
		}
		ip := ap.Addr().As4()
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port()), nil
	}
	lp, err := enc(peer)
	if err != nil {
		return 0, err
	}
	rl, err := enc(local)
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	inode := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) >= 10 && fl[1] == lp && fl[2] == rl {
			inode = fl[9]
			break
		}
	}
	if inode == "" || inode == "0" {
		return 0, fmt.Errorf("no socket %s -> %s in /proc/net/tcp", peer, local)
	}
	target := "socket:[" + inode + "]"
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, fdDir := range procs {
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && l == target {
				return strconv.Atoi(filepath.Base(filepath.Dir(fdDir)))
			}
		}
	}
	return 0, fmt.Errorf("no process owns socket inode %s", inode)
}
