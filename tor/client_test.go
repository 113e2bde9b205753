// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package tor

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// TestPrivateNetwork runs a real tor on the private network: bootstrap with
// progress, a request proven to leave through an exit relay, isolation,
// new identity, circuits, errors, the watchdog and shutdown. Subtests share
// one tor to keep the run short.
func TestPrivateNetwork(t *testing.T) {
	t.Parallel()
	n := privateNet(t)
	o := newOrigin(t)
	addr := o.Listener.Addr().String()
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "tor")

	// Cold start: empty data directory.
	w := newWatcher()
	cfg := n.config(t, dataDir)
	cfg.OnStatus = w.onStatus
	cold, body := startAndFetch(t, cfg, w, o.URL, func(c *Client) {
		// Start returned; bootstrap is still running.
		if _, err := c.DialContext(ctx, "tcp", addr, "a.example"); !errors.Is(err, ErrNotReady) {
			t.Errorf("DialContext during bootstrap: err = %v, want ErrNotReady", err)
		}
	})
	if body != "hello through tor" {
		t.Errorf("body = %q, want %q", body, "hello through tor")
	}
	checkExit(t, n, o)
	checkProgress(t, w.statuses())

	// Warm start: the same data directory, kept from the first run. Conflux
	// off from here: with it a site's streams move between the legs of its
	// set (circuits Tor lists without the site's name), which would hide
	// whether "new circuits for one site" left another site's circuit alone.
	w = newWatcher()
	cfg.OnStatus = w.onStatus
	cfg.ExtraTorrc = withTorrcLines(t, n.Torrc, "ConfluxEnabled 0")
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer c.Shutdown(ctx)
	w.waitFor(t, 0, time.Minute, "ready", isReady)
	if _, err := get(ctx, c, o.URL, "a.example"); err != nil {
		t.Fatalf("GET through warm tor: %v", err)
	}
	warm := time.Since(start)
	t.Logf("Start to first byte through Tor on the private network: cold data dir %v, warm data dir %v",
		cold.Round(time.Millisecond), warm.Round(time.Millisecond))
	checkExit(t, n, o)

	t.Run("isolation", func(t *testing.T) { testIsolation(t, c, o) })
	t.Run("new circuit for one site", func(t *testing.T) { testNewCircuit(t, c, n, o) })
	t.Run("new identity", func(t *testing.T) { testNewIdentity(t, c, o) })
	t.Run("dial errors", func(t *testing.T) { testDialErrors(t, c) })
	t.Run("command line and control port", func(t *testing.T) { testLockdown(t, c) })
	t.Run("watchdog", func(t *testing.T) { testWatchdog(t, c, w, n, o) })

	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if pids := torProcesses(dataDir); len(pids) > 0 {
		t.Errorf("tor processes left after Shutdown: %v", pids)
	}
	if st := c.Status(); st.State != status.TorOff || st.Enabled {
		t.Errorf("Status after Shutdown = %+v, want off", st)
	}
	if _, err := c.DialContext(ctx, "tcp", addr, ""); !errors.Is(err, ErrNotReady) {
		t.Errorf("DialContext after Shutdown: err = %v, want ErrNotReady", err)
	}
}

// startAndFetch starts a client, runs during (right after Start), waits for
// it to be ready, fetches url, shuts it down and checks no tor is left. It
// returns the time from Start to the response.
func startAndFetch(t *testing.T, cfg Config, w *watcher, url string, during func(*Client)) (time.Duration, string) {
	t.Helper()
	ctx := context.Background()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() {
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if pids := torProcesses(cfg.DataDir); len(pids) > 0 {
			t.Errorf("tor processes left after Shutdown: %v", pids)
		}
	}()
	during(c)
	w.waitFor(t, 0, time.Minute, "ready", isReady)
	body, err := get(ctx, c, url, "a.example")
	if err != nil {
		t.Fatalf("GET %s through tor: %v", url, err)
	}
	return time.Since(start), body
}

// checkExit checks that the origin's last request came from an exit relay.
func checkExit(t *testing.T, n *tornet, o *origin) {
	t.Helper()
	pid := o.lastPeer()
	found := false
	for _, e := range n.Exits {
		found = found || e == pid
	}
	if !found {
		t.Errorf("origin's peer process = %d, want one of the exit relays %v", pid, n.Exits)
	}
}

