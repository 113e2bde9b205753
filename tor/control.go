// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cretz/bine/control"

	"polaris/internal/status"
)

// geoip reports whether tor can map addresses to countries, loading its
// GeoIP database (tor's default files) on first use.
func (in *instance) geoip(ctx context.Context) bool {
	in.geoMu.Lock()
	defer in.geoMu.Unlock()
	if in.geoKnown {
		return in.geo
	}
	v, err := in.getInfo(ctx, "ip-to-country/ipv4-available")
	if err != nil {
		return false // try again next time
	}
	if v != "1" {
		err := in.do(ctx, func(ctl *control.Conn) error {
			_, err := ctl.SendRequest("RESETCONF GeoIPFile GeoIPv6File")
			return err
		})
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			v, err = in.getInfo(ctx, "ip-to-country/ipv4-available")
			if err != nil {
				return false
			}
		}
	}
	in.geoKnown, in.geo = true, v == "1"
	return in.geo
}

// getInfo returns the raw value of one GETINFO key: quoted values stay
// quoted (net/listeners/socks is a list of quoted addresses, which bine's
// GetInfo would mangle), multi-line values start with "\r\n".
func (in *instance) getInfo(ctx context.Context, key string) (string, error) {
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", fmt.Errorf("bad GETINFO key %q", key)
	}
	return call(ctx, in, func(ctl *control.Conn) (string, error) {
		resp, err := ctl.SendRequest("GETINFO %s", key)
		if err != nil {
			return "", err
		}
		for _, d := range resp.Data {
			if k, v, ok := strings.Cut(d, "="); ok && k == key {
				return v, nil
			}
		}
		return "", fmt.Errorf("tor gave no %s", key)
	})
}

var errStopped = errors.New("tor stopped")

// do runs one control-port exchange, honouring ctx.
func (in *instance) do(ctx context.Context, f func(*control.Conn) error) error {
	_, err := call(ctx, in, func(ctl *control.Conn) (struct{}, error) { return struct{}{}, f(ctl) })
	return err
}

