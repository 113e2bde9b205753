// SPDX-License-Identifier: GPL-3.0-or-later

//go:build cgo

package store

import (
	"errors"

	"github.com/mattn/go-sqlite3"
)

// isCorrupt reports whether err says the file is not a sound SQLite database.
func isCorrupt(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt)
}

// sqliteCondition maps SQLite's result codes to a storage condition.
func sqliteCondition(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code {
	case sqlite3.ErrFull:
		return ErrDiskFull
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return ErrLocked
	case sqlite3.ErrReadonly, sqlite3.ErrPerm:
		return ErrReadOnly
	case sqlite3.ErrCantOpen, sqlite3.ErrIoErr:
		switch se.ExtendedCode {
		case sqlite3.ErrIoErrWrite, sqlite3.ErrIoErrFsync, sqlite3.ErrIoErrTruncate, sqlite3.ErrIoErr.Extend(19) /* SHMSIZE */ :
			return ErrDiskFull
		}
	}
	return nil
}
