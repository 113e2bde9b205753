// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"polaris/internal/ca"
	"polaris/internal/status"
	"polaris/internal/store"
)

// The user turns Tor on in the window while the settings watcher reloads
// changes another process keeps making. Tor must stay on in the settings
// (a reload that read the database before the change was saved put the
// old value back) and the route must be Tor's whenever the setting says
// Tor (applyRunning with settings read before it waited for its lock put
// the direct route back). A tor that cannot start keeps the route failing
// closed, so nothing here goes out.
func TestTorOnSurvivesConcurrentReloads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openTestApp(t, Options{DataDir: dir, WatchInterval: time.Millisecond})
	if err := a.Set(ctx, "tor.binary", "/nonexistent/tor"); err != nil {
		t.Fatal(err)
	}
	startApp(t, a)
	other, _, err := store.Open(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // another process: a change the watcher reloads on every tick
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			other.SaveSettings(ctx, map[string]string{"dnt": []string{"0", "1"}[i%2]})
			time.Sleep(200 * time.Microsecond)
		}
	}()
	var direct, reverted int
	for range 100 {
		s := a.Settings()
		s.Tor.Enabled = true
		if err := a.Apply(ctx, s); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(3 * time.Millisecond); time.Now().Before(end); {
			on := a.Settings().Tor.Enabled
			route := a.currentProxy().Route().Name
			if !on || !a.Settings().Tor.Enabled {
				reverted++
			} else if route != "tor" {
				direct++
			}
		}
		s = a.Settings()
		s.Tor.Enabled = false
		if err := a.Apply(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	<-done
	if direct > 0 || reverted > 0 {
		t.Errorf("with Tor just turned on: %d samples had the direct route, %d had the setting turned back off", direct, reverted)
	}
}

// A change another process saves after Open read the settings and before
// Run starts takes effect in the running engine.
func TestChangeBeforeRunTakesEffect(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openTestApp(t, Options{DataDir: dir, WatchInterval: time.Hour})
	cli, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Set(ctx, "dnt", "1"); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	startApp(t, a)
	if got := a.Settings().Signals.DNT.String(); got != "1" {
		t.Errorf("the running engine has dnt %q, want the 1 saved before it started", got)
	}
}

// The window turns Tor on while the engine starts (before Run counts as
// running, the change reaches no proxy): the proxy must still end up on
// Tor's route.
func TestTorTurnedOnDuringStartTakesEffect(t *testing.T) {
	ctx := context.Background()
	for round := range 10 {
		a := openTestApp(t, Options{WatchInterval: 5 * time.Millisecond})
		if err := a.Set(ctx, "tor.binary", "/nonexistent/tor"); err != nil {
			t.Fatal(err)
		}
		applied := make(chan struct{})
		go func() {
			defer close(applied)
			time.Sleep(time.Duration(round) * 300 * time.Microsecond)
			s := a.Settings()
			s.Tor.Enabled = true
			if err := a.Apply(ctx, s); err != nil {
				t.Error(err)
			}
		}()
		stop := startApp(t, a)
		<-applied
		waitFor(t, "Tor's route after Tor was turned on during the start", func() bool { return a.currentProxy().Route().Name == "tor" })
		stop()
		a.Close()
	}
}

// Delete all data also forgets what is only in memory: the live log, the
// counters not written yet (the next write would put the deleted tracker
// counts into the fresh database).
func TestDeleteAllDataForgetsWhatIsInMemory(t *testing.T) {
	ctx := context.Background()
	trust := ca.TrustOptions{Home: t.TempDir(), LinuxCertDir: t.TempDir(), LinuxUpdate: []string{"false"}}
	a := openTestApp(t, Options{Trust: trust})
	startApp(t, a)
	for range 5 {
		a.stats.Record(status.Decision{Time: time.Now(), URL: "https://tracker.example/pixel?uid=42", Host: "tracker.example",
			Site: "my-bank.example", Verdict: status.Blocked, Category: "advertising"})
	}
	if err := a.DeleteAllData(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(a.RecentDecisions(0)); n != 0 {
		t.Errorf("the live log shows %d requests from before Delete all data", n)
	}
	a.stats.Flush(ctx) // the next write
	_, top, err := a.StatsReport(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 0 {
		t.Errorf("the fresh database has tracker counts from before Delete all data: %+v", top)
	}
}
