// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// End-to-end tests of the built binary: the real `polaris` process, its real
// SQLite file, real origin servers on 127.0.0.1.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"polaris/internal/testenv"
)

var binary string

func TestMain(m *testing.M) {
	// Into the private network namespace first (netns_test.go): the outer
	// process only waits for the inner one.
	if code, done := enterNetns(); done {
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "polaris-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "polaris")
	// Never download the catalogue's lists from the Internet in tests.
	os.Setenv("POLARIS_NO_AUTO_UPDATE", "1")
	build := exec.Command("go", "build", "-tags", "nogui", "-o", binary, "polaris")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building polaris:", err)
		os.Exit(1)
	}
	code := m.Run()
	stopBrowsers()
	testenv.StopTornet()
	os.RemoveAll(dir)
	os.Exit(code)
}

// polaris runs a CLI command to completion.
func polaris(t testing.TB, dataDir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--data-dir", dataDir}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("polaris %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// mustPolaris runs a CLI command that must succeed and returns its output.
func mustPolaris(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, errOut, code := polaris(t, dir, args...)
	if code != 0 {
		t.Fatalf("polaris %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

type running struct {
	cmd    *exec.Cmd
	addr   string
	stdout *bufio.Reader
	stderr *bytes.Buffer
	done   chan error
	// dataDir is the data dir it runs on.
	dataDir string
}

// startPolaris starts `polaris run` and waits for its address.
func startPolaris(t testing.TB, dataDir string, extra ...string) *running {
	t.Helper()
	args := append([]string{"run", "--data-dir", dataDir, "--listen", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(binary, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: cmd, stdout: bufio.NewReader(out), stderr: &bytes.Buffer{}, done: make(chan error, 1), dataDir: dataDir}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		// Gracefully, so a tor it started is stopped and waited for (a
		// killed Polaris leaves its tor to exit by itself, writing its
		// state into the data dir while the test deletes it).
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-r.done
		}
		torDir := filepath.Join(dataDir, "tor")
		for deadline := time.Now().Add(10 * time.Second); len(testenv.ProcessesWith(torDir)) > 0; {
			if time.Now().After(deadline) {
				for _, pid := range testenv.ProcessesWith(torDir) {
					if p, err := os.FindProcess(pid); err == nil {
						p.Kill()
					}
				}
				t.Errorf("a tor of this test's Polaris was still running 10 s after Polaris stopped")
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	line, err := r.stdout.ReadString('\n')
	if err != nil {
		t.Fatalf("polaris run printed no address: %v; stderr: %s", err, r.stderr)
	}
	const prefix = "Polaris is listening on "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("first line %q, want %q...", line, prefix)
	}
	r.addr = strings.TrimSpace(strings.TrimPrefix(line, prefix))
	return r
}

// stop ends `polaris run` with SIGTERM and waits for it.
func (r *running) stop(t testing.TB) {
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(20 * time.Second):
		t.Fatal("polaris did not stop after SIGTERM")
	}
}

func (r *running) client() *http.Client {
	u, _ := url.Parse("http://" + r.addr)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}, Timeout: 10 * time.Second}
}

func headerOrigin(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(r.Header)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fetchHeaders(t *testing.T, c *http.Client, u string) http.Header {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h http.Header
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("decoding origin answer (status %d): %v", resp.StatusCode, err)
	}
	return h
}

func TestRunServesAndStopsGracefully(t *testing.T) {
	origin := headerOrigin(t)
	arrived := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		time.Sleep(time.Second)
		io.WriteString(w, "ok")
	}))
	defer slow.Close()
	dir := t.TempDir()
	if _, errOut, code := polaris(t, dir, "config", "set", "dnt", "1"); code != 0 {
		t.Fatalf("config set: %d %s", code, errOut)
	}
	r := startPolaris(t, dir)
	h := fetchHeaders(t, r.client(), origin.URL+"/")
	if h.Get("Dnt") != "1" || h.Get("Sec-Gpc") != "1" {
		t.Errorf("origin got DNT %q Sec-GPC %q, want 1 and 1", h.Get("Dnt"), h.Get("Sec-Gpc"))
	}
	// An in-flight request survives SIGTERM.
	type res struct {
		code int
		err  error
	}
	inflight := make(chan res, 1)
	go func() {
		resp, err := r.client().Get(slow.URL + "/slow")
		if err != nil {
			inflight <- res{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		inflight <- res{code: resp.StatusCode}
	}()
	select { // the request is in flight
	case <-arrived:
	case got := <-inflight:
		t.Fatalf("the request ended before SIGTERM: %d %v", got.code, got.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not reach the origin")
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("polaris exited with %v after SIGTERM; stderr: %s", err, r.stderr)
		}
		r.done <- err
	case <-time.After(15 * time.Second):
		t.Fatal("polaris did not exit after SIGTERM")
	}
	if got := <-inflight; got.err != nil || got.code != 200 {
		t.Errorf("in-flight request at SIGTERM: %d %v, want 200", got.code, got.err)
	}
}

func TestConfigSetReachesRunningProxy(t *testing.T) {
	origin := headerOrigin(t)
	dir := t.TempDir()
	r := startPolaris(t, dir)
	c := r.client()
	if got := fetchHeaders(t, c, origin.URL+"/").Values("Dnt"); len(got) != 0 {
		t.Fatalf("default DNT is unset, but the origin got %q", got)
	}
	for _, tc := range []struct{ key, value, header, want string }{
		{"dnt", "1", "Dnt", "1"},
		{"dnt", "0", "Dnt", "0"},
		{"gpc", "off", "Sec-Gpc", ""},
	} {
		if _, errOut, code := polaris(t, dir, "config", "set", tc.key, tc.value); code != 0 {
			t.Fatalf("config set %s %s: %d %s", tc.key, tc.value, code, errOut)
		}
		// In force when the command ends: the very next request has it.
		if got := fetchHeaders(t, c, origin.URL+"/").Get(tc.header); got != tc.want {
			t.Fatalf("%s=%s not in force when config set returned (origin got %s %q)", tc.key, tc.value, tc.header, got)
		}
	}
}

func TestSettingsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	polaris(t, dir, "config", "set", "dnt", "0")
	polaris(t, dir, "config", "set", "signals.exceptions", "bank.example=off")
	r := startPolaris(t, dir)
	r.cmd.Process.Signal(syscall.SIGTERM)
	<-r.done
	r.done <- nil
	for key, want := range map[string]string{"dnt": "0", "signals.exceptions": "bank.example=off"} {
		out, _, code := polaris(t, dir, "config", "get", key)
		if code != 0 || strings.TrimSpace(out) != want {
			t.Errorf("after restart config get %s = %q (%d), want %q", key, out, code, want)
		}
	}
}

func TestBadConfigRefused(t *testing.T) {
	dir := t.TempDir()
	polaris(t, dir, "config", "set", "dnt", "1")
	before, _, _ := polaris(t, dir, "config", "get")
	for _, args := range [][]string{
		{"config", "set", "dnt", "2"},
		{"config", "set", "no.such.key", "1"},
		{"config", "set", "listen", "0.0.0.0:8228"},
		{"config", "set", "signals.exceptions", "com=off"},
		{"config", "set", "dnt"},
	} {
		_, errOut, code := polaris(t, dir, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if n := strings.Count(strings.TrimSpace(errOut), "\n"); n > 0 || errOut == "" {
			t.Errorf("%v: error is not one clear line: %q", args, errOut)
		}
	}
	after, _, _ := polaris(t, dir, "config", "get")
	if before != after {
		t.Errorf("refused changes changed the settings:\nbefore %s\nafter %s", before, after)
	}
}

func TestCorruptDatabaseRebuilt(t *testing.T) {
	dir := t.TempDir()
	garbage := bytes.Repeat([]byte("not sqlite "), 500)
	os.WriteFile(filepath.Join(dir, "polaris.db"), garbage, 0o600)
	out, errOut, code := polaris(t, dir, "config", "get", "dnt")
	if code != 0 || strings.TrimSpace(out) != "unset" {
		t.Fatalf("config get on a corrupt database: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "moved aside") {
		t.Errorf("the user was not told about the corrupt database: %q", errOut)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "polaris.db.corrupt-*"))
	if len(matches) != 1 {
		t.Fatalf("corrupt file kept as %v, want one polaris.db.corrupt-*", matches)
	}
	if b, _ := os.ReadFile(matches[0]); !bytes.Equal(b, garbage) {
		t.Error("the corrupt file was not kept intact")
	}
}

func TestListenPolicy(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := polaris(t, dir, "run", "--listen", "0.0.0.0:0")
	if code != 2 || !strings.Contains(errOut, "proxy.auth") {
		t.Errorf("run on a LAN address without auth: exit %d %q, want 2 and a word about proxy.auth", code, errOut)
	}
	mustPolaris(t, dir, "config", "set", "proxy.auth", "me:twelve chars!")
	// With authentication it listens on every address: in a network
	// namespace of its own, whose only interface is loopback, so that the
	// test never opens a port on this machine's network.
	if out, err := exec.Command("unshare", "-rn", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace here (%v: %s): the refusal above is tested, listening on all addresses is not", err, out)
	}
	cmd := exec.Command("unshare", "-rn", binary, "run", "--data-dir", dir, "--listen", "0.0.0.0:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "Polaris is listening on 0.0.0.0:") && !strings.HasPrefix(line, "Polaris is listening on [::]:") {
		t.Errorf("with proxy.auth set, run on 0.0.0.0 printed %q", line)
	}
}

func TestOneInstancePerDataDir(t *testing.T) {
	dir := t.TempDir()
	startPolaris(t, dir)
	_, errOut, code := polaris(t, dir, "run", "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "already running") {
		t.Errorf("second instance on the same data dir: exit %d %q", code, errOut)
	}
	// Another data dir is independent.
	startPolaris(t, t.TempDir())
}

func TestDataDirFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binary, "config", "set", "gpc", "off")
	cmd.Env = append(os.Environ(), "POLARIS_DATA_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "polaris.db")); err != nil {
		t.Errorf("POLARIS_DATA_DIR not used: %v", err)
	}
}
