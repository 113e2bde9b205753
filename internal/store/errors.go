// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Storage conditions callers tell the user about. Errors from the store
// wrap one of them (errors.Is) when SQLite or the OS reported it.
var (
	ErrDiskFull = errors.New("the disk is full")
	ErrLocked   = errors.New("another program is holding Polaris's database locked")
	ErrReadOnly = errors.New("Polaris's data folder cannot be written (read-only)")
)

// storageError is an error from SQLite or the OS with a plain-words cause.
type storageError struct {
	cause error // one of the sentinels above
	err   error
}

func (e *storageError) Error() string   { return fmt.Sprintf("%v (%v)", e.cause, e.err) }
func (e *storageError) Unwrap() []error { return []error{e.cause, e.err} }

// explain wraps err with the storage condition it reveals, if any.
func explain(err error) error {
	if err == nil {
		return nil
	}
	var se *storageError
	if errors.As(err, &se) {
		return err
	}
	if c := condition(err); c != nil {
		return &storageError{cause: c, err: err}
	}
	return err
}

// condition returns the sentinel for err's storage condition, or nil.
func condition(err error) error {
	if c := sqliteCondition(err); c != nil {
		return c
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return ErrDiskFull
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission):
		return ErrReadOnly
	}
	return nil
}
