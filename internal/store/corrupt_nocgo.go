// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !cgo

package store

// isCorrupt: without cgo there is no SQLite (the driver is a stub that
// fails every open), so nothing is ever found corrupt.
func isCorrupt(error) bool { return false }

func sqliteCondition(error) error { return nil }