// checkProgress checks the bootstrap reports: percentages never go back,
// phases are words, and the last is 100% ready.
func checkProgress(t *testing.T, all []status.Tor) {
	t.Helper()
	last, distinct := -1, 0
	for _, st := range all {
		if st.State != status.TorBootstrapping && st.State != status.TorReady {
			continue
		}
		if st.Progress < last {
			t.Errorf("progress went back from %d%% to %d%%: %+v", last, st.Progress, all)
		}
		if st.Progress > last {
			distinct++
		}
		if st.Progress > 0 && (st.Phase == "" || !strings.Contains(st.Phase, " ") && st.Phase != "Done") {
			t.Errorf("phase at %d%% = %q, want words", st.Progress, st.Phase)
		}
		last = st.Progress
	}
	if last != 100 || distinct < 3 {
		t.Errorf("bootstrap reports end at %d%% with %d steps, want 100%% and several steps: %+v", last, distinct, all)
	}
	ready := slices.IndexFunc(all, isReady)
	if st := all[max(ready, 0)]; st.State != status.TorReady || !st.Enabled || st.Version == "" {
		t.Errorf("last status = %+v, want ready, enabled, with a version", st)
	}
}

// circuitOf waits for the circuit of site to be known (stream events arrive
// just after the connection).
func circuitOf(t *testing.T, c *Client, site string) status.Circuit {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		circ, err := c.Circuit(context.Background(), site)
		if err == nil {
			return circ
		}
		if time.Now().After(deadline) {
			t.Fatalf("Circuit(%q): %v", site, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fetchCircuit fetches the origin for site and returns the circuit that
// carried it (waiting for tor's stream event).
func fetchCircuit(t *testing.T, c *Client, o *origin, site string) status.Circuit {
	t.Helper()
	in := c.ready.Load()
	before := in.streams.Load()
	if _, err := get(context.Background(), c, o.URL, site); err != nil {
		t.Fatalf("GET for %s: %v", site, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for in.streams.Load() == before {
		if time.Now().After(deadline) {
			t.Fatalf("no stream event for %s", site)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return circuitOf(t, c, site)
}

func testIsolation(t *testing.T, c *Client, o *origin) {
	// Right after bootstrap a first stream may take a general circuit
	// before tor's conflux sets are linked; later ones stay on one set.
	fetchCircuit(t, c, o, "a.example")
	fetchCircuit(t, c, o, "b.example")
	a, b := fetchCircuit(t, c, o, "a.example"), fetchCircuit(t, c, o, "b.example")
	if a.ID == b.ID {
		t.Errorf("a.example and b.example share circuit %s, want different circuits", a.ID)
	}
	// Tor's own view: each circuit is isolated to the SOCKS username of its
	// site.
	cs, err := c.ready.Load().getInfo(context.Background(), "circuit-status")
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{}
	for _, line := range strings.Split(cs, "\n") {
		if cl, ok := parseCircuit(strings.TrimSpace(line)); ok && cl.HasUser {
			users[cl.ID] = cl.User
		}
	}
	if users[a.ID] != "a.example" || users[b.ID] != "b.example" {
		t.Errorf("circuit %s is isolated to %q and %s to %q, want a.example and b.example", a.ID, users[a.ID], b.ID, users[b.ID])
	}
	// The same site reuses its circuit (a stream that fails over to a new
	// circuit is tor's right, so allow a retry).
	same := false
	for i := 0; i < 3 && !same; i++ {
		prev := fetchCircuit(t, c, o, "a.example")
		again := fetchCircuit(t, c, o, "a.example")
		same = again.ID == prev.ID
		if !same {
			t.Logf("a.example moved from circuit %s to %s; circuits:%s", prev.ID, again.ID, cs)
		}
	}
	if !same {
		t.Errorf("a.example never reused its circuit")
	}
	if len(a.Hops) != 3 {
		t.Fatalf("circuit %+v: want 3 hops", a)
	}
	for _, h := range a.Hops {
		if len(h.Fingerprint) != 40 || h.Nickname == "" || h.Address != "127.0.0.1" {
			t.Errorf("hop %+v: want fingerprint, nickname and address 127.0.0.1", h)
		}
	}
	if exit := a.Hops[2].Nickname; !strings.HasPrefix(exit, "exit") {
		t.Errorf("last hop = %q, want an exit relay", exit)
	}
	if a.Site != "a.example" || a.Built.IsZero() {
		t.Errorf("circuit = %+v, want Site a.example and a build time", a)
	}
	// Circuit loaded tor's GeoIP database on demand (relays on 127.0.0.1
	// have no country; a lookup of a public address is local to tor).
	if _, err := os.Stat("/usr/share/tor/geoip"); err == nil {
		in := c.ready.Load()
		if cc, err := in.getInfo(context.Background(), "ip-to-country/8.8.8.8"); !in.geoip(context.Background()) || err != nil || cc != "us" {
			t.Errorf("after Circuit: GeoIP loaded = %v, ip-to-country/8.8.8.8 = %q, %v; want true, us", in.geoip(context.Background()), cc, err)
		}
	}
}

func testNewIdentity(t *testing.T, c *Client, o *origin) {
	ctx := context.Background()
	before := fetchCircuit(t, c, o, "a.example")
	if err := c.NewIdentity(ctx); err != nil {
		t.Fatalf("NewIdentity: %v", err)
	}
	if _, err := c.Circuit(ctx, "a.example"); !errors.Is(err, ErrNoCircuit) {
		t.Errorf("Circuit right after NewIdentity: err = %v, want ErrNoCircuit", err)
	}
	if after := fetchCircuit(t, c, o, "a.example"); after.ID == before.ID {
		t.Errorf("circuit after NewIdentity = %s, want a new one", after.ID)
	}
	err := c.NewIdentity(ctx)
	var rl *RateLimitError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) || rl.Wait <= 0 || rl.Wait > newnymInterval {
		t.Fatalf("second NewIdentity: err = %v, want a RateLimitError with a wait up to 10 s", err)
	}
	if !strings.Contains(err.Error(), "try again in") {
		t.Errorf("rate limit message %q does not say when to try again", err)
	}
}

func testDialErrors(t *testing.T, c *Client) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	tests := []struct {
		addr     string
		code     int
		onion    bool
		contains string
	}{
		// The exits are refused; tor tries 3 of them, then gives up.
		{closed, 0x01, false, "could not be reached"},
		{"notanonionaddress.onion:80", 0xF6, true, "onion address is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			conn, err := c.DialContext(ctx, "tcp", tt.addr, "errors.example")
			if err == nil {
				conn.Close()
				t.Fatalf("DialContext(%q) succeeded, want an error", tt.addr)
			}
			var de *DialError
			if !errors.As(err, &de) || de.Code != tt.code || de.Onion() != tt.onion || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("DialContext(%q) = %v (%#v), want DialError code %#x mentioning %q", tt.addr, err, de, tt.code, tt.contains)
			}
		})
	}
	if _, err := c.DialContext(ctx, "udp", closed, ""); err == nil || errors.Is(err, ErrNotReady) {
		t.Errorf("DialContext(udp) = %v, want a TCP-only error", err)
	}
}

func testWatchdog(t *testing.T, c *Client, w *watcher, n *tornet, o *origin) {
	ctx := context.Background()
	c.mu.Lock()
	pid := c.inst.pid()
	c.mu.Unlock()
	from := len(w.statuses())
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	i := w.waitFor(t, from, 10*time.Second, "not ready after kill", func(st status.Tor) bool { return st.State != status.TorReady })
	if _, err := c.DialContext(ctx, "tcp", o.Listener.Addr().String(), "a.example"); !errors.Is(err, ErrNotReady) {
		t.Errorf("DialContext with tor killed: err = %v, want ErrNotReady", err)
	}
	if err := c.NewIdentity(ctx); !errors.Is(err, ErrNotReady) {
		t.Errorf("NewIdentity with tor killed: err = %v, want ErrNotReady", err)
	}
	if st := w.statuses()[i]; !strings.Contains(st.Err, "stopped unexpectedly") {
		t.Errorf("status after kill = %+v, want an Err saying tor stopped", st)
	}
	w.waitFor(t, i, time.Minute, "ready again", isReady)
	if st := c.Status(); st.Restarts != 1 {
		t.Errorf("Restarts = %d, want 1", st.Restarts)
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("killed tor %d still exists (kill 0: %v)", pid, err)
	}
	if _, err := get(ctx, c, o.URL, "a.example"); err != nil {
		t.Fatalf("GET after the watchdog restarted tor: %v", err)
	}
	checkExit(t, n, o)
}

// TestNotStarted checks the API of a client that is not running.
func TestNotStarted(t *testing.T) {
	ctx := context.Background()
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DialContext(ctx, "tcp", "127.0.0.1:80", "x"); !errors.Is(err, ErrNotReady) {
		t.Errorf("DialContext before Start: err = %v, want ErrNotReady", err)
	}
	if err := c.NewIdentity(ctx); !errors.Is(err, ErrNotReady) {
		t.Errorf("NewIdentity before Start: err = %v, want ErrNotReady", err)
	}
	if _, err := c.Circuit(ctx, "x"); !errors.Is(err, ErrNotReady) {
		t.Errorf("Circuit before Start: err = %v, want ErrNotReady", err)
	}
	if st := c.Status(); st.State != status.TorOff || st.Enabled {
		t.Errorf("Status before Start = %+v, want off", st)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown before Start: %v", err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if err := c.Start(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Shutdown: err = %v, want ErrClosed", err)
	}
}

// TestNewRejects checks that New refuses bad settings.
func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad country", Config{ExitCountries: []string{"deu"}}, "two-letter"},
		{"bad bridge", Config{Bridges: settings.BridgesCustom, BridgeLines: []string{"obfs4 nowhere"}}, "IP address with a port"},
		{"no bridges", Config{Bridges: settings.BridgesCustom}, "no bridge lines"},
		{"bad mode", Config{Bridges: "carrier-pigeon"}, "unknown bridge mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error mentioning %q", tt.cfg, err, tt.want)
			}
		})
	}
}

