// SPDX-License-Identifier: GPL-3.0-or-later

package stats

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/status"
)

// The request log lives in memory (the live log) unless the user opts in to
// keeping it on disk (log.persist). Then decisions are written in batches
// with the statistics, off the request path; rows past log.retention or
// log.max-rows are deleted at start and at every write; turning
// log.persist off deletes the whole persisted log.

// requestLog is the persisted part of the request log.
type requestLog struct {
	on      atomic.Bool // log.persist
	mu      sync.Mutex
	pending []status.Decision // decided, not written yet
	cleared bool              // the table was emptied since log.persist went off
	gen     int               // counts forget calls (see Stats.gen)
}

// forget drops the decisions not written yet.
func (l *requestLog) forget() {
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
func (l *requestLog) keep(d status.Decision) {
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

// remember puts d into the live log. s.mu is held.
func (s *Stats) remember(d status.Decision) {
	if s.ring == nil {
		return
	}
	s.ring[s.next] = d
	s.next++
	if s.next == len(s.ring) {
		s.next, s.full = 0, true
	}
}

// RecentDecisions returns up to max of the newest decisions, newest first.
func (s *Stats) RecentDecisions(max int) []status.Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.next
	if s.full {
		n = len(s.ring)
	}
	if max <= 0 || max > n {
		max = n
	}
	out := make([]status.Decision, 0, max)
	for i := 0; i < max; i++ {
		j := s.next - 1 - i
		if j < 0 {
			j += len(s.ring)
		}
		out = append(out, s.ring[j])
	}
	return out
}

// Persist follows log.persist: on, decisions are kept; off, what was kept
// is deleted.
func (s *Stats) Persist(ctx context.Context, on bool) {
	l := &s.log
	was := l.on.Swap(on)
	if on {
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
	st, err := s.cfg.Store()
	if err != nil {
		return
	}
	if n, err := st.ClearLog(ctx); err == nil {
		l.mu.Lock()
		l.cleared = true
		l.mu.Unlock()
		if n > 0 {
			s.cfg.Logf("request log: persisting is off, %d stored requests deleted", n)
		}
	}
}

// writeLog writes the pending decisions and deletes what is past the
// retention; it runs with the statistics flush (and at start).
func (s *Stats) writeLog(ctx context.Context) {
	l := &s.log
	if !l.on.Load() {
		return
	}
	st, err := s.cfg.Store()
	if err != nil {
		return
	}
	l.mu.Lock()
	batch, gen := l.pending, l.gen
	l.pending = nil
	l.mu.Unlock()
	if err := st.AppendLog(ctx, batch); err != nil {
		s.cfg.Logf("writing the request log (kept in memory for the next try): %v", err)
		l.mu.Lock()
		if l.gen == gen { // not deleted meanwhile
			l.pending = append(batch, l.pending...)
		}
		l.mu.Unlock()
		return
	}
	d := s.cfg.Data()
	if _, err := st.PruneLog(ctx, time.Now().Add(-d.LogRetention), d.LogMaxRows); err != nil {
		s.cfg.Logf("pruning the request log: %v", err)
	}
}

// LoadLog fills the live log with the newest persisted decisions (after a
// restart, when log.persist is on).
func (s *Stats) LoadLog(ctx context.Context) {
	if !s.log.on.Load() {
		return
	}
	s.writeLog(ctx) // prunes what expired while Polaris was stopped
	st, err := s.cfg.Store()
	if err != nil {
		return
	}
	ds, err := st.RecentLog(ctx, s.cfg.LogSize)
	if err != nil {
		return
	}
	s.mu.Lock()
	for _, d := range ds {
		s.remember(d)
	}
	s.mu.Unlock()
	s.seq.Add(uint64(len(ds)))
}
