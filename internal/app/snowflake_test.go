// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polaris/internal/status"
	"polaris/snowflake"
)

func waitSnowflake(t *testing.T, a *App, within time.Duration, what string, ok func(status.Snowflake) bool) status.Snowflake {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := a.Snapshot().Snowflake
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the Snowflake status is %+v; want %s", within, st, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A missing program is said in words, and nothing else breaks.
func TestSnowflakeNotInstalled(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		Snowflake: snowflake.Config{Binary: filepath.Join(t.TempDir(), "no-snowflake-proxy")}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	startApp(t, a)
	s := a.Settings()
	s.Snowflake.Enabled = true
	if err := a.Apply(ctx, s); err != nil {
		t.Fatal(err)
	}
	st := waitSnowflake(t, a, 10*time.Second, "not installed", func(s status.Snowflake) bool {
		return s.State == status.SnowflakeNotInstalled
	})
	if !strings.Contains(st.Err, "not installed") {
		t.Errorf("Err %q does not say it is not installed", st.Err)
	}
	if a.currentProxy() == nil {
		t.Error("the proxy stopped")
	}
	// The command line asks the running Polaris (polaris snowflake).
	if got, err := a.RunningSnowflake(); err != nil || got.State != status.SnowflakeNotInstalled || !got.Enabled {
		t.Errorf("RunningSnowflake() = %+v, %v; want enabled, not installed", got, err)
	}
}
