// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// instanceLock is an exclusive lock on a file in the data dir, held while
// Polaris runs so that two instances never share one data dir. The OS
// releases it when the process dies, so a crash leaves no stale lock.
type instanceLock struct{ f *os.File }

func acquireLock(path string) (*instanceLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
		// A read-only data dir: nothing can be written there, so two
		// instances could not fight over it; an existing lock file can
		// still be locked for reading.
		f, err = os.Open(path)
		if err != nil {
			return &instanceLock{}, nil
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
	return &instanceLock{f: f}, nil
}

func (l *instanceLock) release() {
	if l == nil || l.f == nil {
		return
	}
	unlockFile(l.f)
	l.f.Close()
}

// RunningElsewhere reports whether another Polaris process is running on
// this data dir (it holds the instance lock).
func (a *App) RunningElsewhere() bool {
	a.run.mu.Lock()
	mine := a.run.held // this process holds the lock: starting, running or stopping
	a.run.mu.Unlock()
	if mine {
		return false
	}
	l, err := acquireLock(filepath.Join(a.opts.DataDir, "polaris.lock"))
	if err != nil {
		return errors.Is(err, ErrAlreadyRunning)
	}
	l.release()
	return false
}
