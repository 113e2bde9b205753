// SPDX-License-Identifier: GPL-3.0-or-later

// Package passphrase says what a passphrase is worth, and names the errors
// the engine, the window and the command line share about one. It is pure:
// no I/O, no cryptography (that is internal/seal's).
//
// A passphrase is always a []byte owned by its caller, never a string, so
// that the caller can overwrite it when done: nothing here keeps a
// reference to it or copies it anywhere the caller cannot clear.
package passphrase

import "errors"

// MinLen is the length in characters under which a passphrase is called
// short (and the user warned; never refused).
const MinLen = 12

// WarnBits is the estimated strength in bits under which the user is
// warned. An encrypted export can be attacked offline, at the attacker's
// pace: 50 bits is about four random dictionary words.
const WarnBits = 50

// MaxLen is the longest passphrase accepted, in bytes.
const MaxLen = 1024

// The errors about a passphrase. Callers wrap them; test with errors.Is.
var (
	// ErrNeeded: the file is encrypted and no passphrase was given.
	ErrNeeded = errors.New("the file is encrypted: its passphrase is needed")
	// ErrWrong: the passphrase does not open the file. (A file whose
	// encrypted key was changed cannot be told apart from this.)
	ErrWrong = errors.New("wrong passphrase (or the file's header was changed)")
	// ErrNotEncrypted: a passphrase was given for a file that is not
	// encrypted. A caller who asked for an encrypted file gets this
	// rather than a plain file someone may have put in its place.
	ErrNotEncrypted = errors.New("the file is not encrypted, but a passphrase was given for it")
	// ErrEmpty: the passphrase is empty.
	ErrEmpty = errors.New("the passphrase is empty")
	// ErrTooLong: the passphrase is longer than MaxLen.
	ErrTooLong = errors.New("the passphrase is longer than 1024 bytes")
	// ErrMismatch: the passphrase and its repetition differ.
	ErrMismatch = errors.New("the two passphrases differ")
)

// Check refuses an empty or too long passphrase.
func Check(p []byte) error {
	switch {
	case len(p) == 0:
		return ErrEmpty
	case len(p) > MaxLen:
		return ErrTooLong
	}
	return nil
}