// call runs one control-port exchange and returns its result, honouring
// ctx. bine's Conn is not cancellable: an exchange abandoned on ctx keeps
// the semaphore until tor answers or the connection closes, and its result
// is dropped.
func call[T any](ctx context.Context, in *instance, f func(*control.Conn) (T, error)) (T, error) {
	var zero T
	select {
	case in.sem <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-in.readerDone:
		return zero, errStopped
	}
	if isClosed(in.readerDone) {
		<-in.sem
		return zero, errStopped
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-in.sem }()
		v, err := f(in.ctl)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// readEvents reads asynchronous events until the control connection
// closes. bine's HandleNextEvent returns after any message, event or not.
func (in *instance) readEvents() {
	defer close(in.readerDone)
	for {
		if err := in.ctl.HandleNextEvent(); err != nil {
			if !in.stopping.Load() {
				// Lost the control connection: kill tor, the watchdog
				// restarts it.
				in.kill()
			}
			return
		}
		runtime.Gosched() // let a waiting request take the read lock
	}
}

// pumpEvents handles events. It never calls tor (bine delivers events while
// holding its read lock) and runs until no more events can arrive.
func (in *instance) pumpEvents(events chan control.Event) {
	for {
		select {
		case ev := <-events:
			in.handle(ev)
		case <-in.readerDone:
			// No reader; a request can still relay an event until the
			// semaphore shows none is in flight.
			for {
				select {
				case ev := <-events:
					in.handle(ev)
				case in.sem <- struct{}{}:
					for {
						select {
						case ev := <-events:
							in.handle(ev)
						default:
							return // keep the semaphore: no request may start
						}
					}
				}
			}
		}
	}
}

func (in *instance) handle(ev control.Event) {
	defer func() {
		if r := recover(); r != nil {
			in.c.logf("polaris/tor: handling tor event %T: %v\n%s", ev, r, debug.Stack())
		}
	}()
	switch e := ev.(type) {
	case *control.StatusEvent:
		st := parseStatus(e.Raw)
		if e.Type == control.EventCodeStatusGeneral {
			if sk, ok := parseClockSkew(st); ok {
				in.onClockSkew(sk)
			}
			return
		}
		in.onStatus(st)
	case *control.SignalEvent:
		if strings.TrimSpace(e.Raw) == "NEWNYM" {
			in.mu.Lock()
			for _, ch := range in.nymWait {
				close(ch)
			}
			in.nymWait = nil
			in.mu.Unlock()
		}
	case *control.StreamEvent:
		if s, ok := parseStream(e.Raw); ok && (s.Status == "SUCCEEDED" || s.Status == "SENTCONNECT") && s.Circuit != "0" {
			in.mu.Lock()
			if len(in.circuits) > 4096 {
				clear(in.circuits)
			}
			in.circuits[s.User] = s.Circuit
			in.mu.Unlock()
			if s.Status == "SUCCEEDED" {
				in.streams.Add(1)
			}
		}
	case *control.CircuitEvent:
		if c, ok := parseCircuit(e.Raw); ok && (c.Status == "CLOSED" || c.Status == "FAILED") {
			in.mu.Lock()
			for user, id := range in.circuits {
				if id == c.ID {
					delete(in.circuits, user)
				}
			}
			in.mu.Unlock()
		}
	}
}

// onStatus applies a STATUS_CLIENT event (or the bootstrap-phase answer).
func (in *instance) onStatus(ev statusEvent) {
	if ev.Action != "BOOTSTRAP" || in.stopping.Load() || isClosed(in.exited) {
		return // a dead tor's late events say nothing about the next one
	}
	if ev.Severity == "WARN" || ev.Severity == "ERR" {
		if sk, ok := parseClockSkew(ev); ok {
			in.onClockSkew(sk)
			return
		}
		if ev.Args["RECOMMENDATION"] == "ignore" {
			// Usual while bootstrapping (some relays are down): shown
			// only if bootstrap gets stuck, by watchStuck.
			in.problemMu.Lock()
			in.problem = &ev
			in.problemMu.Unlock()
			return
		}
		msg := bootstrapWarning(ev, in.bridges)
		in.c.update(func(s *status.Tor) { s.Err = msg })
		return
	}
	np, ok := ev.progress()
	if !ok {
		return
	}
	for {
		cur := in.progress.Load()
		if int32(np) < cur || int32(np) == cur && np != 0 {
			return // progress only moves forward
		}
		if in.progress.CompareAndSwap(cur, int32(np)) {
			break
		}
	}
	in.problemMu.Lock()
	in.problem, in.progressAt, in.stalled = nil, time.Now(), false
	if tag := ev.Args["TAG"]; tag != "" {
		in.tag = tag
	}
	in.problemMu.Unlock()
	in.c.bootstrapProgress(in, np, ev.Args["SUMMARY"])
}

// onClockSkew records a clock skew tor found and explains it: as the reason
// Tor cannot connect while it is not ready, as a warning once it is.
func (in *instance) onClockSkew(sk clockSkew) {
	if in.stopping.Load() || isClosed(in.exited) {
		return
	}
	in.skew.Store(&sk)
	in.c.update(func(st *status.Tor) { st.Err = sk.explain(st.State == status.TorReady) })
}

// skewNote is the explanation of the last clock skew tor found, "" if none,
// for a status that is ready or not.
func (in *instance) skewNote(ready bool) string {
	if sk := in.skew.Load(); sk != nil {
		return sk.explain(ready)
	}
	return ""
}

// watchStuck explains the last bootstrap problem once bootstrap has not
// moved for stuckAfter, until tor is bootstrapped or gone.
func (in *instance) watchStuck() {
	tick := time.NewTicker(time.Second / 4)
	defer tick.Stop()
	for !in.bootstrapped.Load() {
		select {
		case <-in.readerDone:
			return
		case <-tick.C:
		}
		in.problemMu.Lock()
		ev := in.problem
		still := time.Since(in.progressAt)
		stuck := ev != nil && still >= in.c.stuckAfter
		if stuck {
			in.problem = nil
		}
		stalled := !in.stalled && still >= in.c.stallAfter
		if stalled {
			in.stalled = true
		}
		tag := in.tag
		in.problemMu.Unlock()
		if stuck && !in.stopping.Load() {
			msg := bootstrapWarning(*ev, in.bridges)
			in.c.update(func(s *status.Tor) { s.Err = msg })
		}
		if stalled && !in.stopping.Load() {
			words := waitingFor(tag, in.bridges)
			in.c.update(func(s *status.Tor) { s.Stalled, s.Waiting = true, words })
		}
	}
}

// bootstrapProgress records bootstrap progress of in; at 100% tor is ready
// (once its SOCKS port is known too).
func (c *Client) bootstrapProgress(in *instance, p int, phase string) {
	c.mu.Lock()
	if c.closed || c.inst != in {
		c.mu.Unlock()
		return
	}
	ready := false
	if p == 100 {
		in.bootstrapped.Store(true)
		ready = c.publish(in)
	}
	c.mu.Unlock()
	c.update(func(st *status.Tor) {
		if ready || p > st.Progress || st.State != status.TorBootstrapping {
			// Moving again: earlier warnings are over, but not a wrong
			// clock (tor does not say when the clock is right again).
			st.Err = in.skewNote(ready)
		}
		st.Progress, st.Phase = p, phase
		st.Stalled, st.Waiting = false, ""
		st.State = status.TorBootstrapping
		if ready {
			st.State = status.TorReady
		}
	})
}

// socksKnown records that in's SOCKS port is known.
func (c *Client) socksKnown(in *instance) {
	c.mu.Lock()
	in.socksReady = true
	ready := c.publish(in)
	c.mu.Unlock()
	if ready {
		c.update(func(st *status.Tor) { st.State, st.Err = status.TorReady, in.skewNote(true) })
	}
}

// publish makes in the instance DialContext uses once it is current,
// bootstrapped and its SOCKS port known, and reports whether it did.
// Status shows ready only after publish: a caller that sees it can dial.
// c.mu must be held.
func (c *Client) publish(in *instance) bool {
	if c.closed || c.inst != in || !in.bootstrapped.Load() || !in.socksReady {
		return false
	}
	c.ready.Store(in)
	return true
}
