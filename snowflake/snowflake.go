// SPDX-License-Identifier: GPL-3.0-or-later

// Package snowflake runs a Snowflake proxy (the snowflake-proxy program)
// for Polaris: people in censored countries reach Tor through it. The
// process is Polaris's own: started with it, restarted when it crashes,
// stopped with it, and killed by the system if Polaris dies.
package snowflake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotInstalled is returned by New when the snowflake-proxy program is
// not on this computer.
var ErrNotInstalled = errors.New("the snowflake-proxy program is not installed")

// DefaultBinary is the program run when Config.Binary is "".
const DefaultBinary = "snowflake-proxy"

// Config configures a proxy. The zero value runs snowflake-proxy from PATH
// against the Tor Project's broker with no limit on clients.
type Config struct {
	// Binary is the snowflake-proxy executable; "" finds it on PATH.
	Binary string
	// Capacity is the most people served at once (snowflake-proxy's
	// -capacity); 0 is the program's default, no limit. snowflake-proxy
	// has no bandwidth limit of its own: this is the knob that bounds it.
	Capacity int
	// Broker, STUN and Relay are the broker URL, the STUN URL and the
	// default relay's WebSocket URL; "" keeps the program's defaults (the
	// Tor Project's servers).
	Broker, STUN, Relay string
	// RelayPattern is the pattern relay host names must match ("" keeps
	// the program's default); AllowNonTLSRelay lets it use ws:// relays.
	// Both are for tests with a stand-in broker.
	RelayPattern     string
	AllowNonTLSRelay bool
	// SummaryInterval is how often the program reports how many people it
	// served; 0 is DefaultSummaryInterval.
	SummaryInterval time.Duration
	// Log receives the program's output as it comes (nil: discarded);
	// LogLine, if set, gets it line by line.
	Log     io.Writer
	LogLine func(line string)
	// MinBackoff and MaxBackoff bound the wait before a restart after a
	// crash (doubling each time; 0: 1 s and 1 min).
	MinBackoff, MaxBackoff time.Duration
	// OnChange, if set, is called (from the proxy's goroutine) after each
	// change of Status.
	OnChange func(Status)
}

// DefaultSummaryInterval is how often the program reports by default.
const DefaultSummaryInterval = 10 * time.Minute

// State is what the proxy is doing.
type State string

// States.
const (
	Off        State = "off"
	Running    State = "running"
	Restarting State = "restarting" // it stopped on its own; waiting to start it again
	Failed     State = "failed"     // it cannot be started
)

// Status is a proxy's state, as a plain value.
type Status struct {
	State State
	// PID is the running program's process id (0 when none).
	PID int
	// Restarts counts the times it was started again after it stopped on
	// its own.
	Restarts int
	// Helped is the number of people's connections it carried, from its
	// summaries, since Start (one person connecting twice counts twice).
	Helped int
	// Err says why it last stopped or could not start ("" when none).
	Err string
}

// Proxy is a supervised snowflake-proxy process.
type Proxy struct {
	cfg  Config
	bin  string
	args []string

	mu     sync.Mutex
	st     Status
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks cfg and finds the program; it starts nothing.
func New(cfg Config) (*Proxy, error) {
	if cfg.Capacity < 0 {
		return nil, fmt.Errorf("capacity %d: want 0 or more", cfg.Capacity)
	}
	for _, u := range []struct{ name, v string }{{"broker", cfg.Broker}, {"relay", cfg.Relay}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || p.Host == "" {
			return nil, fmt.Errorf("%s URL %q: want an absolute URL", u.name, u.v)
		}
	}
	if cfg.STUN != "" && !strings.HasPrefix(cfg.STUN, "stun:") && !strings.HasPrefix(cfg.STUN, "stuns:") {
		return nil, fmt.Errorf("STUN URL %q: want stun:HOST:PORT", cfg.STUN)
	}
	if cfg.SummaryInterval <= 0 {
		cfg.SummaryInterval = DefaultSummaryInterval
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(time.Minute, cfg.MinBackoff)
	}
	bin := cfg.Binary
	if bin == "" {
		bin = DefaultBinary
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrNotInstalled, bin)
	}
	p := &Proxy{cfg: cfg, bin: path, st: Status{State: Off}}
	p.args = p.buildArgs()
	return p, nil
}

func (p *Proxy) buildArgs() []string {
	c := p.cfg
	args := []string{"-summary-interval", c.SummaryInterval.String()}
	if c.Capacity > 0 {
		args = append(args, "-capacity", strconv.Itoa(c.Capacity))
	}
	if c.Broker != "" {
		args = append(args, "-broker", c.Broker)
	}
	if c.STUN != "" {
		args = append(args, "-stun", c.STUN)
	}
	if c.Relay != "" {
		args = append(args, "-relay", c.Relay)
	}
	if c.RelayPattern != "" {
		args = append(args, "-allowed-relay-hostname-pattern", c.RelayPattern)
	}
	if c.AllowNonTLSRelay {
		args = append(args, "-allow-non-tls-relay")
	}
	return args
}

