// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"polaris/internal/testenv"
)

// Tor mode through the real binary and the CLI, on the private Tor network.
func TestTorThroughTheBinary(t *testing.T) {
	n := testenv.StartTornet(t)
	var mu sync.Mutex
	var seen []int
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pid, err := testenv.PeerPID(r.RemoteAddr, r.Host)
		if err != nil {
			pid = -1
		}
		mu.Lock()
		seen = append(seen, pid)
		mu.Unlock()
		io.WriteString(w, "via tor")
	}))
	peersNow := func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), seen...)
	}
	defer origin.Close()

	dir := t.TempDir()
	for _, kv := range [][2]string{{"tor", "on"}, {"tor.torrc", n.Torrc}} {
		if _, e, code := polaris(t, dir, "config", "set", kv[0], kv[1]); code != 0 {
			t.Fatalf("config set %s: %s", kv[0], e)
		}
	}
	r := startPolaris(t, dir)
	c := r.client()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := c.Get(origin.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			break
		}
		if resp.StatusCode != 503 || len(peersNow()) != 0 {
			t.Fatalf("while Tor connects: %d %s (origin saw %d requests)", resp.StatusCode, b, len(peersNow()))
		}
		if time.Now().After(deadline) {
			t.Fatal("Tor did not connect")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if peers := peersNow(); len(peers) != 1 || !n.IsExit(peers[0]) {
		t.Errorf("the origin was reached by %v, want a Tor exit relay %v", peers, n.Exits)
	}
	out, e, code := polaris(t, dir, "tor", "status")
	if code != 0 || !strings.Contains(out, "connected") {
		t.Errorf("tor status: %d %q %q", code, out, e)
	}
	out, e, code = polaris(t, dir, "tor", "circuit", "127.0.0.1")
	if code != 0 || strings.Count(out, "\n") < 3 {
		t.Errorf("tor circuit: %d %q %q", code, out, e)
	}
	// New circuits for one site, named by a pasted URL: its next request
	// takes a new circuit.
	circuitID := func(out string) string {
		f := strings.Fields(out)
		if len(f) < 2 || f[0] != "circuit" {
			return ""
		}
		return f[1]
	}
	before := circuitID(out)
	out, e, code = polaris(t, dir, "tor", "newcircuit", origin.URL+"/some/page?q=1")
	if code != 0 || !strings.Contains(out, "New circuits for 127.0.0.1") || !strings.Contains(out, "cookies") {
		t.Errorf("tor newcircuit: %d %q %q", code, out, e)
	}
	if _, e, code = polaris(t, dir, "tor", "circuit", "127.0.0.1"); code == 0 || !strings.Contains(e, "no Tor circuit") {
		t.Errorf("tor circuit right after newcircuit: %d %q, want no circuit yet", code, e)
	}
	if resp, err := c.Get(origin.URL + "/after-newcircuit"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, e, code = polaris(t, dir, "tor", "circuit", "127.0.0.1")
		if code == 0 || time.Now().After(deadline) {
			break
		}
	}
	if after := circuitID(out); code != 0 || after == "" || after == before {
		t.Errorf("circuit after newcircuit: %d %q %q; want a circuit other than %s", code, out, e, before)
	}
	if _, e, code = polaris(t, dir, "tor", "newcircuit", "not a site"); code == 0 || !strings.Contains(e, "not a site") {
		t.Errorf("tor newcircuit with a bad site: %d %q", code, e)
	}
	out, e, code = polaris(t, dir, "tor", "newnym")
	if code != 0 || !strings.Contains(out, "New circuits for every site") {
		t.Errorf("tor newnym: %d %q %q", code, out, e)
	}
	// A second one inside ten seconds is refused by Tor, and said so.
	_, e, code = polaris(t, dir, "tor", "newnym")
	if code == 0 || !strings.Contains(e, "10 seconds") {
		t.Errorf("second tor newnym: %d %q", code, e)
	}
	// Tor off through the CLI: the running proxy goes direct within a second.
	polaris(t, dir, "config", "set", "tor", "off")
	deadline = time.Now().Add(2 * time.Second)
	for {
		before := len(peersNow())
		resp, err := c.Get(origin.URL + "/direct")
		if err == nil {
			resp.Body.Close()
		}
		peers := peersNow()
		if len(peers) > before && peers[len(peers)-1] == r.cmd.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after tor off the origin is still reached by %v, not Polaris (%d)", peers, r.cmd.Process.Pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
