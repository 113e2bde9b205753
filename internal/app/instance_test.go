// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"polaris/internal/instance"
)

// runApp opens and runs a real App on dir until the test ends.
func runApp(t *testing.T, dir string) *App {
	t.Helper()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	})
	return a
}

func TestSignalShow(t *testing.T) {
	dir := t.TempDir()
	if err := SignalShow(dir); !errors.Is(err, instance.ErrNoInstance) {
		t.Fatalf("SignalShow with nothing running = %v, want ErrNoInstance", err)
	}
	a := runApp(t, dir)
	if err := SignalShow(dir); !errors.Is(err, ErrHeadless) {
		t.Errorf("SignalShow to a headless instance = %v, want ErrHeadless", err)
	}
	var shown atomic.Int32
	a.OnShowRequest(func() { shown.Add(1) })
	for i := range 3 {
		if err := SignalShow(dir); err != nil {
			t.Fatalf("SignalShow #%d = %v, want nil", i, err)
		}
	}
	if n := shown.Load(); n != 3 {
		t.Errorf("show callback ran %d times, want 3", n)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(dir, "polaris.sock"))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("socket mode %v, want 0600", m)
		}
	}
	// Another data dir is someone else.
	if err := SignalShow(t.TempDir()); !errors.Is(err, instance.ErrNoInstance) {
		t.Errorf("SignalShow to another data dir = %v, want ErrNoInstance", err)
	}
}

func TestSignalShowAfterStop(t *testing.T) {
	dir := t.TempDir()
	t.Run("running", func(t *testing.T) {
		a := runApp(t, dir)
		a.OnShowRequest(func() {})
		if err := SignalShow(dir); err != nil {
			t.Fatalf("SignalShow = %v", err)
		}
	})
	if err := SignalShow(dir); !errors.Is(err, instance.ErrNoInstance) {
		t.Errorf("SignalShow after the instance stopped = %v, want ErrNoInstance", err)
	}
}

// Close while the engine runs must not pull the database from under it
// (the settings watcher reads it on every tick): it refuses, the engine
// keeps serving and keeps picking up changes, and Close works once Run
// has returned.
func TestCloseWhileRunningRefuses(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0", WatchInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := startApp(t, a)
	if err := a.Close(); !errors.Is(err, ErrEngineRunning) {
		t.Fatalf("Close while running: %v, want ErrEngineRunning", err)
	}
	// Another process changes a setting; the running engine reads it.
	b, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(context.Background(), "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	b.Close()
	waitFor(t, "the running engine to pick up the change", func() bool {
		return a.Settings().Signals.DNT.String() == "1"
	})
	stop()
	if err := a.Close(); err != nil {
		t.Errorf("Close after Run returned: %v", err)
	}
}

// A change made through another App on the data dir (what the CLI is)
// reaches the running Polaris when that App closes, without waiting for
// the watcher's tick: here the tick is an hour away.
func TestClientChangeWakesTheRunningInstance(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0", WatchInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	startApp(t, a)
	b, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(context.Background(), "gpc", "off"); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the running instance to load the change", func() bool { return !a.Settings().Signals.GPC })
}