// TestStartFailures checks failures that need the user: explained in
// words, reported as permanent, nothing retried, nothing left running.
func TestStartFailures(t *testing.T) {
	torBin := lookTor(t)
	dir := t.TempDir()
	oldTor := filepath.Join(dir, "old-tor")
	writeFile(t, oldTor, "#!/bin/sh\necho 'Tor version 0.3.5.7.'\n", 0o755)
	badTorrc := filepath.Join(dir, "bad.torrc")
	writeFile(t, badTorrc, "NoSuchOption 1\n", 0o600)
	emptyPath := t.TempDir()

	tests := []struct {
		name string
		cfg  Config
		path string // PATH to use, "" unchanged
		want string
	}{
		{"tor missing", Config{Binary: filepath.Join(dir, "no-tor")}, "", "Tor is not installed"},
		{"tor missing from PATH", Config{}, emptyPath, "Tor is not installed"},
		{"tor too old", Config{Binary: oldTor}, "", "Tor 0.3.5.7 is too old"},
		{"bad torrc line", Config{Binary: torBin, ExtraTorrc: badTorrc}, "", "Tor rejected its configuration: Unknown option 'NoSuchOption'"},
		{"extra torrc missing", Config{Binary: torBin, ExtraTorrc: filepath.Join(dir, "none.torrc")}, "", "cannot read the extra torrc file"},
		{"obfs4proxy missing", Config{Binary: torBin, Bridges: settings.BridgesObfs4}, emptyPath, "install the obfs4proxy package"},
		{"snowflake missing", Config{Binary: torBin, Bridges: settings.BridgesSnowflake}, emptyPath, "install the snowflake-client package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path != "" {
				t.Setenv("PATH", tt.path)
			}
			w := newWatcher()
			tt.cfg.OnStatus = w.onStatus
			tt.cfg.DataDir = filepath.Join(t.TempDir(), "tor")
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Start(context.Background())
			var se *StartError
			if !errors.As(err, &se) || !se.Permanent || !strings.Contains(se.Msg, tt.want) {
				t.Errorf("Start = %v, want a permanent StartError mentioning %q", err, tt.want)
			}
			if st := c.Status(); st.State != status.TorFailed || !strings.Contains(st.Err, tt.want) {
				t.Errorf("Status = %+v, want failed mentioning %q", st, tt.want)
			}
			if err := c.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if pids := torProcesses(tt.cfg.DataDir); len(pids) > 0 {
				t.Errorf("tor processes left: %v", pids)
			}
		})
	}
}

