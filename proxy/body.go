// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// Slow request bodies. The request line and headers are bounded by
// ReadHeaderTimeout; a body is read as the upstream takes it, so it may
// take as long as it moves. What is bounded is the time Polaris waits for
// the client's bytes (not the time the upstream takes them): BodyTimeout
// to begin with, plus one second for every BodyMinRate bytes received, and
// never more than bodyMaxStall in one wait. An upload that keeps coming at
// a modem's pace or better survives; one that stalls, or trickles a byte at
// a time to hold a connection open, is cut (with Apache's mod_reqtimeout
// defaults: 20 s, then 500 bytes a second).

// Defaults of the body bound.
const (
	DefaultBodyTimeout = 20 * time.Second
	// BodyMinRate is the pace (bytes per second) that earns an upload more
	// time.
	BodyMinRate = 500
	// bodyMaxStall bounds one wait for the client's next bytes, whatever
	// credit earlier bytes earned.
	bodyMaxStall = 60 * time.Second
)

// errSlowBody ends a request whose body came too slowly.
var errSlowBody = errors.New("proxy: the request body came too slowly")

// boundBody wraps r's body (if any) so that reading it waits for the
// client only as long as the rules above allow. The caller must call
// finish on the result (if not nil) when its handler returns: the upstream
// may still be reading the body then (an answer came before the whole
// upload), and the connection is no longer the handler's to change.
func (p *Proxy) boundBody(w http.ResponseWriter, r *http.Request) *boundedBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b := &boundedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), base: p.cfg.BodyTimeout}
	r.Body = b
	return b
}

type boundedBody struct {
	io.ReadCloser
	base   time.Duration
	got    int64         // bytes received
	waited time.Duration // time spent waiting for them
	done   bool

	mu       sync.Mutex
	rc       *http.ResponseController
	finished bool // the handler returned: rc may not be used
}

// finish tells b its handler has returned.
func (b *boundedBody) finish() {
	b.mu.Lock()
	b.finished = true
	b.mu.Unlock()
}

// setDeadline sets the connection's read deadline while the handler runs.
func (b *boundedBody) setDeadline(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.finished {
		b.rc.SetReadDeadline(t)
	}
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	allow := b.base + time.Duration(b.got)*time.Second/BodyMinRate - b.waited
	allow = min(allow, bodyMaxStall)
	if allow <= 0 {
		return 0, b.cut()
	}
	start := time.Now()
	b.setDeadline(start.Add(allow))
	n, err := b.ReadCloser.Read(p)
	b.waited += time.Since(start)
	b.got += int64(n)
	var ne interface{ Timeout() bool }
	switch {
	case err == nil:
	case errors.As(err, &ne) && ne.Timeout():
		return n, b.cut()
	default:
		// The end of the body: the connection's reads are the server's
		// again.
		b.done = true
		b.setDeadline(time.Time{})
	}
	return n, err
}

// cut gives up on the body: the connection's reads stay timed out, so the
// server does not wait for the rest of it either, and closes the
// connection once the answer is written.
func (b *boundedBody) cut() error {
	b.setDeadline(time.Now().Add(-time.Second))
	return errSlowBody
}
