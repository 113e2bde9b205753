//go:build linux

package tor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"polaris/internal/status"
	"polaris/internal/testenv"
)

// The private Tor network (../shared/tornet) is started once per test run,
// by the first test that needs it, and stopped by TestMain.

var (
	netOnce sync.Once
	theNet  *tornet
	netErr  error
)

type tornet struct {
	script string
	dir    string
	torrc  string // extra torrc joining the network
	exits  []int  // PIDs of the exit relays
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theNet != nil {
		out, err := exec.Command(theNet.script, "stop", theNet.dir).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "stopping the private Tor network: %v\n%s", err, out)
		}
		os.Remove(theNet.torrc)
	}
	os.Exit(code)
}

// privateNet returns the running private network, starting it if needed. It
// skips the test only when tor is not installed (or in -short mode).
func privateNet(t testing.TB) *tornet {
	t.Helper()
	if _, err := exec.LookPath("tor"); err != nil {
		t.Skip("tor is not installed (Debian package tor): skipping the tests on the private Tor network")
	}
	if testing.Short() {
		t.Skip("-short: skipping the tests on the private Tor network")
	}
	script := testenv.Shared(t, "tornet/tornet.sh")
	netOnce.Do(func() { theNet, netErr = startNet(script) })
	if netErr != nil {
		t.Fatal(netErr)
	}
	return theNet
}

func startNet(script string) (*tornet, error) {
	base, err := freeBase()
	if err != nil {
		return nil, err
	}
	// Keys are kept between runs (per base port) to start faster.
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "polaris-test", fmt.Sprintf("tornet-%d", base))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.Command(script, "start", dir)
	cmd.Env = append(os.Environ(),
		"TORNET_BASE_PORT="+strconv.Itoa(base),
		"TORNET_OWNER_PID="+strconv.Itoa(os.Getpid()),
		"TORNET_CLIENTS=0", // our own clients join it
		"TORNET_TIMEOUT=90",
	)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		exec.Command(script, "stop", dir).Run()
		return nil, fmt.Errorf("starting the private Tor network: %v\n%s", err, out)
	}
	n := &tornet{script: script, dir: dir}
	auths, err := os.ReadFile(filepath.Join(dir, "authorities.conf"))
	if err != nil {
		return n, err
	}
	f, err := os.CreateTemp("", "polaris-tornet-*.torrc")
	if err != nil {
		return n, err
	}
	n.torrc = f.Name()
	fmt.Fprintf(f, "TestingTorNetwork 1\n%s", auths)
	f.Close()
	pids, _ := filepath.Glob(filepath.Join(dir, "exit*", "pid"))
	for _, p := range pids {
		b, _ := os.ReadFile(p)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			n.exits = append(n.exits, pid)
		}
	}
	if len(n.exits) == 0 {
		return n, fmt.Errorf("no exit relay PIDs in %s", dir)
	}
	fmt.Fprintf(os.Stderr, "private Tor network up in %.1f s (base port %d)\n", time.Since(start).Seconds(), base)
	return n, nil
}

// freeBase picks a TORNET_BASE_PORT whose ports are all free, so that
// parallel test runs do not collide.
func freeBase() (int, error) {
	for base := 23000; base < 27000; base += 400 {
		free := true
		for _, p := range []int{0, 1, 2, 3, 4, 100, 101, 102} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+p))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free port range for the private Tor network")
}

// config returns a Config joining the private network, with a data dir in
// t's temp dir (or dataDir) and tor's log in the test log on failure.
func (n *tornet) config(t testing.TB, dataDir string) Config {
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "tor")
	}
	return Config{
		DataDir:        dataDir,
		ExtraTorrc:     n.torrc,
		Isolate:        true,
		Log:            &testLog{t: t},
		RestartBackoff: 200 * time.Millisecond,
	}
}

// testLog keeps tor's output and prints it if the test fails.
type testLog struct {
	t    testing.TB
	mu   sync.Mutex
	buf  strings.Builder
	once sync.Once
}

func (l *testLog) Write(p []byte) (int, error) {
	l.once.Do(func() {
		l.t.Cleanup(func() {
			if l.t.Failed() {
				l.mu.Lock()
				l.t.Logf("tor output:\n%s", l.buf.String())
				l.mu.Unlock()
			}
		})
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	return len(p), nil
}

// watcher collects the statuses a Client reports.
type watcher struct {
	mu  sync.Mutex
	all []status.Tor
	ch  chan struct{}
}

func newWatcher() *watcher { return &watcher{ch: make(chan struct{}, 1)} }

func (w *watcher) onStatus(st status.Tor) {
	w.mu.Lock()
	w.all = append(w.all, st)
	w.mu.Unlock()
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

func (w *watcher) statuses() []status.Tor {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.all)
}

// waitFor waits until a reported status satisfies ok (checking from index
// from) and returns its index.
func (w *watcher) waitFor(t *testing.T, from int, d time.Duration, what string, ok func(status.Tor) bool) int {
	t.Helper()
	deadline := time.After(d)
	for {
		all := w.statuses()
		for i := from; i < len(all); i++ {
			if ok(all[i]) {
				return i
			}
		}
		select {
		case <-w.ch:
		case <-deadline:
			t.Fatalf("no status %s within %s; statuses: %+v", what, d, all[from:])
		}
	}
}

func isReady(st status.Tor) bool { return st.State == status.TorReady }

// origin is an HTTP server on 127.0.0.1 that records which process owns
// the other end of each connection.
type origin struct {
	*httptest.Server
	mu    sync.Mutex
	peers []int // PIDs, -1 when not found
}

func newOrigin(t testing.TB) *origin {
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pid, err := peerPID(r.RemoteAddr, o.Listener.Addr().String())
		if err != nil {
			t.Logf("origin: finding the peer of %s: %v", r.RemoteAddr, err)
			pid = -1
		}
		o.mu.Lock()
		o.peers = append(o.peers, pid)
		o.mu.Unlock()
		io.WriteString(w, "hello through tor")
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) lastPeer() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.peers) == 0 {
		return 0
	}
	return o.peers[len(o.peers)-1]
}

// peerPID returns the PID of the process owning the TCP socket whose local
// address is peer and remote address is local (both 127.0.0.1:port), from
// /proc/net/tcp and /proc/*/fd.
func peerPID(peer, local string) (int, error) {
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

// get fetches url's body over conn-producing dial with the given isolation.
func get(ctx context.Context, c *Client, url, isolation string) (string, error) {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return c.DialContext(ctx, network, addr, isolation)
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return "", err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// torProcesses lists the PIDs of tor processes using dataDir.
func torProcesses(dataDir string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(string(b), dataDir) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil && strings.Contains(string(stat), ") Z ") {
			continue // zombie
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
