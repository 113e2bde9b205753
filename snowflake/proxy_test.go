// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package snowflake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func waitStatus(t *testing.T, p *Proxy, within time.Duration, what string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := p.Status()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, status %+v: want %s", within, st, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fakeProgram writes a shell script standing in for snowflake-proxy: it
// prints script and exits.
func fakeProgram(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-snowflake-proxy")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPeopleHelpedCounted: the people in the program's summary lines are
// added up across restarts.
func TestPeopleHelpedCounted(t *testing.T) {
	bin := fakeProgram(t, `echo "2026/12/07 06:50:00 Proxy starting"
echo "2026/12/07 06:50:01 In the last 1s, there were 2 connections. Traffic Relayed ↑ 1 KB, ↓ 3 KB."
echo "2026/12/07 06:50:02 In the last 1s, there were 0 connections. Traffic Relayed ↑ 0 KB, ↓ 0 KB."
printf "2026/12/07 06:50:03 In the last 1s, there were 1 connections."
exit 3`)
	var changes []Status
	var mu sync.Mutex
	p, err := New(Config{Binary: bin, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		OnChange: func(s Status) { mu.Lock(); changes = append(changes, s); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, p, 10*time.Second, "two restarts and 9 people helped", func(s Status) bool {
		return s.Restarts >= 2 && s.Helped >= 9
	})
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.Helped%3 != 0 {
		t.Errorf("helped %d: want 3 per run", st.Helped)
	}
	mu.Lock()
	defer mu.Unlock()
	var sawErr bool
	for _, c := range changes {
		if c.State == Restarting && strings.Contains(c.Err, "exit status 3") {
			sawErr = true
		}
	}
	if !sawErr {
		t.Errorf("no status said the program exited with status 3: %+v", changes)
	}
}

func TestNotInstalled(t *testing.T) {
	_, err := New(Config{Binary: filepath.Join(t.TempDir(), "no-such-program")})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("New with a missing program: %v, want ErrNotInstalled", err)
	}
}

func TestBadConfig(t *testing.T) {
	bin := fakeProgram(t, "sleep 60")
	for _, c := range []Config{
		{Binary: bin, Capacity: -1},
		{Binary: bin, Broker: "not a url"},
		{Binary: bin, Relay: "/relative"},
		{Binary: bin, STUN: "127.0.0.1:3478"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// A program that cannot be started at all: Start says why, and nothing is
// left trying again in the background.
func TestStartFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-executable")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{Binary: path, MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644) // gone wrong between New and Start
	if err := p.Start(context.Background()); err == nil {
		t.Fatal("Start of a program that cannot run succeeded")
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the supervisor is still trying after Start failed")
	}
	if st := p.Status(); st.State != Failed || st.Restarts != 0 {
		t.Errorf("status %+v; want failed, no restarts", st)
	}
}
