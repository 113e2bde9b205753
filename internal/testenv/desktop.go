// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PrivateGNOME starts a private D-Bus session under a temporary HOME and
// returns the environment that points gsettings (and so Polaris's GNOME
// system-proxy code) at it: HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR,
// XDG_CURRENT_DESKTOP=GNOME and DBUS_SESSION_BUS_ADDRESS, as KEY=VALUE.
// The real user's settings are never touched. The bus stops when the test
// ends.
func PrivateGNOME(t testing.TB) []string {
	t.Helper()
	for _, tool := range []string{"dbus-daemon", "gsettings"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (make test installs dbus and libglib2.0-bin)", tool)
		}
	}
	home := t.TempDir()
	run := filepath.Join(home, "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_RUNTIME_DIR=" + run,
		"XDG_CURRENT_DESKTOP=GNOME",
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"))
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	return append(env, "DBUS_SESSION_BUS_ADDRESS="+strings.TrimSpace(line))
}
