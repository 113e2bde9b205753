// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The record that the set-up was finished or closed lives in the data
// dir's database: it survives a restart on the same data dir, is absent on
// a new one, and is not part of the user's data export.
func TestSetupSeenSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *App {
		a, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", WatchInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	if seen, err := a.SetupSeen(ctx); err != nil || seen {
		t.Fatalf("SetupSeen on a new data dir = %v, %v; want false", seen, err)
	}
	if err := a.MarkSetupSeen(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = open()
	defer a.Close()
	if seen, err := a.SetupSeen(ctx); err != nil || !seen {
		t.Fatalf("SetupSeen after a restart = %v, %v; want true", seen, err)
	}
	out := filepath.Join(t.TempDir(), "export.json")
	if err := a.ExportData(ctx, out, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "setup.seen") {
		t.Error("the export carries the set-up record")
	}
}
