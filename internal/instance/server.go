// SPDX-License-Identifier: GPL-3.0-or-later

package instance

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"polaris/internal/status"
)

// Handler is what the running Polaris answers with (internal/app). Its
// methods are called one request at a time, on the server's goroutine.
type Handler interface {
	// Show brings the window forward; false when there is none.
	Show() bool
	// Tor returns the status of Polaris's Tor.
	Tor() status.Tor
	// NewIdentity asks Tor for new circuits.
	NewIdentity(ctx context.Context) error
	// NewCircuit gives one site (a URL or host name) new Tor circuits and
	// returns the site it acted on.
	NewCircuit(ctx context.Context, site string) (string, error)
	// Circuit returns the Tor circuit used for site.
	Circuit(ctx context.Context, site string) (status.Circuit, error)
	// Pause pauses blocking for d (d < 0: until Polaris restarts) and
	// returns the blocking status after the change.
	Pause(d time.Duration) (status.Blocking, error)
	// Resume ends a pause and returns the blocking status after it.
	Resume() (status.Blocking, error)
	// Changed says another process may have changed the database.
	Changed()
	// Snowflake returns the status of the "give back" Snowflake proxy.
	Snowflake() status.Snowflake
}

// Server answers the instance protocol while Polaris runs.
type Server struct {
	ln      net.Listener
	cleanup func()
	done    chan struct{}
}

// Serve starts the endpoint of dataDir, answering with h. The caller holds
// the instance lock (so an endpoint left there is stale, and replaced).
// Without an endpoint a second start reports "already running" instead of
// showing the window: the error says why there is none.
func Serve(dataDir string, h Handler, logf func(string, ...any)) (*Server, error) {
	ln, check, cleanup, err := listen(dataDir)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, cleanup: cleanup, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed
			}
			handle(conn, check, h, logf)
		}
	}()
	return s, nil
}

// Close stops answering and removes the endpoint. A nil Server does
// nothing.
func (s *Server) Close() {
	if s == nil {
		return
	}
	s.ln.Close()
	<-s.done
	if s.cleanup != nil {
		s.cleanup()
	}
}

// handle answers one client; requests are rare and tiny, so they are
// handled one at a time.
func handle(conn net.Conn, check func(line string) (string, bool), h Handler, logf func(string, ...any)) {
	defer func() {
		if r := recover(); r != nil {
			logf("instance request: %v", r)
		}
		conn.Close()
	}()
	conn.SetDeadline(time.Now().Add(dialTimeout))
	line, err := bufio.NewReader(io.LimitReader(conn, 512)).ReadString('\n')
	if err != nil {
		return
	}
	req, ok := check(strings.TrimSpace(line))
	if !ok {
		return
	}
	conn.SetDeadline(time.Now().Add(requestTimeout))
	io.WriteString(conn, answer(h, req)+"\n")
}

// answer executes one request.
func answer(h Handler, req string) string {
	verb, arg, _ := strings.Cut(req, " ")
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout-time.Second)
	defer cancel()
	switch verb {
	case VerbShow:
		if h.Show() {
			return answerOK
		}
		return answerHeadless
	case VerbTor:
		return encode(h.Tor(), nil)
	case VerbNewnym:
		return encode(nil, h.NewIdentity(ctx))
	case VerbNewCircuit:
		return encode(h.NewCircuit(ctx, arg))
	case VerbCircuit:
		return encode(h.Circuit(ctx, arg))
	case VerbPause:
		d, err := time.ParseDuration(arg)
		if err != nil {
			return encode(nil, fmt.Errorf("bad pause %q", arg))
		}
		if d < 0 {
			d = -1 // until restart
		}
		return encode(h.Pause(d))
	case VerbResume:
		return encode(h.Resume())
	case VerbChanged:
		h.Changed()
		return answerOK
	case VerbSnowflake:
		return encode(h.Snowflake(), nil)
	}
	return answerError + " unknown request"
}

// encode is the answer line for a result.
func encode(v any, err error) string {
	if err != nil {
		return answerError + " " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	if v == nil {
		return answerOK
	}
	b, _ := json.Marshal(v)
	return answerOK + " " + string(b)
}
