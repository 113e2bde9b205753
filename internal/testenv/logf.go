// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"sync"
	"testing"
)

// Logf returns a log function for a component a test starts (a proxy, a
// lists engine): it writes to t.Logf while the test and its cleanups run,
// and drops what comes later — a goroutine still unwinding after a bounded
// shutdown, which t.Logf would report as a data race or a panic ("Log in
// goroutine after Test has completed") in a test that passed.
func Logf(t testing.TB) func(format string, args ...any) {
	var mu sync.Mutex
	ended := false
	t.Cleanup(func() {
		mu.Lock()
		ended = true
		mu.Unlock()
	})
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !ended {
			t.Logf(format, args...)
		}
	}
}
