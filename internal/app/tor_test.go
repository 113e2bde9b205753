// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/testenv"
)

// peerOrigin is an origin (HTTP or HTTPS) on 127.0.0.1 that records which
// process connected to it, and the headers of each request.
type peerOrigin struct {
	*httptest.Server
	mu      sync.Mutex
	peers   []int
	headers []http.Header
}

func newPeerOrigin(t *testing.T, tlsOn bool) *peerOrigin {
	o := &peerOrigin{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pid, err := testenv.PeerPID(r.RemoteAddr, o.Listener.Addr().String())
		if err != nil {
			pid = -1
		}
		o.mu.Lock()
		o.peers = append(o.peers, pid)
		o.headers = append(o.headers, r.Header.Clone())
		o.mu.Unlock()
		io.WriteString(w, "hello")
	})
	if tlsOn {
		o.Server = httptest.NewTLSServer(h)
	} else {
		o.Server = httptest.NewServer(h)
	}
	t.Cleanup(o.Close)
	return o
}

// lastHeaders returns the headers of the last request, nil if none.
func (o *peerOrigin) lastHeaders() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.headers) == 0 {
		return nil
	}
	return o.headers[len(o.headers)-1]
}

func (o *peerOrigin) seen() []int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]int(nil), o.peers...)
}

// noLookups is a resolver that fails the test if Polaris resolves any name.
func noLookups(t *testing.T) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("a local DNS lookup happened in Tor mode (%s %s)", network, addr)
		return nil, errors.New("no DNS here")
	}}
}

// mapNames returns a torrc file with the lines of torrc and a MapAddress
// of NAME.example.com to 127.0.0.1 for each name: the exits of the private
// network have no DNS.
func mapNames(t *testing.T, torrc string, names ...string) string {
	b, err := os.ReadFile(torrc)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b = fmt.Appendf(b, "\nMapAddress %s.example.com 127.0.0.1", n)
	}
	path := filepath.Join(t.TempDir(), "torrc")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type fetchResult struct {
	code int
	body string
}

// fetchFor fetches u as a page (no referer) or as an image of the site in
// referer.
func fetchFor(t *testing.T, c *http.Client, u, referer string) fetchResult {
	t.Helper()
	h := map[string]string{"Accept": "text/html"}
	if referer != "" {
		h["Referer"], h["Sec-Fetch-Dest"] = referer, "image"
	}
	code, body := fetch(t, c, u, h)
	return fetchResult{code, body}
}

