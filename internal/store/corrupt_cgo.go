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
