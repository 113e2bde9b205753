// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package app

import "syscall"

// raiseFileLimit raises the soft limit of open files to the hard limit
// (every connection through Polaris is two descriptors; a soft limit of
// 1024 is a few hundred tunnels) and returns the limit in force. Go's
// runtime does the same at start on most systems; this makes it certain,
// whatever started Polaris and however.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return uint64(lim.Cur), err
		}
		lim = want
	}
	return uint64(lim.Cur), nil
}
