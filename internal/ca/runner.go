// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Command is one external program invocation. Its String form is a shell
// command line that a user can paste.
type Command struct {
	Name string
	Args []string
}

// String returns the command line with arguments quoted for a POSIX shell
// where needed.
func (c Command) String() string {
	var b strings.Builder
	b.WriteString(shellQuote(c.Name))
	for _, a := range c.Args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell unless it is made of safe
// characters only.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%_+=:,./-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Runner runs external commands for the trust-store code. Tests may replace
// it; ExecRunner is the real one.
type Runner interface {
	// Run runs cmd to completion and returns its standard output. A
	// failure is a *CommandError when the program ran and exited non-zero.
	Run(ctx context.Context, cmd Command) ([]byte, error)
}

// ExecRunner runs commands with os/exec, inheriting the environment.
type ExecRunner struct{}

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, cmd Command) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	x := exec.CommandContext(ctx, cmd.Name, cmd.Args...)
	x.Stdout, x.Stderr = &stdout, &stderr
	err := x.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	ce := &CommandError{Command: cmd, ExitCode: -1, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ce.ExitCode = ee.ExitCode()
	}
	return stdout.Bytes(), ce
}

// CommandError is a command that did not succeed.
type CommandError struct {
	Command  Command
	ExitCode int // -1 when it did not run or was killed
	Stdout   []byte
	Stderr   []byte
	Err      error
}

func (e *CommandError) Error() string {
	msg := strings.TrimSpace(string(e.Stderr))
	if msg == "" {
		msg = strings.TrimSpace(string(e.Stdout))
	}
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ; ")), " ")
	if len(msg) > 300 {
		msg = msg[:300] + " …"
	}
	name := filepath.Base(e.Command.Name)
	if msg == "" {
		return fmt.Sprintf("%s: %v", name, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", name, e.Err, msg)
}

func (e *CommandError) Unwrap() error { return e.Err }

// output returns everything the command printed.
func (e *CommandError) output() string { return string(e.Stdout) + string(e.Stderr) }
