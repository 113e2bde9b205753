// SPDX-License-Identifier: GPL-3.0-or-later

package instance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The files of the instance in the data dir.
const (
	// LockFile is held while Polaris runs.
	LockFile = "polaris.lock"
	// SocketFile is the endpoint (Unix; see socketPath for long paths).
	SocketFile = "polaris.sock"
)

// ErrAlreadyRunning is returned by Acquire when another Polaris holds the
// data dir.
var ErrAlreadyRunning = errors.New("another Polaris is already running with this data dir")

// Lock is an exclusive lock on a file in the data dir, held while Polaris
// runs so that two instances never share one data dir. The OS releases it
// when the process dies, so a crash leaves no stale lock.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the lock of dataDir, or returns ErrAlreadyRunning. On a
// read-only data dir, where two instances could not fight over anything,
// it succeeds without a lock when there is no lock file to lock.
func Acquire(dataDir string) (*Lock, error) {
	path := filepath.Join(dataDir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
		// A read-only data dir: nothing can be written there, so two
		// instances could not fight over it; an existing lock file can
		// still be locked for reading.
		f, err = os.Open(path)
		if err != nil {
			return &Lock{path: path}, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, ErrAlreadyRunning
	}
	if f.Truncate(0) == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return &Lock{f: f, path: path}, nil
}

// Release lets the lock go. A nil Lock does nothing.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	unlockFile(l.f)
	l.f.Close()
}

// RemoveAndRelease deletes the lock file while still holding the lock,
// then releases it: the data dir is left empty and no other Polaris could
// start on it in between.
func (l *Lock) RemoveAndRelease() {
	if l == nil {
		return
	}
	os.Remove(l.path)
	l.Release()
}

// Held reports whether a Polaris process holds the lock of dataDir (it
// tries to take it, and lets it go at once).
func Held(dataDir string) bool {
	l, err := Acquire(dataDir)
	if err != nil {
		return errors.Is(err, ErrAlreadyRunning)
	}
	l.Release()
	return false
}
