// SPDX-License-Identifier: GPL-3.0-or-later

// Package atomicfile writes files whole: a crash, a full disk or a second
// writer leaves the old file or the new one, never half of one. It is
// Polaris's one home for that (list copies, exports, the CA and its
// manifest, the system files Polaris changes).
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Write replaces path with data: written to a temporary file in the same
// directory, synced, given perm, renamed over path, and the directory
// synced. The directory must exist. On failure path is unchanged and the
// temporary file is gone.
func Write(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	SyncDir(filepath.Dir(path))
	return nil
}

// WriteNew is Write for a file that must not exist yet: when path exists
// (another process created it first) it fails with an error matching
// fs.ErrExist and changes nothing. On a file system without hard links it
// falls back to Write, which replaces.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		// No hard links on this file system: rename instead.
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	SyncDir(filepath.Dir(path))
	return nil
}

// writeTemp writes data to a synced temporary file beside path, with perm,
// and returns its name.
func writeTemp(path string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// SyncDir makes the renames and removals in dir durable (not on Windows,
// where a directory cannot be opened for it).
func SyncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
