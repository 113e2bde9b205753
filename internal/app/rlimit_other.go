// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !unix

package app

// raiseFileLimit does nothing where there is no RLIMIT_NOFILE (Windows:
// sockets are not counted against a small per-process limit).
func raiseFileLimit() (uint64, error) { return 0, nil }
