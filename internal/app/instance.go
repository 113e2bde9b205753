package app

import (
	"bufio"
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
// The protocol is one line each way: the client sends "show" (plus the
// token on Windows), the server answers "ok" when a window was shown, or
// "headless" when this instance has no window.

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
	conn, greeting, err := dialInstance(dataDir)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoInstance, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(instanceTimeout))
	if _, err := io.WriteString(conn, greeting+"\n"); err != nil {
		return fmt.Errorf("%w: %v", ErrNoInstance, err)
	}
	line, err := bufio.NewReader(io.LimitReader(conn, 64)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("%w: no answer: %v", ErrNoInstance, err)
	}
	switch strings.TrimSpace(line) {
	case instanceOK:
		return nil
	case instanceHeadless:
		return ErrHeadless
	}
	return fmt.Errorf("%w: unexpected answer %q", ErrNoInstance, line)
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
func (a *App) handleInstance(conn net.Conn, check func(line string) bool) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Printf("instance request: %v", r)
		}
		conn.Close()
	}()
	conn.SetDeadline(time.Now().Add(instanceTimeout))
	line, err := bufio.NewReader(io.LimitReader(conn, 256)).ReadString('\n')
	if err != nil || !check(strings.TrimSpace(line)) {
		return
	}
	answer := instanceHeadless
	if a.showRequested() {
		answer = instanceOK
	}
	io.WriteString(conn, answer+"\n")
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