// TestUnreachableNetwork points tor at a directory authority that refuses
// connections (a closed port on 127.0.0.1) and checks that the failure is
// explained while tor keeps trying.
func TestUnreachableNetwork(t *testing.T) {
	t.Parallel()
	torBin := lookTor(t)
	if testing.Short() {
		t.Skip("-short: waits for tor's bootstrap warnings")
	}
	torrc := unreachableTorrc(t)
	w := newWatcher()
	c, err := New(Config{Binary: torBin, DataDir: filepath.Join(t.TempDir(), "tor"), ExtraTorrc: torrc, OnStatus: w.onStatus, Log: &testLog{t: t}})
	if err != nil {
		t.Fatal(err)
	}
	c.stuckAfter = 2 * time.Second
	if err := c.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer c.Shutdown(context.Background())
	i := w.waitFor(t, 0, 20*time.Second, "explaining the failure", func(st status.Tor) bool { return st.Err != "" })
	st := w.statuses()[i]
	if !strings.Contains(st.Err, "Tor cannot reach the Tor network") || st.State != status.TorBootstrapping {
		t.Errorf("status = %+v, want bootstrapping with an explanation that the network is unreachable", st)
	}
	t.Logf("explanation: %s", st.Err)
}

// unreachableTorrc returns an extra torrc making tor use a single directory
// authority on a closed port of 127.0.0.1: tor starts, never connects
// anywhere else, and reports connection refused.
func unreachableTorrc(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	torrc := filepath.Join(t.TempDir(), "unreachable.torrc")
	writeFile(t, torrc, "TestingTorNetwork 1\n"+
		"DirAuthority nowhere orport="+port+" v3ident=0000000000000000000000000000000000000000 127.0.0.1:"+port+
		" 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000\n", 0o600)
	return torrc
}

