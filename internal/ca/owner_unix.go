// SPDX-License-Identifier: GPL-3.0-or-later

//go:build unix

package ca

import (
	"os"
	"path/filepath"
	"syscall"
)

// inheritOwner gives path the owner and group of its parent directory when
// the process runs as root and they differ, so that `sudo polaris ca ...`
// working in a user's home or data directory never leaves files there that
// the user's browser or Polaris cannot write. Best effort.
func inheritOwner(path string) {
	if os.Geteuid() != 0 {
		return
	}
	parent, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return
	}
	ps, ok1 := parent.Sys().(*syscall.Stat_t)
	fs, ok2 := fi.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || (ps.Uid == fs.Uid && ps.Gid == fs.Gid) {
		return
	}
	os.Lchown(path, int(ps.Uid), int(ps.Gid))
}
