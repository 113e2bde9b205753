//go:build linux

package app

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polaris/internal/ca"
)

// privateGNOME points this process at a private session bus and a
// temporary home, so gsettings (which Polaris runs to set the system
// proxy) never touches the real user's settings.
func privateGNOME(t *testing.T) {
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
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_RUNTIME_DIR", run)
	t.Setenv("XDG_CURRENT_DESKTOP", "GNOME")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(line))
}

func gsettings(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("gsettings", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gsettings %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Delete all data while Polaris is the system proxy: the system is put
// back first, and nothing may point it at Polaris again while the delete
// runs — a settings reload in that window (the old database still said
// "system proxy on") re-enabled it and journalled that in the database
// about to be deleted, so the system kept pointing at a stopped Polaris.
// The watcher ticks every 2 ms here to hit that window every time.
func TestDeleteAllDataLeavesNoSystemProxyBehind(t *testing.T) {
	privateGNOME(t)
	gsettings(t, "set", "org.gnome.system.proxy", "mode", "none")
	ctx := context.Background()
	for round := range 4 {
		trust := ca.TrustOptions{Home: t.TempDir(), LinuxCertDir: t.TempDir(), LinuxUpdate: []string{"false"}}
		a, err := Open(ctx, Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Trust: trust, WatchInterval: 2 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Set(ctx, "system.proxy", "on"); err != nil {
			t.Fatal(err)
		}
		stop := startApp(t, a)
		waitFor(t, "the system to point at Polaris", func() bool {
			return gsettings(t, "get", "org.gnome.system.proxy", "mode") == "'manual'"
		})
		if err := a.DeleteAllData(ctx); err != nil {
			t.Fatalf("DeleteAllData: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // watcher ticks on the fresh database
		during := gsettings(t, "get", "org.gnome.system.proxy", "mode")
		stop()
		after := gsettings(t, "get", "org.gnome.system.proxy", "mode")
		a.Close()
		if during != "'none'" || after != "'none'" {
			t.Errorf("round %d: GNOME proxy mode %s after Delete all data and %s after Polaris stopped, want 'none' both times", round, during, after)
			gsettings(t, "set", "org.gnome.system.proxy", "mode", "none")
		}
	}
}
