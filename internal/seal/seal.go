// SPDX-License-Identifier: GPL-3.0-or-later

// Package seal encrypts a file to a passphrase and decrypts it again, in
// the age format (age-encryption.org/v1) with its scrypt passphrase
// recipient, through filippo.io/age: a file Encrypt writes is read by the
// standard age tool (age -d), and Decrypt reads what `age -p` writes,
// binary or armored. It is the adapter over that one library: nothing
// outside sees an age type.
//
// The file is authenticated by the passphrase: a file that decrypts was
// made by someone who knew it, and a changed or cut-short file is refused
// whole (nothing of it is returned).
//
// Passphrases are []byte owned by the caller, who clears them after the
// call. What this package cannot clear: age takes the passphrase as a Go
// string (immutable: it cannot be overwritten) and keeps its own copy in
// its recipient or identity, which it does not clear either. Both become
// garbage when the call returns and stay in memory until the garbage
// collector reuses it.
package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"filippo.io/age"
	"filippo.io/age/armor"

	"polaris/internal/passphrase"
)

// Kind is what a file is, by its first bytes.
type Kind int

// The kinds of file Detect tells apart.
const (
	// Unknown is neither JSON nor age.
	Unknown Kind = iota
	// JSON is a plain (unencrypted) JSON document: an object.
	JSON
	// Age is a binary age file.
	Age
	// Armored is an ASCII-armored age file (PEM-like text).
	Armored
)

func (k Kind) String() string {
	return [...]string{"unknown", "JSON", "age", "armored age"}[k]
}

// Encrypted reports the age kinds.
func (k Kind) Encrypted() bool { return k == Age || k == Armored }

const (
	ageIntro    = "age-encryption.org/"
	armorHeader = "-----BEGIN AGE ENCRYPTED FILE-----"
)

// Detect says what b, the start of a file (or all of it), is. Only the
// first bytes matter: an age file starts with its version line, an armored
// one with its header line after optional white space, a JSON document
// with "{" after optional white space and a byte order mark. Detect does
// not check the rest: Decrypt and the JSON parser do.
func Detect(b []byte) Kind {
	if bytes.HasPrefix(b, []byte(ageIntro)) {
		return Age
	}
	t := bytes.TrimLeft(b, " \t\r\n")
	switch {
	case bytes.HasPrefix(t, []byte(armorHeader)):
		return Armored
	case bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(t, []byte("\ufeff")), " \t\r\n"), []byte("{")):
		return JSON
	}
	return Unknown
}

// Work factors: scrypt costs 2^N steps and 2^N KiB of memory.
const (
	// DefaultWorkFactor is what Encrypt uses: age's own default (about a
	// second and 256 MiB on a laptop).
	DefaultWorkFactor = 18
	// MaxWorkFactor is the most Decrypt does for a file (1 GiB): more is
	// refused, so a crafted file cannot make Polaris exhaust the memory.
	MaxWorkFactor = 20
)

// Cost sets scrypt's work factors; the zero value is the defaults.
type Cost struct {
	// WorkFactor is log2 of scrypt's N for Encrypt (DefaultWorkFactor
	// when 0). Tests lower it.
	WorkFactor int
	// MaxWorkFactor is the largest Decrypt accepts (MaxWorkFactor when 0).
	MaxWorkFactor int
}

func (c Cost) workFactor() int {
	if c.WorkFactor > 0 {
		return min(c.WorkFactor, 30)
	}
	return DefaultWorkFactor
}

func (c Cost) maxWorkFactor() int {
	if c.MaxWorkFactor > 0 {
		return min(c.MaxWorkFactor, 30)
	}
	return MaxWorkFactor
}

// The errors of Decrypt, besides passphrase.ErrWrong and
// passphrase.ErrNotEncrypted.
var (
	// ErrDamaged: the file was changed or cut short after it was
	// encrypted, or is not a complete age file.
	ErrDamaged = errors.New("the encrypted file is damaged: it was changed or cut short after it was encrypted")
	// ErrNotPassphrase: an age file encrypted to a key, not to a
	// passphrase.
	ErrNotPassphrase = errors.New("the file is encrypted to an age key, not to a passphrase")
	// ErrTooCostly: the file asks for more scrypt work than MaxWorkFactor.
	ErrTooCostly = errors.New("the file asks for more work to decrypt than Polaris allows")
)

// Encrypt encrypts plain to pass as a binary age file. It keeps no
// reference to plain or pass.
func Encrypt(plain, pass []byte, c Cost) ([]byte, error) {
	if err := passphrase.Check(pass); err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(string(pass))
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(c.workFactor())
	var out bytes.Buffer
	out.Grow(len(plain) + len(plain)/1024 + 512) // the header, 16 bytes a 64 KiB chunk
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	return out.Bytes(), nil
}

// Decrypt decrypts a binary or armored age file encrypted to a
// passphrase. It returns the whole plaintext or nothing: a wrong
// passphrase is passphrase.ErrWrong; a file that is not age at all is
// passphrase.ErrNotEncrypted; a changed or truncated one ErrDamaged; one
// encrypted to a key ErrNotPassphrase; one asking for more work than
// allowed ErrTooCostly. The caller owns (and may clear) the plaintext.
func Decrypt(b, pass []byte, c Cost) ([]byte, error) {
	if err := passphrase.Check(pass); err != nil {
		return nil, err
	}
	var src io.Reader
	switch Detect(b) {
	case Age:
		src = bytes.NewReader(b)
	case Armored:
		src = armor.NewReader(bytes.NewReader(b))
	default:
		return nil, passphrase.ErrNotEncrypted
	}
	id, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return nil, err
	}
	id.SetMaxWorkFactor(c.maxWorkFactor())
	r, err := age.Decrypt(src, identity{id, c.maxWorkFactor()})
	if err != nil {
		return nil, decryptError(err)
	}
	// The plaintext is shorter than the file: read into one buffer of
	// that size, so no partial copy is left behind by growing it.
	plain := make([]byte, 0, len(b))
	for {
		n, err := r.Read(plain[len(plain):cap(plain)])
		plain = plain[:len(plain)+n]
		if err == io.EOF {
			return plain, nil
		}
		if err == nil && len(plain) == cap(plain) {
			err = errors.New("more plaintext than ciphertext")
		}
		if err != nil {
			clear(plain)
			return nil, fmt.Errorf("%w (%v)", ErrDamaged, err)
		}
	}
}

// decryptError says why the header did not open.
func decryptError(err error) error {
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.Is(err, ErrNotPassphrase), errors.Is(err, ErrTooCostly):
		return err
	case errors.As(err, &noMatch):
		return passphrase.ErrWrong
	}
	return fmt.Errorf("%w (%v)", ErrDamaged, err)
}

// identity is age's scrypt identity, with the refusals said in Polaris's
// words: a file for a key, one that asks for too much work.
type identity struct {
	*age.ScryptIdentity
	max int
}

func (i identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != "scrypt" {
			continue
		}
		if len(s.Args) == 2 {
			if n, err := strconv.Atoi(s.Args[1]); err == nil && n > i.max {
				return nil, fmt.Errorf("%w (scrypt work factor %d; at most %d)", ErrTooCostly, n, i.max)
			}
		}
		return i.ScryptIdentity.Unwrap(stanzas)
	}
	return nil, ErrNotPassphrase
}
