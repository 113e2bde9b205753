// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package app

import (
	"syscall"
	"testing"
)

func TestRaiseFileLimit(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Max < 512 {
		t.Skipf("hard limit %d: nothing to raise", lim.Max)
	}
	low := lim
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	got, err := raiseFileLimit()
	if err != nil || got != uint64(lim.Max) {
		t.Errorf("raiseFileLimit() = %d, %v; want the hard limit %d", got, err, lim.Max)
	}
	var now syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now)
	if now.Cur != lim.Max {
		t.Errorf("soft limit after raiseFileLimit = %d, want %d", now.Cur, lim.Max)
	}
}
