// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// One Polaris per data dir: the running instance listens on a private
// local endpoint next to its lock (a Unix socket, or loopback TCP with a
// token file on Windows). A second start sends "show" there instead of
// fighting over the port; the running instance brings its window forward.
//
// The protocol is one request line (preceded by the token on Windows) and
// one answer line:
//
//	show           -> "ok" when a window was shown, "headless" without one
//	tor            -> "ok <JSON status.Tor>"
//	newnym         -> "ok" or "error <message>"
//	circuit SITE   -> "ok <JSON status.Circuit>" or "error <message>"
//	pause D, resume -> "ok <JSON status.Blocking>" or "error <message>"
//	changed        -> "ok": the database may have changed, look now
//
// The CLI uses it for what only the running instance knows (its Tor).

// ErrNoInstance is returned by SignalShow when no Polaris runs on the data dir.
var ErrNoInstance = errors.New("no Polaris is running with this data dir")

// ErrHeadless is returned by SignalShow when the running Polaris has no
// window (it was started with `polaris run`).
var ErrHeadless = errors.New("Polaris is already running with this data dir, without a window (polaris run)")

const (
	instanceShow     = "show"
	instanceOK       = "ok"
	instanceHeadless = "headless"
	instanceTimeout  = 2 * time.Second
	instanceChanged  = "changed"
	// changedTimeout bounds telling the running instance to look at the
	// database: it answers at once unless busy with a slow Tor request,
	// and its watcher finds the change within WatchInterval regardless.
	changedTimeout = 500 * time.Millisecond
)

// showHook holds the function the window registers to be told "show".
type showHook struct {
	mu sync.Mutex
	f  func()
}

// OnShowRequest registers f to be called (on a background goroutine) when
// another start of Polaris on the same data dir asks this one to show its
// window. nil unregisters it: the instance then answers that it is headless.
func (a *App) OnShowRequest(f func()) {
	a.show.mu.Lock()
	a.show.f = f
	a.show.mu.Unlock()
}

func (a *App) showRequested() bool {
	a.show.mu.Lock()
	f := a.show.f
	a.show.mu.Unlock()
	if f == nil {
		return false
	}
	f()
	return true
}

// SignalShow asks the Polaris running on dataDir to show its window. It
// returns nil when the window was shown, ErrHeadless when that instance has
// no window, and an error matching ErrNoInstance when nothing answers.
func SignalShow(dataDir string) error {
	answer, err := instanceRequest(dataDir, instanceShow, instanceTimeout)
	if err != nil {
		return err
	}
	switch answer {
	case instanceOK:
		return nil
	case instanceHeadless:
		return ErrHeadless
	}
	return fmt.Errorf("%w: unexpected answer %q", ErrNoInstance, answer)
}

// instanceRequest sends one request to the Polaris running on dataDir and
// returns its answer line.
func instanceRequest(dataDir, req string, timeout time.Duration) (string, error) {
	conn, prefix, err := dialInstance(dataDir)
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

// instanceServer answers show requests while Run holds the instance lock.
type instanceServer struct {
	ln      net.Listener
	cleanup func()
	done    chan struct{}
}

// serveInstance starts the instance endpoint. It never fails Run: without
// an endpoint a second start reports "already running" instead.
func (a *App) serveInstance() *instanceServer {
	ln, check, cleanup, err := listenInstance(a.opts.DataDir)
	if err != nil {
		a.log.Printf("a second start will not be able to bring this window forward: %v", err)
		return nil
	}
	s := &instanceServer{ln: ln, cleanup: cleanup, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed
			}
			a.handleInstance(conn, check)
		}
	}()
	return s
}

// handleInstance answers one client; requests are rare and tiny, so they
// are handled one at a time.
func (a *App) handleInstance(conn net.Conn, check func(line string) (string, bool)) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Printf("instance request: %v", r)
		}
		conn.Close()
	}()
	conn.SetDeadline(time.Now().Add(instanceTimeout))
	line, err := bufio.NewReader(io.LimitReader(conn, 512)).ReadString('\n')
	if err != nil {
		return
	}
	req, ok := check(strings.TrimSpace(line))
	if !ok {
		return
	}
	conn.SetDeadline(time.Now().Add(instanceRequestTimeout))
	io.WriteString(conn, a.answerInstance(req)+"\n")
}

// instanceRequestTimeout bounds requests that talk to Tor.
const instanceRequestTimeout = 20 * time.Second

// answerInstance executes one request of the instance protocol.
func (a *App) answerInstance(req string) string {
	verb, arg, _ := strings.Cut(req, " ")
	ctx, cancel := context.WithTimeout(context.Background(), instanceRequestTimeout-time.Second)
	defer cancel()
	answer := func(v any, err error) string {
		if err != nil {
			return "error " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		if v == nil {
			return instanceOK
		}
		b, _ := json.Marshal(v)
		return instanceOK + " " + string(b)
	}
	switch verb {
	case instanceShow:
		if a.showRequested() {
			return instanceOK
		}
		return instanceHeadless
	case "tor":
		return answer(a.Snapshot().Tor, nil)
	case "newnym":
		return answer(nil, a.NewIdentity(ctx))
	case "circuit":
		return answer(a.Circuit(ctx, arg))
	case "pause":
		d, err := time.ParseDuration(arg)
		if err != nil {
			return answer(nil, fmt.Errorf("bad pause %q", arg))
		}
		if d < 0 {
			d = -1 // until restart
		}
		if err := a.Pause(d); err != nil {
			return answer(nil, err)
		}
		return answer(a.Snapshot().Blocking, nil)
	case "resume":
		a.Resume()
		return answer(a.Snapshot().Blocking, nil)
	case instanceChanged:
		a.wakeWatcher()
		return instanceOK
	}
	return "error unknown request"
}

// AskRunning sends a request of the instance protocol to the Polaris
// running on this data dir and decodes an answer's JSON into v (which may
// be nil). It returns ErrNoInstance (wrapped) when nothing runs there.
func (a *App) AskRunning(req string, v any) error {
	answer, err := instanceRequest(a.opts.DataDir, req, instanceRequestTimeout)
	if err != nil {
		return err
	}
	status, rest, _ := strings.Cut(answer, " ")
	switch status {
	case instanceOK:
		if v != nil && rest != "" {
			return json.Unmarshal([]byte(rest), v)
		}
		return nil
	case "error":
		return errors.New(rest)
	}
	return fmt.Errorf("unexpected answer %q", answer)
}

// tellRunning asks the Polaris running on this data dir, if any, to look
// at the database now instead of at its watcher's next tick, so a change
// made here (the CLI's config set, lists add, ...) takes effect at once.
// Nothing happens when none runs.
func (a *App) tellRunning() {
	if _, err := instanceRequest(a.opts.DataDir, instanceChanged, changedTimeout); err != nil && !errors.Is(err, ErrNoInstance) {
		a.log.Printf("telling the running Polaris about the change: %v", err)
	}
}

func (s *instanceServer) close() {
	if s == nil {
		return
	}
	s.ln.Close()
	<-s.done
	if s.cleanup != nil {
		s.cleanup()
	}
}
