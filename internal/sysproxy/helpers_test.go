// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memJournal is an in-memory Journal. check, when set, runs before every
// Save (to assert the system is still untouched at that moment).
type memJournal struct {
	mu    sync.Mutex
	data  []byte
	ok    bool
	saves int
	check func()
}

func (j *memJournal) Save(_ context.Context, state []byte) error {
	if j.check != nil {
		j.check()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.data, j.ok = slices.Clone(state), true
	j.saves++
	return nil
}

func (j *memJournal) Load(context.Context) ([]byte, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.data), j.ok, nil
}

func (j *memJournal) Clear(context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.data, j.ok = nil, false
	return nil
}

func (j *memJournal) has() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.ok
}

// needTool fails the test when a program the real-system tests use is not
// installed, naming the Debian package.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: apt-get install %s", name, pkg)
	}
	return p
}

// userEnv returns an environment with a throw-away home: HOME,
// XDG_CONFIG_HOME and XDG_RUNTIME_DIR in t.TempDir(), the real PATH, and
// extra on top.
func userEnv(t testing.TB, extra ...string) (env []string, home string) {
	t.Helper()
	dir := t.TempDir()
	home = filepath.Join(dir, "home")
	run := filepath.Join(dir, "run")
	for _, d := range []string{filepath.Join(home, ".config"), run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env = []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_RUNTIME_DIR=" + run,
		"PATH=" + os.Getenv("PATH"),
		"LANG=C.UTF-8",
	}
	return append(env, extra...), home
}

// dbusSession starts a private D-Bus session bus for env (so gsettings
// writes a throw-away dconf database under env's XDG_CONFIG_HOME, never
// the user's) and returns env with its address. The bus and the dconf
// service it activates stop when the test ends.
func dbusSession(t testing.TB, env []string) []string {
	t.Helper()
	needTool(t, "dbus-daemon", "dbus")
	needTool(t, "gsettings", "libglib2.0-bin")
	if _, err := os.Stat("/usr/share/dbus-1/services/ca.desrt.dconf.service"); err != nil {
		t.Fatalf("the dconf service is not installed: apt-get install dconf-service dconf-gsettings-backend")
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return append(slices.Clone(env), "DBUS_SESSION_BUS_ADDRESS="+a)
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not start within 10s")
	}
	return nil
}

// run runs a program with env and returns its trimmed output.
func run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v %s", name, strings.Join(args, " "), err, msg)
	}
	return strings.TrimSpace(string(out))
}

// newTestManager builds a Manager for a platform with the given journal.
func newTestManager(t testing.TB, cfg Config, p platform) *Manager {
	t.Helper()
	if cfg.ProxyAddr == "" {
		cfg.ProxyAddr = "127.0.0.1:8228"
	}
	m, err := newManager(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