func lookTor(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tor")
	if err != nil {
		t.Skip("tor is not installed (Debian package tor)")
	}
	return p
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// testNewCircuit: NewCircuit gives one site a new circuit (a new circuit
// ID, isolated by Tor to the site's new SOCKS password, leaving through an
// exit relay) while another site keeps its own.
func testNewCircuit(t *testing.T, c *Client, n *tornet, o *origin) {
	// Each site settled on its circuit (as in testIsolation).
	var a0, b0 status.Circuit
	for i := 0; i < 3; i++ {
		a0 = fetchCircuit(t, c, o, "a.example")
		if again := fetchCircuit(t, c, o, "a.example"); again.ID == a0.ID {
			break
		}
	}
	// b.example's circuits: right after bootstrap a stream may still take
	// a general circuit, and with conflux a site's streams use the legs of
	// its set; every circuit b.example used counts as its own.
	bSeen := map[string]bool{}
	for i := 0; i < 4; i++ {
		b0 = fetchCircuit(t, c, o, "b.example")
		bSeen[b0.ID] = true
	}
	// Tor's own list: every circuit already isolated to b.example (a
	// conflux set's other leg included).
	if cs, err := c.ready.Load().getInfo(context.Background(), "circuit-status"); err == nil {
		for _, line := range strings.Split(cs, "\n") {
			if cl, ok := parseCircuit(strings.TrimSpace(line)); ok && cl.User == "b.example" {
				bSeen[cl.ID] = true
			}
		}
	}
	if err := c.NewCircuit("a.example"); err != nil {
		t.Fatalf("NewCircuit: %v", err)
	}
	if _, err := c.Circuit(context.Background(), "a.example"); !errors.Is(err, ErrNoCircuit) {
		t.Errorf("Circuit right after NewCircuit: err = %v, want ErrNoCircuit", err)
	}
	a1 := fetchCircuit(t, c, o, "a.example")
	checkExit(t, n, o)
	if a1.ID == a0.ID {
		t.Fatalf("a.example kept circuit %s after NewCircuit, want a new one", a0.ID)
	}
	cs, err := c.ready.Load().getInfo(context.Background(), "circuit-status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(cs, "\n") {
		cl, ok := parseCircuit(strings.TrimSpace(line))
		if !ok {
			continue
		}
		switch cl.ID {
		case a1.ID:
			if cl.User != "a.example" || cl.Pass != "polaris-1" {
				t.Errorf("new circuit %s is isolated to %q/%q, want a.example/polaris-1", cl.ID, cl.User, cl.Pass)
			}
		case a0.ID:
			if cl.Pass != "polaris" {
				t.Errorf("old circuit %s is isolated to password %q, want polaris", cl.ID, cl.Pass)
			}
		}
	}
	// The new circuit stays a.example's; b.example keeps its circuit.
	if again := fetchCircuit(t, c, o, "a.example"); again.ID != a1.ID && again.ID == a0.ID {
		t.Errorf("a.example went back to its old circuit %s", a0.ID)
	}
	kept := false
	var bNow status.Circuit
	for i := 0; i < 3 && !kept; i++ {
		bNow = fetchCircuit(t, c, o, "b.example")
		kept = bSeen[bNow.ID]
	}
	if !kept {
		cs, _ := c.ready.Load().getInfo(context.Background(), "circuit-status")
		t.Errorf("b.example left its circuits %v after a.example's NewCircuit for %s; circuits now:\n%s", bSeen, bNow.ID, cs)
	}
	if err := c.NewCircuit(""); !errors.Is(err, ErrNoIsolation) {
		t.Errorf("NewCircuit(\"\"): err = %v, want ErrNoIsolation", err)
	}
}

// TestStalledBootstrapSaysWhatTorWaitsFor points tor at a directory
// authority that accepts connections and never answers: bootstrap stands
// still, and once it has for stallAfter the status says so and, in words,
// what tor is waiting for.
func TestStalledBootstrapSaysWhatTorWaitsFor(t *testing.T) {
	t.Parallel()
	torBin := lookTor(t)
	if testing.Short() {
		t.Skip("-short: waits for bootstrap to stall")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accept and say nothing
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	torrc := filepath.Join(t.TempDir(), "silent.torrc")
	writeFile(t, torrc, "TestingTorNetwork 1\n"+
		"DirAuthority silent orport="+port+" v3ident=0000000000000000000000000000000000000000 127.0.0.1:"+port+
		" 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000\n", 0o600)
	w := newWatcher()
	c, err := New(Config{Binary: torBin, DataDir: filepath.Join(t.TempDir(), "tor"), ExtraTorrc: torrc, OnStatus: w.onStatus, Log: &testLog{t: t}})
	if err != nil {
		t.Fatal(err)
	}
	c.stallAfter = 3 * time.Second
	if err := c.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer c.Shutdown(context.Background())
	i := w.waitFor(t, 0, 30*time.Second, "bootstrap said to be stalled", func(st status.Tor) bool { return st.Stalled })
	st := w.statuses()[i]
	if st.State != status.TorBootstrapping && st.State != status.TorStarting || !strings.HasPrefix(st.Waiting, "Tor ") || !strings.Contains(st.Waiting, "waiting") {
		t.Errorf("status = %+v, want bootstrapping, stalled, with what tor waits for in words", st)
	}
	t.Logf("at %d%% (%s): %s", st.Progress, st.Phase, st.Waiting)
}

func TestWaitingForEveryPhase(t *testing.T) {
	for _, tag := range []string{"starting", "conn_pt", "conn_done_pt", "conn_proxy", "conn_done_proxy", "conn", "conn_done",
		"handshake", "handshake_done", "onehop_create", "requesting_status", "loading_status", "loading_keys",
		"requesting_descriptors", "loading_descriptors", "enough_dirinfo", "ap_conn", "ap_conn_done", "ap_handshake",
		"ap_handshake_done", "circuit_create"} {
		if w := waitingFor(tag, false); strings.HasSuffix(w, ": "+tag+".") || !strings.HasPrefix(w, "Tor ") {
			t.Errorf("%s: %q does not say it in words", tag, w)
		}
	}
	if w := waitingFor("conn", true); !strings.Contains(w, "bridges") {
		t.Errorf("with bridges: %q", w)
	}
}

// withTorrcLines writes a copy of the torrc file at path with lines added.
func withTorrcLines(t *testing.T, path string, lines ...string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "extra.torrc")
	writeFile(t, out, string(b)+"\n"+strings.Join(lines, "\n")+"\n", 0o600)
	return out
}
