// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"polaris/internal/passphrase"
)

// Passphrases for encrypted exports: asked on the terminal with the echo
// off, or read from a file (--passphrase-file) by scripts. They are
// []byte, cleared by the callers when done, never printed or logged.

// readSecret asks for a secret on the terminal in with the echo off,
// prompting on out. Ctrl-C puts the echo back before Polaris ends.
func readSecret(in *os.File, out io.Writer, prompt string) ([]byte, error) {
	restore, err := noEcho(in.Fd())
	if err != nil {
		return nil, fmt.Errorf("cannot hide what you type on this terminal (%v): use --passphrase-file", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sig)
		close(done)
		restore()
		fmt.Fprintln(out) // the Enter typed was not echoed
	}()
	go func() {
		select {
		case <-sig:
			restore()
			fmt.Fprintln(out)
			os.Exit(130)
		case <-done:
		}
	}()
	fmt.Fprint(out, prompt)
	// One byte at a time, into a buffer of our own (cleared when it
	// grows), so no copy stays in a reader's buffer.
	buf := make([]byte, 0, 128)
	var one [1]byte
	for {
		n, err := in.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			if len(buf) == cap(buf) {
				grown := make([]byte, len(buf), 2*cap(buf))
				copy(grown, buf)
				clear(buf)
				buf = grown
			}
			buf = append(buf, one[0])
			if len(buf) > passphrase.MaxLen {
				clear(buf)
				return nil, passphrase.ErrTooLong
			}
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			break
		}
		if err != nil {
			clear(buf)
			return nil, errors.New("no passphrase was typed")
		}
	}
	one[0] = 0
	buf = bytes.TrimSuffix(buf, []byte("\r"))
	if err := passphrase.Check(buf); err != nil {
		clear(buf)
		return nil, err
	}
	return buf, nil
}

// readPassphraseFile reads a passphrase from a file: its first line,
// without the line's end.
func readPassphraseFile(path string) ([]byte, error) {
	b, err := readFileLimited(path, passphrase.MaxLen+2)
	if err != nil {
		return nil, fmt.Errorf("reading the passphrase file: %w", err)
	}
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if err := passphrase.Check(line); err != nil {
		clear(b)
		return nil, fmt.Errorf("the passphrase file %s: %w", path, err)
	}
	pass := bytes.Clone(line)
	clear(b)
	return pass, nil
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		clear(b)
		return nil, err
	}
	if int64(len(b)) > limit {
		clear(b)
		return nil, fmt.Errorf("%s is longer than a passphrase may be", path)
	}
	return b, nil
}

// newPassphrase asks for a new passphrase twice on the terminal, or reads
// it from file; a weak one is warned about (on stderr), not refused.
func newPassphrase(e *Env, file string) ([]byte, error) {
	var pass []byte
	if file != "" {
		p, err := readPassphraseFile(file)
		if err != nil {
			return nil, err
		}
		pass = p
	} else {
		in, ok := e.Stdin.(*os.File)
		if !ok || !isTerminal(e.Stdin) {
			return nil, errors.New("--encrypt asks for the passphrase on a terminal, and there is none: add --passphrase-file FILE")
		}
		p, err := readSecret(in, e.Stderr, "Passphrase for the export (not shown): ")
		if err != nil {
			return nil, err
		}
		again, err := readSecret(in, e.Stderr, "The same passphrase again: ")
		if err != nil {
			clear(p)
			return nil, err
		}
		same := bytes.Equal(p, again)
		clear(again)
		if !same {
			clear(p)
			return nil, passphrase.ErrMismatch
		}
		pass = p
	}
	if s := passphrase.Estimate(pass); s.Weak() {
		fmt.Fprintln(e.Stderr, weakWarning(s))
	}
	return pass, nil
}

// weakWarning says why a passphrase is weak, in one line.
func weakWarning(s passphrase.Strength) string {
	why := fmt.Sprintf("estimated strength %s, about %d bits", s.Level(), s.Bits)
	if s.Short() {
		why += fmt.Sprintf(", %d characters (under %d)", s.Chars, passphrase.MinLen)
	}
	if s.Common {
		why += ", a common password or word"
	}
	return "warning: this passphrase is weak (" + why + "): whoever gets the file can try guesses at their own pace; " +
		"a longer one, such as five or six random words, is safer. The export is encrypted with it anyway."
}
