// SPDX-License-Identifier: GPL-3.0-or-later

// Package tor runs and controls Polaris's own Tor client, on top of
// github.com/cretz/bine: it starts a private tor process (never the
// system's), reports bootstrap progress and failures in plain words, restarts
// a tor that died, and dials through it by host name with per-site circuit
// isolation. No bine type appears in its API.
//
// Use: New(cfg), Start(ctx), then DialContext for every upstream connection
// while Status().State is ready (DialContext fails with ErrNotReady
// otherwise: it never connects directly), and Shutdown(ctx) at the end.
//
// The tor program is the one from the Debian package "tor" (0.4.8 or newer)
// found on PATH, or the one at Config.Binary (e.g. a tor shipped inside a
// desktop package). It runs with Polaris's own torrc only (an empty
// --defaults-torrc, never /etc/tor), its control port on 127.0.0.1 with
// cookie authentication, its SOCKS port on 127.0.0.1 at a free port, and
// is owned by Polaris (TAKEOWNERSHIP and __OwningControllerProcess): it
// exits when Polaris does, even after a crash.
package tor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// Config configures a Client. The zero value is valid: tor from PATH, a
// temporary data directory, no bridges, no isolation.
type Config struct {
	// Binary is the tor executable; "" finds "tor" on PATH.
	Binary string
	// DataDir is tor's data directory (Polaris passes <datadir>/tor). It is
	// kept between runs so that later starts bootstrap fast. "" uses a
	// temporary directory removed by Shutdown. Only one Client may use a
	// DataDir at a time.
	DataDir string
	// ExtraTorrc is the path of a file of torrc lines appended to Polaris's
	// own, or "".
	ExtraTorrc string
	// Bridges chooses how tor reaches the network ("" is BridgesNone).
	Bridges settings.BridgeMode
	// BridgeLines are the user's bridge lines, used with BridgesCustom.
	BridgeLines []string
	// ExitCountries restricts exits to these two-letter country codes.
	ExitCountries []string
	// Isolate gives each isolation key passed to DialContext (the
	// first-party site) its own circuits.
	Isolate bool
	// OnStatus, if not nil, is called with the new status after every
	// change, in order, from a goroutine of the Client, never while it holds
	// a lock. It must not block for long (later changes wait for it) and
	// must not call Shutdown (which waits for the last call to return).
	OnStatus func(status.Tor)
	// Log receives tor's own output (notice level and above). nil discards
	// it. It is never the parent's stdout unless the caller passes that.
	Log io.Writer
	// RestartBackoff is the wait before restarting a tor that died; it
	// doubles after each quick failure up to MaxRestartBackoff. Zero
	// values mean 1 s and 1 min.
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration
}

// Errors returned by Client methods.
var (
	// ErrNotReady is returned (wrapped, with the reason) by DialContext,
	// NewIdentity and Circuit while Tor is not connected: starting,
	// bootstrapping, restarting, failed or stopped. Nothing was sent.
	ErrNotReady = errors.New("tor is not connected")
	// ErrRateLimited is matched (errors.Is) by a *RateLimitError.
	ErrRateLimited = errors.New("tor rate-limits new identities")
	// ErrNoCircuit is returned by Circuit when no stream has been opened
	// for the site yet.
	ErrNoCircuit = errors.New("no Tor circuit for this site yet")
	// ErrClosed is returned by Start after Shutdown, or when started twice.
	ErrClosed = errors.New("tor client already started or shut down")
)

