// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The window's engine is composed like the command line's: a list update
// the running window does says Polaris's version in its User-Agent, as the
// command line's does (it used to say "Polaris/dev").
func TestGUIListDownloadsSayTheVersion(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("! Title: version test\n||tracker.example^\n"))
	}))
	defer lists.Close()
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(agents) == 0 {
			return ""
		}
		return agents[len(agents)-1]
	}
	dir := t.TempDir()
	version := strings.TrimPrefix(strings.TrimSpace(mustPolaris(t, dir, "version")), "polaris ")
	want := "Polaris/" + version + " (blocklist update)"
	mustPolaris(t, dir, "lists", "add", lists.URL+"/list.txt")
	if got := last(); got != want {
		t.Fatalf("the command line's download says %q, want %q", got, want)
	}

	g := startGUI(t, buildGUI(t), xvfb(t), dir)
	g.window(t, 30*time.Second)
	g.addr(t)
	mu.Lock()
	before := len(agents)
	mu.Unlock()
	// The command line asks the running window's engine to update.
	start := time.Now()
	out, errOut, code := polaris(t, dir, "lists", "update", "5")
	if code != 0 {
		t.Fatalf("lists update while the window runs: %d %q %q\n%s", code, out, errOut, g.log)
	}
	mu.Lock()
	n := len(agents)
	mu.Unlock()
	if n == before {
		t.Fatalf("no download by the window's engine within %v:\n%s", time.Since(start), g.log)
	}
	if got := last(); got != want {
		t.Errorf("the window's download says %q, want %q", got, want)
	}
	// SIGTERM is handled once the window exists (app.RunWindow installs the
	// handler after gui.New): wait for it, or a slow start dies of the signal.
	g.window(t, 60*time.Second)
	g.stop(t)
}

// SIGTERM as soon as the engine listens, while the window may still be
// being made, stops Polaris cleanly (exit 0, the system put back), never
// by the signal's default action.
func TestGUIStopsCleanlyWhileStarting(t *testing.T) {
	g := startGUI(t, buildGUI(t), xvfb(t), t.TempDir())
	g.addr(t)
	g.stop(t)
}