// untilThroughTor fetches u until it succeeds; every failure on the way
// must be the fail-closed page, or Tor's refusal while the private
// network's first circuits (or an onion service's descriptor) are not
// there yet, and must not have reached the origin.
func untilThroughTor(t *testing.T, c *http.Client, o *peerOrigin, u, referer string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		before := len(o.seen())
		r := fetchFor(t, c, u, referer)
		if r.code == 200 {
			return time.Since(start)
		}
		failClosed := r.code == 503 && strings.Contains(r.body, "Tor is not connected")
		torRefused := r.code == 502 && strings.Contains(r.body, "cannot be reached")
		if !failClosed && !torRefused {
			t.Fatalf("while Tor connects: %d %.300s; want 200, the fail-closed page or Tor's refusal", r.code, r.body)
		}
		if len(o.seen()) != before {
			t.Fatal("a refused request reached the origin")
		}
		if time.Since(start) > 90*time.Second {
			t.Fatal("Tor did not connect within 90 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestTorMode(t *testing.T) {
	n := testenv.StartTornet(t)
	dir := t.TempDir()
	// Never a local DNS lookup in Tor mode, through Polaris's resolver or
	// Go's default one (restored once Polaris has stopped).
	defaultResolver := net.DefaultResolver
	net.DefaultResolver = noLookups(t)
	defer func() { net.DefaultResolver = defaultResolver }()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0", Resolver: noLookups(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Settings()
	s.Tor.Enabled, s.Tor.Torrc = true, mapNames(t, n.Torrc, "plain", "tunnel", "refused", "first")
	if err := a.Apply(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	proxyAddr := <-addr
	defer func() {
		cancel()
		<-done
		a.Close()
		if left := testenv.ProcessesWith(filepath.Join(dir, "tor")); len(left) > 0 {
			t.Errorf("tor processes left after Polaris stopped: %v", left)
		}
	}()

	httpOrigin := newPeerOrigin(t, false)
	httpsOrigin := newPeerOrigin(t, true)
	roots := httpsOrigin.Client().Transport.(*http.Transport).TLSClientConfig
	c := proxyClient(proxyAddr, roots)

	first := untilThroughTor(t, c, httpOrigin, httpOrigin.URL+"/", "")
	t.Logf("Tor on to first byte (cold data dir, private network): %v", first)

	checkExits := func(o *peerOrigin, what string) {
		t.Helper()
		peers := o.seen()
		if len(peers) == 0 {
			t.Fatalf("%s: the origin saw nothing", what)
		}
		for _, p := range peers {
			if !n.IsExit(p) {
				t.Errorf("%s: a connection came from process %d, not from a Tor exit relay %v", what, p, n.Exits)
			}
		}
	}

	t.Run("http and https come out of exit relays", func(t *testing.T) {
		if r := fetchFor(t, c, httpOrigin.URL+"/again", ""); r.code != 200 {
			t.Fatalf("HTTP through Tor: %d %s", r.code, r.body)
		}
		checkExits(httpOrigin, "HTTP")
		if r := fetchFor(t, c, httpsOrigin.URL+"/secure", ""); r.code != 200 {
			t.Fatalf("HTTPS (CONNECT) through Tor: %d %s", r.code, r.body)
		}
		checkExits(httpsOrigin, "HTTPS")
	})

	t.Run("https filtering: intercepted, then out of an exit relay", func(t *testing.T) {
		// The origin's certificate is trusted through https.upstream-ca;
		// the client trusts only Polaris's CA, so a 200 is an intercepted
		// request, and the signals Polaris adds prove it too.
		upstream := filepath.Join(t.TempDir(), "origin.pem")
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: httpsOrigin.Certificate().Raw})
		if err := os.WriteFile(upstream, pemCert, 0o600); err != nil {
			t.Fatal(err)
		}
		s := a.Settings()
		s.HTTPS.Filter, s.HTTPS.UpstreamCA, s.Signals.DNT = true, upstream, settings.DNTDoNotTrack
		if err := a.Apply(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		defer func() {
			s.HTTPS.Filter, s.HTTPS.UpstreamCA, s.Signals.DNT = false, "", settings.DNTUnset
			if err := a.Apply(context.Background(), s); err != nil {
				t.Error(err)
			}
		}()
		caPEM, err := os.ReadFile(filepath.Join(dir, "ca", "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			t.Fatal("no certificate in Polaris's ca.pem")
		}
		fc := proxyClient(proxyAddr, &tls.Config{RootCAs: pool})
		before := len(httpsOrigin.seen())
		if r := fetchFor(t, fc, httpsOrigin.URL+"/filtered", ""); r.code != 200 || r.body != "hello" {
			t.Fatalf("HTTPS filtered through Tor: %d %.300s", r.code, r.body)
		}
		if len(httpsOrigin.seen()) != before+1 {
			t.Fatalf("the origin saw %d requests, want 1", len(httpsOrigin.seen())-before)
		}
		checkExits(httpsOrigin, "HTTPS filtered")
		if h := httpsOrigin.lastHeaders(); h.Get("Dnt") != "1" || h.Get("Sec-Gpc") != "1" {
			t.Errorf("the origin got DNT %q, Sec-GPC %q; want 1 and 1 (added inside HTTPS by Polaris)", h.Get("Dnt"), h.Get("Sec-Gpc"))
		}
	})

	t.Run("host names are never looked up locally", func(t *testing.T) {
		// The names go to Tor as names: Polaris's tor maps them to
		// 127.0.0.1 (MapAddress in its torrc; the exits have no DNS) and
		// an exit connects. A local lookup (through Options.Resolver or
		// net.DefaultResolver) fails the test.
		_, httpPort, _ := net.SplitHostPort(httpOrigin.Listener.Addr().String())
		_, httpsPort, _ := net.SplitHostPort(httpsOrigin.Listener.Addr().String())
		if r := fetchFor(t, c, "http://plain.example.com:"+httpPort+"/by-name", ""); r.code != 200 {
			t.Errorf("plain HTTP to a name: %d %.300s", r.code, r.body)
		}
		checkExits(httpOrigin, "plain HTTP to a name")
		// CONNECT tunnel.example.com:port (the origin's certificate is for
		// *.example.com).
		if r := fetchFor(t, c, "https://tunnel.example.com:"+httpsPort+"/by-name", ""); r.code != 200 {
			t.Errorf("HTTPS (CONNECT) to a name: %d %.300s", r.code, r.body)
		}
		checkExits(httpsOrigin, "CONNECT to a name")
		// Nothing listens on refused.example.com:1: Tor's answer, in
		// Polaris's page.
		r := fetchFor(t, c, "http://refused.example.com:1/", "")
		if r.code != 502 || !strings.Contains(r.body, "The site cannot be reached through Tor") || !strings.Contains(r.body, "refused.example.com") {
			t.Errorf("plain HTTP to a name that refuses: %d %.300s; want Polaris's page", r.code, r.body)
		}
		// HTTPS-first probes https://first.example.com/ (port 443: refused)
		// before plain HTTP.
		s := a.Settings()
		s.HTTPS.First = true
		if err := a.Apply(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		defer func() {
			s.HTTPS.First = false
			if err := a.Apply(context.Background(), s); err != nil {
				t.Error(err)
			}
		}()
		r = fetchFor(t, c, "http://first.example.com:"+httpPort+"/", "")
		t.Logf("HTTPS-first to a name: %d %.200s", r.code, r.body)
	})

	t.Run("each site has its own circuit; new identity changes it", func(t *testing.T) {
		for _, site := range []string{"https://one.example/", "https://two.example/"} {
			if r := fetchFor(t, c, httpOrigin.URL+"/pixel", site); r.code != 200 {
				t.Fatalf("request for %s: %d %s", site, r.code, r.body)
			}
		}
		// Tor reports a stream's circuit in an event a moment after the
		// answer: wait for it (up to 10 s on a loaded machine).
		circuitOf := func(site string) status.Circuit {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				c, err := a.Circuit(context.Background(), site)
				if err == nil {
					return c
				}
				if time.Now().After(deadline) {
					t.Fatal(err)
				}
			}
		}
		one, two := circuitOf("one.example"), circuitOf("two.example")
		if one.ID == two.ID {
			t.Errorf("one.example and two.example share circuit %s", one.ID)
		}
		if len(one.Hops) == 0 {
			t.Error("circuit without hops")
		}
		if err := a.NewIdentity(context.Background()); err != nil {
			t.Fatal(err)
		}
		if r := fetchFor(t, c, httpOrigin.URL+"/pixel", "https://one.example/"); r.code != 200 {
			t.Fatalf("after new identity: %d %s", r.code, r.body)
		}
		if again := circuitOf("one.example"); again.ID == one.ID {
			t.Errorf("new identity kept circuit %s for one.example", one.ID)
		}
		checkExits(httpOrigin, "after new identity")
	})

	t.Run("new circuits for one site; the others keep theirs", func(t *testing.T) {
		circuitOf := func(site string) status.Circuit {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				c, err := a.Circuit(context.Background(), site)
				if err == nil {
					return c
				}
				if time.Now().After(deadline) {
					t.Fatal(err)
				}
			}
		}
		get := func(site string) {
			t.Helper()
			if r := fetchFor(t, c, httpOrigin.URL+"/pixel", "https://"+site+"/"); r.code != 200 {
				t.Fatalf("request for %s: %d %s", site, r.code, r.body)
			}
		}
		get("three.example")
		get("four.example")
		three, four := circuitOf("three.example"), circuitOf("four.example")
		// A pasted URL names the site.
		site, err := a.NewCircuit(context.Background(), "https://www.three.example/some/page?x=1")
		if err != nil || site != "three.example" {
			t.Fatalf("NewCircuit = %q, %v; want three.example", site, err)
		}
		if _, err := a.Circuit(context.Background(), "three.example"); err == nil {
			t.Error("three.example still has a circuit right after NewCircuit")
		}
		// The keep-alive connection of three.example was dropped too: its
		// next request goes out on a new circuit, through an exit relay.
		get("three.example")
		if again := circuitOf("three.example"); again.ID == three.ID {
			t.Errorf("three.example kept circuit %s after NewCircuit", three.ID)
		}
		get("four.example")
		if again := circuitOf("four.example"); again.ID != four.ID {
			t.Errorf("four.example moved from circuit %s to %s after three.example's NewCircuit", four.ID, again.ID)
		}
		checkExits(httpOrigin, "after NewCircuit")
		for _, bad := range []string{"", "not a site", "http://"} {
			if _, err := a.NewCircuit(context.Background(), bad); err == nil {
				t.Errorf("NewCircuit(%q): no error", bad)
			}
		}
	})

	t.Run("tor killed: fail closed, then the watchdog brings it back", func(t *testing.T) {
		pids := testenv.ProcessesWith(filepath.Join(dir, "tor"))
		if len(pids) != 1 {
			t.Fatalf("tor processes for the data dir: %v, want 1", pids)
		}
		syscall.Kill(pids[0], syscall.SIGKILL)
		before := len(httpOrigin.seen())
		r := fetchFor(t, c, httpOrigin.URL+"/after-kill", "")
		if r.code != 503 || !strings.Contains(r.body, "nothing was sent") {
			title := r.body
			if i := strings.Index(title, "<title>"); i >= 0 {
				title = title[i : i+120]
			}
			t.Errorf("right after tor died: %d %q; want the fail-closed page", r.code, title)
		}
		if len(httpOrigin.seen()) != before {
			t.Error("the origin was reached while tor was dead")
		}
		untilThroughTor(t, c, httpOrigin, httpOrigin.URL+"/back", "")
		checkExits(httpOrigin, "after the restart")
		if st := a.Snapshot().Tor; st.Restarts < 1 {
			t.Errorf("status after a restart: %+v", st)
		}
		// The status that counts the restart may reach the app just after
		// the first request through the new tor.
		const restarted = "Tor stopped unexpectedly and was restarted. Nothing was sent while it was down."
		waitFor(t, "the notice "+restarted, func() bool {
			return slices.ContainsFunc(a.Snapshot().Notices, func(n status.Notice) bool {
				return n.Text == restarted && n.Severity == status.Warning
			})
		})
	})

	t.Run("tor off: direct again", func(t *testing.T) {
		s := a.Settings()
		s.Tor.Enabled = false
		if err := a.Apply(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		if r := fetchFor(t, c, httpOrigin.URL+"/direct", ""); r.code != 200 {
			t.Fatalf("direct: %d %s", r.code, r.body)
		}
		peers := httpOrigin.seen()
		if last := peers[len(peers)-1]; last != os.Getpid() {
			t.Errorf("with Tor off the origin was reached by process %d, want Polaris itself (%d)", last, os.Getpid())
		}
	})
}

func TestOnionWithoutTorIsNeverLookedUp(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0", Resolver: noLookups(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := serveApp(t, a)
	r := fetchFor(t, c, "http://expyuzz4wqqyqhjn.onion/", "")
	if r.code != 502 || !strings.Contains(r.body, "Turn on Tor") {
		t.Errorf(".onion with Tor off: %d %.200s", r.code, r.body)
	}
}

// `data delete` with Tor mode on (the window's button, Polaris running):
// Polaris's tor is stopped before its state (tor/ in the data dir) is
// deleted, and is not started again. What follows is the default
// settings, so Tor mode is off and requests go direct from then on; a
// notice says so (never a silent change of route).
func TestDeleteAllDataWithTorOn(t *testing.T) {
	n := testenv.StartTornet(t)
	ctx := context.Background()
	dir := t.TempDir()
	torDir := filepath.Join(dir, "tor")
	a, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", Resolver: noLookups(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Settings()
	s.Tor.Enabled, s.Tor.Torrc = true, n.Torrc
	if err := a.Apply(ctx, s); err != nil {
		t.Fatal(err)
	}
	stop := startApp(t, a)
	defer func() {
		stop()
		a.Close()
		if left := testenv.ProcessesWith(torDir); len(left) > 0 {
			t.Errorf("tor processes left after Polaris stopped: %v", left)
		}
	}()
	o := newPeerOrigin(t, false)
	c := proxyClient(a.currentProxy().Addr(), nil)
	untilThroughTor(t, c, o, o.URL+"/", "")
	pids := testenv.ProcessesWith(torDir)
	if len(pids) != 1 {
		t.Fatalf("tor processes for the data dir: %v, want 1", pids)
	}
	if _, err := os.Stat(torDir); err != nil {
		t.Fatalf("no Tor state in the data dir while Tor runs: %v", err)
	}

	if err := a.DeleteAllData(ctx); err != nil {
		t.Fatalf("DeleteAllData: %v", err)
	}
	if alive(pids[0]) {
		t.Errorf("Polaris's tor (process %d) still runs after DeleteAllData", pids[0])
	}
	// Nothing starts it again (the settings watcher, the supervisor).
	time.Sleep(2 * a.opts.WatchInterval)
	if left := testenv.ProcessesWith(torDir); len(left) > 0 {
		t.Errorf("tor processes for the data dir after DeleteAllData: %v", left)
	}
	if _, err := os.Stat(torDir); !os.IsNotExist(err) {
		t.Errorf("tor/ after DeleteAllData: %v, want it gone", err)
	}
	if s := a.Settings(); s.Tor.Enabled || s.Tor.Torrc != "" {
		t.Errorf("Tor settings after DeleteAllData: enabled %v, torrc %q; want the defaults", s.Tor.Enabled, s.Tor.Torrc)
	}
	snap := a.Snapshot()
	if snap.Tor.State != status.TorOff || snap.Tor.Enabled {
		t.Errorf("Tor status after DeleteAllData: %+v, want off", snap.Tor)
	}
	if got := a.currentProxy().Route().Name; got != "direct" {
		t.Errorf("route after DeleteAllData: %q, want direct (Tor mode is off with the defaults)", got)
	}
	if !slices.ContainsFunc(snap.Notices, func(n status.Notice) bool { return strings.Contains(n.Text, "Tor is off") }) {
		t.Errorf("no notice that Tor is off after DeleteAllData: %+v", snap.Notices)
	}
	if r := fetchFor(t, c, o.URL+"/after-delete", ""); r.code != 200 {
		t.Fatalf("after DeleteAllData: %d %.200s", r.code, r.body)
	}
	if peers := o.seen(); peers[len(peers)-1] != os.Getpid() {
		t.Errorf("after DeleteAllData the origin was reached by process %d, want Polaris itself (%d): direct", peers[len(peers)-1], os.Getpid())
	}
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

// TestTorThatNeverStartsFailsClosed: Tor mode on with a tor that cannot
// run (it dies at once, as a broken install would). Every request gets the
// "Tor is not connected" page, the origin sees nothing, and no name is
// looked up — for as long as Tor mode is on, whatever the watchdog tries.
func TestTorThatNeverStartsFailsClosed(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "tor")
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Tor version 0.4.9.11.'; exit 0; fi\necho 'broken install' >&2\nexit 1\n"
	if err := os.WriteFile(broken, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := Open(ctx, Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Resolver: noLookups(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Settings()
	s.Tor.Enabled, s.Tor.Binary = true, broken
	if err := a.Apply(ctx, s); err != nil {
		t.Fatal(err)
	}
	stop := startApp(t, a)
	defer func() { stop(); a.Close() }()
	o := newPeerOrigin(t, false)
	c := proxyClient(a.currentProxy().Addr(), nil)
	deadline := time.Now().Add(3 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		r := fetchFor(t, c, o.URL+fmt.Sprintf("/try-%d", n), "")
		if r.code != 503 || !strings.Contains(r.body, "Tor is not connected") {
			t.Fatalf("request %d with a tor that cannot start: %d %.300s; want the fail-closed page", n, r.code, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if seen := o.seen(); len(seen) != 0 {
		t.Errorf("the origin saw %d requests while Tor could not start", len(seen))
	}
	if st := a.Snapshot().Tor; st.State == status.TorReady {
		t.Errorf("Tor status %+v, want not ready", st)
	}
}