// RateLimitError is returned by NewIdentity when Tor will not switch
// identity yet: Tor allows one new identity every 10 seconds.
type RateLimitError struct {
	// Wait is how long until a new identity is possible.
	Wait time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("Tor allows a new identity only every 10 seconds: try again in %d s", int((e.Wait+time.Second-1)/time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// newnymInterval is tor's MAX_SIGNAL_NEWNYM_INTERVAL.
const newnymInterval = 10 * time.Second

// Client is Polaris's Tor client. Its methods are safe for concurrent use.
// A Client is started once and shut down once; to change its Config, shut
// it down and start a new one on the same DataDir.
type Client struct {
	cfg     Config
	notify  *notifier
	ready   atomic.Pointer[instance] // the current instance while bootstrapped
	tempDir string                   // DataDir we created, removed by Shutdown

	mu      sync.Mutex
	st      status.Tor
	started bool
	closed  bool
	inst    *instance // current tor, nil while down
	version []int     // of cfg.Binary, checked once
	lastNym time.Time // last NEWNYM tor applied
	// nonces counts each isolation key's NewCircuit calls: it is part of
	// the key's SOCKS password, so a new count never shares a circuit with
	// streams of an earlier one. Grown only by the user's requests; reset by
	// NewIdentity, which makes every circuit new anyway.
	nonces  map[string]uint64
	stopSup context.CancelFunc
	supDone chan struct{}
	// stuckAfter is how long bootstrap may stand still with problems
	// before they are shown.
	stuckAfter time.Duration
	// stallAfter is how long bootstrap may stand still in one phase, with
	// or without problems, before the status says what tor waits for.
	stallAfter time.Duration
}

// New checks cfg and returns a stopped Client. It starts nothing.
func New(cfg Config) (*Client, error) {
	cfg.BridgeLines = slices.Clone(cfg.BridgeLines)
	cfg.ExitCountries = slices.Clone(cfg.ExitCountries)
	if _, err := bridgeLines(cfg.Bridges, cfg.BridgeLines); err != nil {
		return nil, fmt.Errorf("tor bridges: %w", err)
	}
	if _, err := exitNodes(cfg.ExitCountries); err != nil {
		return nil, fmt.Errorf("tor exit countries: %w", err)
	}
	if cfg.RestartBackoff <= 0 {
		cfg.RestartBackoff = time.Second
	}
	if cfg.MaxRestartBackoff < cfg.RestartBackoff {
		cfg.MaxRestartBackoff = max(time.Minute, cfg.RestartBackoff)
	}
	if cfg.Log != nil {
		cfg.Log = &lockedWriter{w: cfg.Log} // tor's output and our own notes
	}
	c := &Client{cfg: cfg, st: status.Tor{State: status.TorOff}, stuckAfter: 10 * time.Second,
		stallAfter: 30 * time.Second}
	c.notify = newNotifier(cfg.OnStatus, cfg.Log)
	return c, nil
}

// Start launches tor and returns once it runs and has been told to connect;
// bootstrapping continues in the background, reported through Status and
// OnStatus. ctx bounds the launch only, not tor's life.
//
// Start returns an error only when tor cannot run until the user changes
// something (a *StartError: tor missing or too old, a configuration tor
// rejects, a bridge program missing), or ErrClosed. Any other trouble is
// retried in the background and reported in Status().Err. After an error,
// Shutdown is still safe to call.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.started || c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.started = true
	supCtx, cancel := context.WithCancel(context.Background())
	c.stopSup, c.supDone = cancel, make(chan struct{})
	c.mu.Unlock()
	c.update(func(st *status.Tor) {
		*st = status.Tor{Enabled: true, State: status.TorStarting, Phase: "Starting Tor"}
	})
	if c.cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "polaris-tor-")
		if err != nil {
			close(c.supDone)
			c.fail(fmt.Sprintf("Tor cannot create its data folder: %v.", err))
			return permanent("creating tor data directory", err)
		}
		c.tempDir = dir
	}
	launchCtx, stop := mergeCancel(ctx, supCtx)
	inst, err := c.launch(launchCtx)
	stop()
	var se *StartError
	if errors.As(err, &se) && se.Permanent {
		close(c.supDone)
		c.fail(se.Msg)
		return err
	}
	if err == nil {
		c.setInstance(inst)
	}
	go c.supervise(supCtx, inst, err)
	return nil
}

// mergeCancel returns a context done when a or b is.
func mergeCancel(a, b context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	return ctx, func() { stop(); cancel() }
}

// supervise is the watchdog: it waits for the current tor to die and starts
// a new one after a backoff, until ctx is cancelled by Shutdown.
func (c *Client) supervise(ctx context.Context, inst *instance, err error) {
	defer close(c.supDone)
	defer func() {
		if r := recover(); r != nil {
			c.logf("polaris/tor: watchdog panicked: %v\n%s", r, debug.Stack())
			c.fail(fmt.Sprintf("Polaris's Tor watchdog stopped on an internal error (%v). Turn Tor off and on again.", r))
		}
	}()
	backoff := c.cfg.RestartBackoff
	for {
		if err == nil {
			c.setInstance(inst)
			select {
			case <-ctx.Done():
				return // Shutdown stops inst
			case <-inst.exited:
			}
			c.clearInstance(inst)
			if time.Since(inst.started) >= time.Minute {
				backoff = c.cfg.RestartBackoff
			}
			why := inst.exitReason()
			if l := lastMatching(inst.out.String(), "[err]"); l != "" {
				why += ": " + l
			}
			c.down(fmt.Sprintf("Tor stopped unexpectedly (%s); restarting it.", why))
		} else {
			if ctx.Err() != nil {
				return // Shutdown aborted the launch
			}
			var se *StartError
			if errors.As(err, &se) && se.Permanent {
				c.fail(se.Msg)
				return
			}
			c.down(fmt.Sprintf("%s Retrying in %s.", explainErr(err), backoff.Round(time.Second)))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, c.cfg.MaxRestartBackoff)
		c.update(func(st *status.Tor) {
			st.Restarts++
			st.State, st.Progress, st.Phase = status.TorStarting, 0, "Restarting Tor"
			st.Stalled, st.Waiting = false, ""
		})
		inst, err = c.launch(ctx)
	}
}

