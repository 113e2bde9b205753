// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// Tracker blocking through the real binary: `polaris lists`, `polaris
// stats`, and a running `polaris run` picking up what the CLI changes.
// Lists are served on loopback; the tracker is 127.0.0.2, the site
// 127.0.0.1 (POLARIS_NO_AUTO_UPDATE, set in TestMain, keeps Polaris from
// downloading the catalogue's lists from the Internet).

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// e2eLists serves list texts by path.
type e2eLists struct {
	srv   *httptest.Server
	mu    sync.Mutex
	lists map[string]string
}

func newE2ELists(t *testing.T) *e2eLists {
	t.Helper()
	l := &e2eLists{lists: map[string]string{}}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		text, ok := l.lists[r.URL.Path]
		l.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(text)))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(304)
			return
		}
		w.Header().Set("ETag", etag)
		io.WriteString(w, text)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *e2eLists) serve(path, text string) string {
	l.mu.Lock()
	l.lists[path] = text
	l.mu.Unlock()
	return l.srv.URL + path
}

// pixelStatus fetches a tracker's pixel through c as a page of site does
// and returns the status code (204: blocked by Polaris).
func pixelStatus(t *testing.T, c *http.Client, tracker, site string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", tracker+"/pixel", nil)
	req.Header.Set("Referer", site+"/")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// trackerOrigin listens on 127.0.0.2.
func trackerOrigin(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tracker")
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestListsCommands(t *testing.T) {
	dir := t.TempDir()
	lists := newE2ELists(t)
	u := lists.serve("/trackers.txt", "! Title: Loopback trackers\n! Expires: 1 day\n||127.0.0.2^\n||ads.example^\n")
	out := mustPolaris(t, dir, "lists")
	for _, want := range []string{"Polaris tracker list", "EasyPrivacy", "EasyList", "Peter Lowe", "built in", "not downloaded yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("polaris lists on a fresh data dir lacks %q:\n%s", want, out)
		}
	}
	if out := mustPolaris(t, dir, "lists", "catalogue"); !strings.Contains(out, "disconnect") || !strings.Contains(out, "non-commercial") {
		t.Errorf("polaris lists catalogue:\n%s", out)
	}
	out = mustPolaris(t, dir, "lists", "add", u)
	if !regexp.MustCompile(`Added list 5: Loopback trackers \(2 rules, abp\)`).MatchString(out) {
		t.Errorf("lists add URL: %q", out)
	}
	file := filepath.Join(t.TempDir(), "my.hosts")
	os.WriteFile(file, []byte("0.0.0.0 tracker.one.example\n0.0.0.0 tracker.two.example\n0.0.0.0 tracker.three.example\n"), 0o600)
	if out := mustPolaris(t, dir, "lists", "add", "--name", "mine", file); !strings.Contains(out, "Added list 6: mine (3 rules, hosts)") {
		t.Errorf("lists add FILE: %q", out)
	}
	os.Remove(file)
	mustPolaris(t, dir, "lists", "disable", "5")
	mustPolaris(t, dir, "lists", "interval", "5", "12h")
	out = mustPolaris(t, dir, "lists")
	if !regexp.MustCompile(`(?m)^5\s+no\s+2\s+just now\s+12h\s+Loopback trackers$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^6\s+yes\s+3\s+copied just now\s+-\s+mine$`).MatchString(out) {
		t.Errorf("polaris lists after add/disable/interval:\n%s", out)
	}
	mustPolaris(t, dir, "lists", "enable", "5")
	if out := mustPolaris(t, dir, "lists", "update", "5"); !strings.Contains(out, "5 Loopback trackers: up to date, 2 rules") {
		t.Errorf("lists update 5: %q", out)
	}
	if _, errOut, code := polaris(t, dir, "lists", "update", "6", "--from", "/etc/hostname"); code != 1 || !strings.Contains(errOut, "not downloaded") {
		t.Errorf("lists update --from on a local copy: exit %d %q", code, errOut)
	}
	if _, errOut, code := polaris(t, dir, "lists", "update", "5", "--from", "/no/such/file"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("lists update --from a missing file: exit %d %q", code, errOut)
	}
	mustPolaris(t, dir, "lists", "remove", "6")

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lists", "update", "99"}, 1, "no list 99"},
		{[]string{"lists", "remove", "6"}, 1, "no list 6"},
		{[]string{"lists", "add", lists.srv.URL + "/missing.txt"}, 1, "nothing was added"},
		{[]string{"lists", "add", u}, 1, "already subscribed"},
		{[]string{"lists", "add", "/no/such/file"}, 1, "neither"},
		{[]string{"lists", "interval", "5", "3d"}, 2, "12h, 1d"},
		{[]string{"lists", "enable", "x"}, 2, "not a list ID"},
		{[]string{"lists", "frobnicate"}, 2, "usage"},
		{[]string{"lists", "add"}, 2, "usage"},
		{[]string{"stats", "--days", "0"}, 2, "--days"},
	} {
		_, errOut, code := polaris(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("polaris %s: exit %d %q, want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
	out = mustPolaris(t, dir, "lists")
	if strings.Contains(out, "missing.txt") || strings.Contains(out, "\n6 ") {
		t.Errorf("refused or removed lists are still there:\n%s", out)
	}
}

func TestRunningProxyPicksUpListsAndSettings(t *testing.T) {
	dir := t.TempDir()
	lists := newE2ELists(t)
	tracker := trackerOrigin(t)
	site := headerOrigin(t).URL
	u := lists.serve("/loopback.txt", "||127.0.0.2^\n")
	r := startPolaris(t, dir)
	c := r.client()
	status := func() int { return pixelStatus(t, c, tracker, site) }
	within := func(what string, want int) {
		t.Helper()
		start := time.Now()
		deadline := start.Add(time.Second)
		for {
			got := status()
			if got == want {
				t.Logf("%s: in effect %v after the command ended", what, time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the running proxy answers %d after a second, want %d", what, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := status(); got != 200 {
		t.Fatalf("tracker before any list: %d", got)
	}
	// The CLI asks the running Polaris to download the list (through its
	// route) and waits for it.
	if out := mustPolaris(t, dir, "lists", "add", u); !strings.Contains(out, "Added list 5") {
		t.Fatalf("lists add while running: %q", out)
	}
	within("lists add", 204)
	mustPolaris(t, dir, "config", "set", "blocking.allowlist", "127.0.0.1")
	within("config set blocking.allowlist", 200)
	mustPolaris(t, dir, "config", "set", "blocking.allowlist", "")
	within("config set blocking.allowlist (cleared)", 204)
	mustPolaris(t, dir, "lists", "disable", "5")
	within("lists disable", 200)
	mustPolaris(t, dir, "config", "set", "blocking.custom-rules", "||127.0.0.2^$third-party")
	within("config set blocking.custom-rules", 204)
	mustPolaris(t, dir, "config", "set", "protection", "off")
	within("config set protection off", 200)
	mustPolaris(t, dir, "config", "set", "protection", "on")
	within("config set protection on", 204)
	// A list update asked by the CLI is done by the running Polaris.
	lists.serve("/loopback.txt", "||127.0.0.9^\n")
	mustPolaris(t, dir, "config", "set", "blocking.custom-rules", "")
	mustPolaris(t, dir, "lists", "enable", "5")
	within("lists enable", 204)
	if out := mustPolaris(t, dir, "lists", "update", "5"); !strings.Contains(out, "up to date, 1 rules") {
		t.Errorf("lists update while running: %q", out)
	}
	within("lists update", 200)

	// The list's server is blocked on this network: the user brings a
	// copy on a USB stick. The running Polaris uses it; garbage is refused
	// and the copy in use kept.
	lists.mu.Lock()
	delete(lists.lists, "/loopback.txt")
	lists.mu.Unlock()
	if _, errOut, code := polaris(t, dir, "lists", "update", "5"); code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("lists update with the server gone: exit %d %q", code, errOut)
	}
	stick := t.TempDir()
	copyFile := filepath.Join(stick, "loopback.txt")
	os.WriteFile(copyFile, []byte("! Title: Loopback trackers\n||127.0.0.2^\n||127.0.0.3^\n"), 0o600)
	if out := mustPolaris(t, dir, "lists", "update", "5", "--from", copyFile); !strings.Contains(out, "5 ") || !strings.Contains(out, "2 rules") {
		t.Errorf("lists update --from: %q", out)
	}
	within("lists update --from", 204)
	junk := filepath.Join(stick, "junk.html")
	os.WriteFile(junk, []byte("<!DOCTYPE html><html>Sign in to the Wi-Fi</html>"), 0o600)
	if _, errOut, code := polaris(t, dir, "lists", "update", "5", "--from", junk); code != 1 || !strings.Contains(errOut, "web page") || !strings.Contains(errOut, "keeps its copy") {
		t.Errorf("lists update --from a web page: exit %d %q", code, errOut)
	}
	within("after the refused copy", 204)
	if out := mustPolaris(t, dir, "lists"); !regexp.MustCompile(`(?m)^5\s+yes\s+2\s+just now`).MatchString(out) {
		t.Errorf("polaris lists after the copy:\n%s", out)
	}

	// Blocked requests are counted; SIGTERM writes the last counts.
	mustPolaris(t, dir, "config", "set", "blocking.custom-rules", "||127.0.0.2^")
	within("custom rule", 204)
	for i := 0; i < 5; i++ {
		status()
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	<-r.done
	r.done <- nil
	out := mustPolaris(t, dir, "stats")
	if !regexp.MustCompile(`Today \(.*\): ([6-9]|\d\d+) of \d+ requests blocked`).MatchString(out) || !strings.Contains(out, "127.0.0.2") {
		t.Errorf("polaris stats after blocking:\n%s", out)
	}
}

// TestPauseAndResume: `polaris pause` and `polaris resume` act on the
// running Polaris; a pause needs one.
func TestPauseAndResume(t *testing.T) {
	dir := t.TempDir()
	tracker := trackerOrigin(t)
	site := headerOrigin(t).URL
	mustPolaris(t, dir, "config", "set", "blocking.custom-rules", "||127.0.0.2^")
	if _, errOut, code := polaris(t, dir, "pause", "5m"); code != 1 || !strings.Contains(errOut, "not running") {
		t.Errorf("pause with nothing running: exit %d %q", code, errOut)
	}
	r := startPolaris(t, dir)
	c := r.client()
	status := func() int { return pixelStatus(t, c, tracker, site) }
	if got := status(); got != 204 {
		t.Fatalf("tracker before the pause: %d, want 204", got)
	}
	if out := mustPolaris(t, dir, "pause", "30m"); !strings.Contains(out, "paused until") {
		t.Errorf("pause 30m: %q", out)
	}
	if got := status(); got != 200 {
		t.Errorf("tracker during the pause: %d, want 200", got)
	}
	if out := mustPolaris(t, dir, "resume"); !strings.Contains(out, "blocking is on") {
		t.Errorf("resume: %q", out)
	}
	if got := status(); got != 204 {
		t.Errorf("tracker after resume: %d, want 204", got)
	}
	if out := mustPolaris(t, dir, "pause", "restart"); !strings.Contains(out, "until Polaris restarts") {
		t.Errorf("pause restart: %q", out)
	}
	if got := status(); got != 200 {
		t.Errorf("tracker during the pause until restart: %d, want 200", got)
	}
	if _, errOut, code := polaris(t, dir, "pause", "2m"); code != 2 || !strings.Contains(errOut, "5m, 30m, 1h or restart") {
		t.Errorf("pause 2m: exit %d %q", code, errOut)
	}
}
