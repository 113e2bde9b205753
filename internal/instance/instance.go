// SPDX-License-Identifier: GPL-3.0-or-later

// Package instance keeps one Polaris per data dir: an OS lock on a file of
// the data dir, held while Polaris runs, and a private local endpoint next
// to it (a Unix socket, or loopback TCP with a token file on Windows) on
// which the running Polaris answers the few requests only it can answer.
//
// The protocol is one request line (preceded by the token on Windows) and
// one answer line:
//
//	show            -> "ok" when a window was shown, "headless" without one
//	tor             -> "ok <JSON status.Tor>"
//	newnym          -> "ok" or "error <message>"
//	circuit SITE    -> "ok <JSON status.Circuit>" or "error <message>"
//	pause D, resume -> "ok <JSON status.Blocking>" or "error <message>"
//	changed         -> "ok": the database may have changed, look now
//
// A second start sends "show" instead of fighting over the port; the
// command line asks the running Polaris about its Tor and its pause, and
// tells it when it changed the database.
package instance

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"polaris/internal/status"
)

// The verbs of the protocol: one set, for the server and its clients.
const (
	VerbShow       = "show"
	VerbTor        = "tor"
	VerbNewnym     = "newnym"
	VerbCircuit    = "circuit"
	VerbNewCircuit = "newcircuit"
	VerbPause      = "pause"
	VerbResume     = "resume"
	VerbChanged    = "changed"
	VerbSnowflake  = "snowflake"
)

// The answers' first words.
const (
	answerOK       = "ok"
	answerHeadless = "headless"
	answerError    = "error"
)

// Timeouts.
const (
	// dialTimeout bounds connecting, and a show request.
	dialTimeout = 2 * time.Second
	// requestTimeout bounds requests that talk to Tor.
	requestTimeout = 20 * time.Second
	// changedTimeout bounds telling the running instance to look at the
	// database: it answers once it applied the change (it waits at most
	// 400 ms for that), and its watcher finds the change within its tick
	// regardless.
	changedTimeout = 500 * time.Millisecond
)

// ErrNoInstance is returned (wrapped) when no Polaris runs on the data dir.
var ErrNoInstance = errors.New("no Polaris is running with this data dir")

// ErrHeadless is returned by SignalShow when the running Polaris has no
// window (it was started with `polaris run`).
var ErrHeadless = errors.New("Polaris is already running with this data dir, without a window (polaris run)")

// SignalShow asks the Polaris running on dataDir to show its window. It
// returns nil when the window was shown, ErrHeadless when that instance has
// no window, and an error matching ErrNoInstance when nothing answers.
func SignalShow(dataDir string) error {
	answer, err := request(dataDir, VerbShow, dialTimeout)
	if err != nil {
		return err
	}
	switch answer {
	case answerOK:
		return nil
	case answerHeadless:
		return ErrHeadless
	}
	return fmt.Errorf("%w: unexpected answer %q", ErrNoInstance, answer)
}

// Notify tells the Polaris running on dataDir, if any, to look at the
// database now instead of at its watcher's next tick, so a change made by
// another process (the command line) takes effect at once. It returns nil
// when none runs.
func Notify(dataDir string) error {
	if _, err := request(dataDir, VerbChanged, changedTimeout); err != nil && !errors.Is(err, ErrNoInstance) {
		return err
	}
	return nil
}

// Client asks the Polaris running on a data dir. Its methods return an
// error matching ErrNoInstance when none runs there.
type Client struct {
	// Dir is the data dir of the running Polaris to ask.
	Dir string
}

// RunningTor returns the running Polaris's Tor status.
func (c Client) RunningTor() (status.Tor, error) {
	var st status.Tor
	return st, c.ask(VerbTor, &st)
}

// RunningNewIdentity asks the running Polaris's Tor for new circuits.
func (c Client) RunningNewIdentity() error { return c.ask(VerbNewnym, nil) }

// RunningNewCircuit asks the running Polaris's Tor for new circuits for
// one site (a URL or host name) and returns the site it acted on.
func (c Client) RunningNewCircuit(site string) (string, error) {
	var done string
	return done, c.ask(VerbNewCircuit+" "+site, &done)
}

// RunningCircuit returns the Tor circuit the running Polaris uses for site.
func (c Client) RunningCircuit(site string) (status.Circuit, error) {
	var circ status.Circuit
	return circ, c.ask(VerbCircuit+" "+site, &circ)
}

// RunningPause pauses blocking in the running Polaris for d (d < 0: until
// it restarts) and returns its blocking status.
func (c Client) RunningPause(d time.Duration) (status.Blocking, error) {
	var st status.Blocking
	return st, c.ask(fmt.Sprintf("%s %s", VerbPause, d), &st)
}

// RunningResume ends a pause in the running Polaris and returns its
// blocking status.
func (c Client) RunningResume() (status.Blocking, error) {
	var st status.Blocking
	return st, c.ask(VerbResume, &st)
}

// ask sends a request and decodes an answer's JSON into v (which may be
// nil).
func (c Client) ask(req string, v any) error {
	answer, err := request(c.Dir, req, requestTimeout)
	if err != nil {
		return err
	}
	word, rest, _ := strings.Cut(answer, " ")
	switch word {
	case answerOK:
		if v != nil && rest != "" {
			return json.Unmarshal([]byte(rest), v)
		}
		return nil
	case answerError:
		return errors.New(rest)
	}
	return fmt.Errorf("unexpected answer %q", answer)
}

// request sends one request to the Polaris running on dataDir and returns
// its answer line.
func request(dataDir, req string, timeout time.Duration) (string, error) {
	conn, prefix, err := dial(dataDir)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoInstance, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, prefix+req+"\n"); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoInstance, err)
	}
	line, err := bufio.NewReader(io.LimitReader(conn, 1<<20)).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("%w: no answer: %v", ErrNoInstance, err)
	}
	return strings.TrimSpace(line), nil
}