func explainErr(err error) string {
	var se *StartError
	if errors.As(err, &se) {
		return se.Msg
	}
	return fmt.Sprintf("Tor could not be started (%v).", err)
}

func (c *Client) setInstance(inst *instance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inst = inst
	c.publish(inst)
}

func (c *Client) clearInstance(inst *instance) {
	c.ready.CompareAndSwap(inst, nil)
	inst.kill() // releases the process context
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inst == inst {
		c.inst = nil
	}
}

// down records that tor is not running and why; the watchdog restarts it.
func (c *Client) down(msg string) {
	c.ready.Store(nil)
	c.update(func(st *status.Tor) {
		st.State, st.Progress, st.Phase, st.Err = status.TorStarting, 0, "Waiting to restart Tor", msg
		st.Stalled, st.Waiting = false, ""
	})
}

// fail records a failure that needs the user; nothing is retried.
func (c *Client) fail(msg string) {
	c.ready.Store(nil)
	c.update(func(st *status.Tor) {
		st.State, st.Progress, st.Phase, st.Err = status.TorFailed, 0, "", msg
	})
}

// Shutdown stops tor (gracefully, then by force when ctx ends) and the
// watchdog, and waits for them. It is safe to call more than once, and
// before or without Start.
func (c *Client) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	started, stopSup, supDone := c.started, c.stopSup, c.supDone
	c.mu.Unlock()
	c.ready.Store(nil)
	var err error
	if started {
		stopSup()
		select {
		case <-supDone:
		case <-ctx.Done():
			err = fmt.Errorf("stopping tor watchdog: %w", ctx.Err())
			<-supDone // launch aborts promptly once its context is cancelled
		}
		c.mu.Lock()
		inst := c.inst
		c.inst = nil
		c.mu.Unlock()
		if inst != nil {
			if e := inst.stop(ctx); e != nil && err == nil {
				err = e
			}
		}
	}
	if c.tempDir != "" {
		if e := os.RemoveAll(c.tempDir); e != nil && err == nil {
			err = fmt.Errorf("removing tor data directory: %w", e)
		}
	}
	c.update(func(st *status.Tor) {
		st.Enabled, st.State, st.Progress, st.Phase, st.Err = false, status.TorOff, 0, "", ""
	})
	c.notify.close()
	return err
}

// Status returns the current state of the client.
func (c *Client) Status() status.Tor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// update applies f to the status and, if it changed, queues the new value
// for OnStatus.
func (c *Client) update(f func(*status.Tor)) {
	c.mu.Lock()
	old := c.st
	f(&c.st)
	st := c.st
	c.mu.Unlock()
	if st != old {
		c.notify.send(st)
	}
}

// notifier calls a status callback in order from its own goroutine.
type notifier struct {
	fn     func(status.Tor)
	log    io.Writer // where a panic of fn is reported
	mu     sync.Mutex
	queue  []status.Tor
	wake   chan struct{}
	closed bool
	done   chan struct{}
}

func newNotifier(fn func(status.Tor), log io.Writer) *notifier {
	n := &notifier{fn: fn, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if fn == nil {
		close(n.done)
		return n
	}
	go n.run()
	return n
}

func (n *notifier) send(st status.Tor) {
	if n.fn == nil {
		return
	}
	n.mu.Lock()
	if !n.closed {
		n.queue = append(n.queue, st)
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// close delivers what is queued, then stops the goroutine and waits for it.
func (n *notifier) close() {
	if n.fn == nil {
		return
	}
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
	<-n.done
}

func (n *notifier) run() {
	defer close(n.done)
	for range n.wake {
		for {
			n.mu.Lock()
			if len(n.queue) == 0 {
				closed := n.closed
				n.mu.Unlock()
				if closed {
					return
				}
				break
			}
			st := n.queue[0]
			n.queue = n.queue[1:]
			n.mu.Unlock()
			n.call(st)
		}
	}
}

func (n *notifier) call(st status.Tor) {
	defer func() {
		if r := recover(); r != nil && n.log != nil {
			fmt.Fprintf(n.log, "polaris/tor: OnStatus panicked: %v\n", r)
		}
	}()
	n.fn(st)
}

// logf writes a note of ours into the log, if any.
func (c *Client) logf(format string, args ...any) {
	if c.cfg.Log != nil {
		fmt.Fprintf(c.cfg.Log, format+"\n", args...)
	}
}

// lockedWriter serializes writes to the caller's log writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
