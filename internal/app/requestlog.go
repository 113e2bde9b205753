// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// The request log lives in memory (the live log) unless the user opts in to
// keeping it on disk (log.persist). Then decisions are written in batches
// with the statistics, off the request path; rows past log.retention or
// log.max-rows are deleted at start and at every write; turning
// log.persist off deletes the whole persisted log.

// logState is the persisted part of the request log.
type logState struct {
	on      atomic.Bool // log.persist
	mu      sync.Mutex
	pending []status.Decision // decided, not written yet
	cleared bool              // the table was emptied since log.persist went off
	gen     int               // counts forget calls (see statsState.gen)
}

// forget drops the decisions not written yet (DeleteAllData).
func (l *logState) forget() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = nil
	l.gen++
}

// maxPendingLog bounds the decisions kept while the database cannot be
// written; beyond it the oldest are dropped (the live log keeps its own).
const maxPendingLog = 50_000

// keep queues a decision for the persisted log, when it is on. It runs on
// the request's goroutine: an append under a lock.
func (l *logState) keep(d status.Decision) {
	if !l.on.Load() {
		return
	}
	l.mu.Lock()
	if len(l.pending) >= maxPendingLog {
		l.pending = l.pending[len(l.pending)-maxPendingLog/2:]
	}
	l.pending = append(l.pending, d)
	l.mu.Unlock()
}

// applyLog follows log.persist: on, decisions are kept; off, what was kept
// is deleted.
func (a *App) applyLog(ctx context.Context, s settings.Settings) {
	l := &a.reqlog
	was := l.on.Swap(s.Data.LogPersist)
	if s.Data.LogPersist {
		l.mu.Lock()
		l.cleared = false
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	l.pending = nil
	clear := was || !l.cleared
	l.mu.Unlock()
	if !clear {
		return
	}
	st, err := a.store()
	if err != nil {
		return
	}
	if n, err := st.ClearLog(ctx); err == nil {
		l.mu.Lock()
		l.cleared = true
		l.mu.Unlock()
		if n > 0 {
			a.log.Printf("request log: persisting is off, %d stored requests deleted", n)
		}
	}
}

// writeLog writes the pending decisions and deletes what is past the
// retention; it runs with the statistics flush (and at start).
func (a *App) writeLog(ctx context.Context) {
	l := &a.reqlog
	if !l.on.Load() {
		return
	}
	st, err := a.store()
	if err != nil {
		return
	}
	l.mu.Lock()
	batch, gen := l.pending, l.gen
	l.pending = nil
	l.mu.Unlock()
	if err := st.AppendLog(ctx, batch); err != nil {
		a.log.Printf("writing the request log (kept in memory for the next try): %v", err)
		l.mu.Lock()
		if l.gen == gen { // not deleted meanwhile
			l.pending = append(batch, l.pending...)
		}
		l.mu.Unlock()
		return
	}
	d := a.Settings().Data
	if _, err := st.PruneLog(ctx, time.Now().Add(-d.LogRetention), d.LogMaxRows); err != nil {
		a.log.Printf("pruning the request log: %v", err)
	}
}

// loadLog fills the live log with the newest persisted decisions (after a
// restart, when log.persist is on).
func (a *App) loadLog(ctx context.Context) {
	if !a.reqlog.on.Load() {
		return
	}
	a.writeLog(ctx) // prunes what expired while Polaris was stopped
	st, err := a.store()
	if err != nil {
		return
	}
	ds, err := st.RecentLog(ctx, a.opts.LogSize)
	if err != nil {
		return
	}
	s := &a.stats
	s.mu.Lock()
	for _, d := range ds {
		if s.ring == nil {
			break
		}
		s.ring[s.next] = d
		s.next++
		if s.next == len(s.ring) {
			s.next, s.full = 0, true
		}
	}
	s.mu.Unlock()
	s.seq.Add(uint64(len(ds)))
}
