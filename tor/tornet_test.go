// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package tor

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"polaris/internal/status"
	"polaris/internal/testenv"
)

// The private Tor network (../shared/tornet) is started once per test run,
// by the first test that needs it (testenv.StartTornet), and stopped by
// TestMain.

type tornet struct{ *testenv.Tornet }

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTornet()
	os.Exit(code)
}

// privateNet returns the running private network, starting it if needed. It
// skips the test only when tor is not installed (or in -short mode).
func privateNet(t testing.TB) *tornet {
	t.Helper()
	return &tornet{testenv.StartTornet(t)}
}

// config returns a Config joining the private network, with a data dir in
// t's temp dir (or dataDir) and tor's log in the test log on failure.
func (n *tornet) config(t testing.TB, dataDir string) Config {
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "tor")
	}
	return Config{
		DataDir:        dataDir,
		ExtraTorrc:     n.Torrc,
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

func peerPID(peer, local string) (int, error) { return testenv.PeerPID(peer, local) }

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
func torProcesses(dataDir string) []int { return testenv.ProcessesWith(dataDir) }
