// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package app

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"polaris/internal/ca"
	"polaris/internal/testenv"
)

// privateGNOME points this process at a private session bus and a
// temporary home, so gsettings (which Polaris runs to set the system
// proxy) never touches the real user's settings.
func privateGNOME(t *testing.T) {
	t.Helper()
	for _, kv := range testenv.PrivateGNOME(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
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