// Args returns the program's command line arguments (for logs and tests).
func (p *Proxy) Args() []string { return append([]string(nil), p.args...) }

// Start starts the program and keeps it running until ctx ends or
// Shutdown. It returns once the first start was tried: an error when the
// program could not be started at all.
func (p *Proxy) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.done != nil {
		p.mu.Unlock()
		return errors.New("snowflake proxy already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	p.done = make(chan struct{})
	p.mu.Unlock()
	first := make(chan error, 1)
	go p.supervise(ctx, first)
	return <-first
}

// Shutdown stops the program (its whole process group) and waits for it.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping the snowflake proxy: %w", ctx.Err())
	}
}

// Status returns the proxy's state now.
func (p *Proxy) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

func (p *Proxy) update(f func(*Status)) {
	p.mu.Lock()
	f(&p.st)
	st := p.st
	p.mu.Unlock()
	if p.cfg.OnChange != nil {
		p.cfg.OnChange(st)
	}
}

// healthyRun is how long the program must have run for a crash to count
// as a new one: the backoff starts again from MinBackoff.
const healthyRun = 30 * time.Second

// supervise runs the program, again after each exit, until ctx ends. It
// keeps its OS thread: the kernel signals the child (Pdeathsig) when the
// thread that started it ends, and this thread ends only with Polaris or
// after the child was stopped.
func (p *Proxy) supervise(ctx context.Context, first chan<- error) {
	runtime.LockOSThread() // never unlocked: see above
	defer close(p.done)
	defer func() {
		if r := recover(); r != nil {
			p.update(func(s *Status) { s.State, s.PID, s.Err = Failed, 0, fmt.Sprint("snowflake proxy supervisor: ", r) })
		}
	}()
	backoff := p.cfg.MinBackoff
	for n := 0; ; n++ {
		started := time.Now()
		err := p.runOnce(ctx, first)
		if n == 0 && p.Status().State == Failed {
			return // it could not be started at all: Start returned the error
		}
		first = nil
		if ctx.Err() != nil {
			p.update(func(s *Status) { s.State, s.PID = Off, 0 })
			return
		}
		if time.Since(started) >= healthyRun {
			backoff = p.cfg.MinBackoff
		}
		msg := "the snowflake proxy stopped"
		if err != nil {
			msg = err.Error()
		}
		p.update(func(s *Status) { s.State, s.PID, s.Err = Restarting, 0, msg })
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			p.update(func(s *Status) { s.State = Off })
			return
		case <-t.C:
		}
		backoff = min(2*backoff, p.cfg.MaxBackoff)
		p.update(func(s *Status) { s.Restarts++ })
	}
}

// runOnce starts the program and waits for it to exit or for ctx to end
// (then it stops it). first, if not nil, receives the start's result.
func (p *Proxy) runOnce(ctx context.Context, first chan<- error) error {
	lines := &lineWriter{out: p.cfg.Log, line: p.onLine}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = lines, lines
	cmd.WaitDelay = 2 * time.Second
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		err = fmt.Errorf("starting %s: %w", p.bin, err)
		if first != nil {
			p.update(func(s *Status) { s.State, s.Err = Failed, err.Error() })
			first <- err
		}
		return err
	}
	p.update(func(s *Status) { s.State, s.PID, s.Err = Running, cmd.Process.Pid, "" })
	if first != nil {
		first <- nil
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		lines.flush()
		if err == nil {
			return errors.New("the snowflake proxy exited")
		}
		return fmt.Errorf("the snowflake proxy stopped: %w%s", err, lines.lastLine())
	case <-ctx.Done():
		stop(cmd, exited)
		lines.flush()
		return nil
	}
}

// stopGrace is how long the program has to exit after SIGTERM.
const stopGrace = 3 * time.Second

func (p *Proxy) onLine(line string) {
	if p.cfg.LogLine != nil {
		p.cfg.LogLine(line)
	}
	if s, ok := ParseSummary(line); ok && s.Connections > 0 {
		p.update(func(st *Status) { st.Helped += s.Connections })
	}
}

// lineWriter splits the program's output into lines, passing each to
// line and to out.
type lineWriter struct {
	mu   sync.Mutex
	out  io.Writer
	line func(string)
	buf  []byte
	last string
}

// maxLine bounds a line kept in memory: longer output is cut.
const maxLine = 64 << 10

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.out != nil {
		w.out.Write(b) // a failing log must not stop the proxy
	}
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) > maxLine {
				w.emit(string(w.buf))
				w.buf = w.buf[:0]
			}
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

func (w *lineWriter) emit(s string) {
	s = strings.TrimRight(s, "\r")
	if strings.TrimSpace(s) != "" {
		w.last = s
	}
	w.line(s)
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

func (w *lineWriter) lastLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == "" {
		return ""
	}
	return " (" + w.last + ")"
}
