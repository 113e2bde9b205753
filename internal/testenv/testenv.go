// SPDX-License-Identifier: GPL-3.0-or-later

// Package testenv helps tests find the workplace's shared test data
// (../shared: real blocklists, adblock vectors, DuckDuckGo reference tests,
// the private Tor network script). Tests read that data in place; it is
// never copied into the repository.
package testenv

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	sharedOnce sync.Once
	sharedDir  string
)

// SharedDir returns the absolute path of the shared folder: $POLARIS_SHARED
// if set, else the first "shared" directory holding STYLE.md found next to
// the working directory or one of its parents. It fails the test when there
// is none: the suites that need it must not pass silently.
func SharedDir(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() { sharedDir = findShared() })
	if sharedDir == "" {
		t.Fatal("shared test data not found: set POLARIS_SHARED or check out the repository next to ../shared")
	}
	return sharedDir
}

// Shared returns the absolute path of a file or folder inside the shared
// folder, e.g. Shared(t, "blocklists/easylist.txt").
func Shared(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(SharedDir(t), filepath.FromSlash(rel))
}

func findShared() string {
	if d := os.Getenv("POLARIS_SHARED"); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			return abs
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared")
		if _, err := os.Stat(filepath.Join(cand, "STYLE.md")); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// GrowingWindow runs try with a deadline a short window from now (first),
// then 4× longer windows while try reports that the machine was too slow
// to act within it, for tests of things that expire (a pause, an "allow
// once"): try does what must happen before until, returns false if
// time.Now() is already past until (nothing can be concluded), else checks
// and returns true. A window over 10 s that is still too short fails t.
func GrowingWindow(t testing.TB, first time.Duration, try func(until time.Time) bool) {
	t.Helper()
	for window := first; ; window *= 4 {
		if try(time.Now().Add(window)) {
			return
		}
		if window > 10*time.Second {
			t.Fatalf("this machine took longer than %v for what the test needed within it", window)
		}
	}
}
