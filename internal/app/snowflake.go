// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/snowflake"
)

// snowflakePart runs the "give back" Snowflake proxy while the settings ask
// for it: started with the engine, stopped with it, restarted by the
// snowflake adapter when it crashes.
type snowflakePart struct {
	*core
	sf struct {
		wake chan struct{}

		mu    sync.Mutex
		proxy *snowflake.Proxy
		// stopping is the proxy being stopped: its counts are shown until
		// they join helped and restarts.
		stopping *snowflake.Proxy
		key      settings.Snowflake // the settings the running proxy was made for
		// done are the counts of proxies stopped since Polaris started
		// (a new capacity starts a new proxy).
		helped, restarts int
		failed           status.Snowflake // why the last start failed, if it did
	}
}

// wakeSnowflake makes the supervisor look at the settings again.
func (p *snowflakePart) wakeSnowflake() {
	select {
	case p.sf.wake <- struct{}{}:
	default:
	}
}

// superviseSnowflake starts and stops the Snowflake proxy as the settings
// change, until ctx ends; then it stops it.
func (p *snowflakePart) superviseSnowflake(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		p.reconcileSnowflake(ctx)
		select {
		case <-ctx.Done():
			p.stopSnowflake()
			return
		case <-p.sf.wake:
		}
	}
}

func (p *snowflakePart) reconcileSnowflake(ctx context.Context) {
	s := p.Settings().Snowflake
	p.sf.mu.Lock()
	running, failed := p.sf.proxy != nil, p.sf.failed.State != ""
	unchanged := s == p.sf.key
	p.sf.mu.Unlock()
	if unchanged && (running || failed) {
		return // a failed start is tried again when the settings change
	}
	if !running && !failed && !s.Enabled {
		return
	}
	if running {
		p.stopSnowflake()
	}
	p.sf.mu.Lock()
	p.sf.failed = status.Snowflake{}
	p.sf.mu.Unlock()
	if !s.Enabled || ctx.Err() != nil || p.deleting.Load() {
		p.hub.poke()
		return
	}
	cfg := p.opts.Snowflake
	cfg.Capacity = s.Capacity
	cfg.OnChange = func(snowflake.Status) { p.hub.poke() }
	cfg.LogLine = func(line string) { p.log.Printf("snowflake-proxy: %s", line) }
	sp, err := snowflake.New(cfg)
	if err == nil {
		err = sp.Start(ctx)
	}
	if err != nil {
		st := status.Snowflake{State: status.SnowflakeFailed, Err: err.Error()}
		if errors.Is(err, snowflake.ErrNotInstalled) {
			st = status.Snowflake{State: status.SnowflakeNotInstalled,
				Err: "The Snowflake proxy program (snowflake-proxy) is not installed on this computer."}
		}
		p.sf.mu.Lock()
		p.sf.failed = st
		p.sf.key = s
		p.sf.mu.Unlock()
		p.noticef(status.Warning, "The Snowflake proxy cannot start: %v.", err)
		p.hub.poke()
		return
	}
	p.log.Printf("snowflake proxy started (at most %d people at once)", s.Capacity)
	p.sf.mu.Lock()
	p.sf.proxy, p.sf.key = sp, s
	p.sf.mu.Unlock()
	p.hub.poke()
}

// stopSnowflake stops the running proxy, if any, keeping its counts.
func (p *snowflakePart) stopSnowflake() {
	p.sf.mu.Lock()
	sp := p.sf.proxy
	p.sf.proxy, p.sf.stopping = nil, sp
	p.sf.mu.Unlock()
	if sp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sp.Shutdown(ctx); err != nil {
		p.log.Printf("stopping the snowflake proxy: %v", err)
	}
	st := sp.Status()
	p.sf.mu.Lock()
	p.sf.helped += st.Helped
	p.sf.restarts += st.Restarts
	p.sf.stopping = nil
	p.sf.mu.Unlock()
	p.log.Printf("snowflake proxy stopped")
	p.hub.poke()
}

// snowflakeStatus is the Snowflake part of the snapshot for settings s.
func (p *snowflakePart) snowflakeStatus(s settings.Settings) status.Snowflake {
	p.sf.mu.Lock()
	defer p.sf.mu.Unlock()
	out := status.Snowflake{State: status.SnowflakeOff, Helped: p.sf.helped, Restarts: p.sf.restarts}
	if p.sf.failed.State != "" {
		out.State, out.Err = p.sf.failed.State, p.sf.failed.Err
	}
	if sp := p.sf.stopping; sp != nil { // off already; its counts not yet added
		st := sp.Status()
		out.Helped += st.Helped
		out.Restarts += st.Restarts
	}
	if sp := p.sf.proxy; sp != nil {
		st := sp.Status()
		out.Helped += st.Helped
		out.Restarts += st.Restarts
		out.Err = st.Err
		switch st.State {
		case snowflake.Running:
			out.State = status.SnowflakeRunning
		case snowflake.Restarting:
			out.State = status.SnowflakeRestarting
		case snowflake.Failed:
			out.State = status.SnowflakeFailed
		}
	}
	out.Enabled, out.Capacity = s.Snowflake.Enabled, s.Snowflake.Capacity
	return out
}
