// SPDX-License-Identifier: GPL-3.0-or-later

// Package stats keeps what the user sees of blocking: every decision goes
// into a bounded live log in memory (and, when the user opts in, a
// persisted request log) and into per-day counters (by category, and by
// the domain of the blocked third-party tracker; never a URL, never a site
// the user visited). The counters are added up in memory on the request
// path and written to the database in one transaction every
// Config.FlushInterval, off the request path.
package stats

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
)

// Config is what Stats needs.
type Config struct {
	// Store returns the open database, or why there is none (then nothing
	// is written and the counts wait in memory).
	Store func() (*store.Store, error)
	// Data returns the current data settings: the retention of the
	// counters and of the persisted log.
	Data func() settings.Data
	// Logf receives operational messages.
	Logf func(format string, args ...any)
	// LogSize is how many decisions the live log keeps.
	LogSize int
	// FlushInterval is how often the counters are written.
	FlushInterval time.Duration
}

// Stats is the live log, the request log and the counters. Its methods are
// safe for concurrent use.
type Stats struct {
	cfg Config

	mu      sync.Mutex
	ring    []status.Decision // the live log, a ring
	next    int               // where the next decision goes
	full    bool              // the ring has wrapped
	pending store.StatsBatch  // counted since the last write
	seq     atomic.Uint64     // decisions recorded

	// domains caches the registrable domain of blocked hosts.
	domains map[string]string

	// What the database held at the last write, for the snapshot.
	cached    map[int]store.DayCounts
	top       []store.TrackerCount
	lastPrune int // the day of the last pruning
	lastKeep  int // the retention it used
	// gen counts Forget calls: a write that failed puts its batch back
	// only if nothing was forgotten meanwhile.
	gen int

	log requestLog
}

// New returns Stats for cfg; Start sizes its live log.
func New(cfg Config) *Stats { return &Stats{cfg: cfg} }

// Forget drops everything counted and logged in memory (the user deleted
// their data).
func (s *Stats) Forget() {
	s.mu.Lock()
	clear(s.ring)
	s.next, s.full = 0, false
	s.pending = newBatch()
	s.domains = map[string]string{}
	s.cached, s.top = nil, nil
	s.lastPrune, s.lastKeep = 0, 0
	s.gen++
	s.mu.Unlock()
	s.log.forget()
}

// maxPendingTrackers bounds the tracker counters kept while the database
// cannot be written.
const maxPendingTrackers = 200_000

func newBatch() store.StatsBatch {
	return store.StatsBatch{Requests: map[int]int64{}, Blocked: map[store.DayKey]int64{}, Trackers: map[store.DayKey]int64{}}
}

// DayNum returns the local calendar day of t as YYYYMMDD, the day key of
// the counters.
func DayNum(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// Record takes one decision from the proxy. It runs on the request's
// goroutine: a few map updates under a lock, no I/O.
func (s *Stats) Record(d status.Decision) {
	s.record(d)
	s.log.keep(d)
}

func (s *Stats) record(d status.Decision) {
	blocked := d.Verdict == status.Blocked || d.Verdict == status.Redirected
	day := DayNum(d.Time)
	s.mu.Lock()
	s.remember(d)
	if s.pending.Requests == nil {
		s.pending = newBatch()
	}
	s.pending.Requests[day]++
	if blocked {
		s.pending.Blocked[store.DayKey{Day: day, Key: d.Category}]++
		tracker := s.trackerDomain(d.Host, d.Site)
		if tracker != "" && len(s.pending.Trackers) < maxPendingTrackers {
			s.pending.Trackers[store.DayKey{Day: day, Key: tracker}]++
		}
	}
	s.mu.Unlock()
	s.seq.Add(1)
}

// trackerDomain is the registrable domain of a blocked host, or "" when
// it may be a site the user opened rather than a tracker on one: the site
// itself (a page of theirs), or a request whose site is unknown (an HTTPS
// tunnel without HTTPS filtering, where only the host is seen; a request
// without Referer). Those blocks are counted by category only: a site the
// user visited is never stored. s.mu is held.
func (s *Stats) trackerDomain(host, site string) string {
	if host == "" || site == "" {
		return ""
	}
	dom, ok := s.domains[host]
	if !ok {
		dom = blocklist.Site(strings.TrimSuffix(host, "."))
		if s.domains == nil || len(s.domains) >= 4096 {
			s.domains = make(map[string]string, 256)
		}
		s.domains[host] = dom
	}
	if dom == site {
		return ""
	}
	return dom
}

// Start sizes the live log for a run.
func (s *Stats) Start() {
	s.mu.Lock()
	if len(s.ring) != s.cfg.LogSize {
		s.ring, s.next, s.full = make([]status.Decision, s.cfg.LogSize), 0, false
	}
	s.mu.Unlock()
}

// Loop writes the counters every FlushInterval until ctx ends; it deletes
// counters older than the retention at start, each new day and when the
// retention changes. The caller writes the last counts (Flush) once the
// proxy has stopped.
func (s *Stats) Loop(ctx context.Context) {
	s.Flush(ctx)
	t := time.NewTicker(s.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Flush(ctx)
		}
	}
}

// Flush writes the pending counters and request log, prunes old days, and
// rereads what the snapshot shows. When the database cannot be written the
// counters stay in memory for the next try.
func (s *Stats) Flush(ctx context.Context) {
	st, err := s.cfg.Store()
	if err != nil {
		return
	}
	s.writeLog(ctx)
	s.mu.Lock()
	batch, gen := s.pending, s.gen
	s.pending = newBatch()
	s.mu.Unlock()
	if err := st.AddStats(ctx, batch); err != nil {
		s.cfg.Logf("writing statistics (kept in memory for the next try): %v", err)
		s.mu.Lock()
		if s.gen == gen { // not deleted meanwhile
			mergeBatch(&s.pending, batch)
		}
		s.mu.Unlock()
		return
	}
	now := time.Now()
	s.prune(ctx, st, now)
	s.reread(ctx, st, now)
}

// prune deletes the counters past the retention, once a day or when the
// retention changed.
func (s *Stats) prune(ctx context.Context, st *store.Store, now time.Time) {
	today := DayNum(now)
	if keep := s.cfg.Data().StatsRetentionDays; s.lastPrune != today || s.lastKeep != keep {
		if _, err := st.PruneStats(ctx, DayNum(now.AddDate(0, 0, -keep+1))); err == nil {
			s.lastPrune, s.lastKeep = today, keep
		}
	}
}

// reread caches the last 30 days and the top trackers for the snapshot.
func (s *Stats) reread(ctx context.Context, st *store.Store, now time.Time) {
	from, today := DayNum(now.AddDate(0, 0, -29)), DayNum(now)
	days, err := st.DailyStats(ctx, from, today)
	if err != nil {
		return
	}
	top, _ := st.TopTrackers(ctx, from, today, 20)
	cached := make(map[int]store.DayCounts, len(days))
	for _, d := range days {
		cached[d.Day] = d
	}
	s.mu.Lock()
	s.cached, s.top = cached, top
	s.mu.Unlock()
}

func mergeBatch(dst *store.StatsBatch, src store.StatsBatch) {
	for k, n := range src.Requests {
		dst.Requests[k] += n
	}
	for k, n := range src.Blocked {
		dst.Blocked[k] += n
	}
	for k, n := range src.Trackers {
		if _, ok := dst.Trackers[k]; ok || len(dst.Trackers) < maxPendingTrackers {
			dst.Trackers[k] += n
		}
	}
}

// Fill puts today's counts, the last 30 days by category, the top
// trackers and the log sequence into a snapshot.
func (s *Stats) Fill(b *status.Blocking, now time.Time) {
	b.LogSeq = s.seq.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	b.Daily = make([]status.DayCount, 0, 30)
	for i := 29; i >= 0; i-- {
		t := now.AddDate(0, 0, -i)
		day := DayNum(t)
		dc := status.DayCount{Day: midnight(t), ByCategory: map[string]int64{}}
		if c, ok := s.cached[day]; ok {
			dc.Total, dc.Requests = c.Blocked, c.Requests
			for k, n := range c.ByCategory {
				dc.ByCategory[k] += n
			}
		}
		dc.Requests += s.pending.Requests[day]
		b.Daily = append(b.Daily, dc)
	}
	for k, n := range s.pending.Blocked {
		for i := range b.Daily {
			if DayNum(b.Daily[i].Day) == k.Day {
				b.Daily[i].Total += n
				b.Daily[i].ByCategory[k.Key] += n
			}
		}
	}
	today := &b.Daily[len(b.Daily)-1]
	b.BlockedToday, b.RequestsToday = today.Total, today.Requests
	for _, t := range s.top {
		b.TopTrackers = append(b.TopTrackers, status.TrackerCount{Domain: t.Domain, Blocked: t.Blocked})
	}
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// Report returns the stored counts of the last days (today included),
// oldest first, and the tracker domains blocked most over them. A running
// Polaris writes its counts every FlushInterval.
func (s *Stats) Report(ctx context.Context, days int) ([]status.DayCount, []status.TrackerCount, error) {
	st, err := s.cfg.Store()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	from, to := DayNum(now.AddDate(0, 0, -days+1)), DayNum(now)
	stored, err := st.DailyStats(ctx, from, to)
	if err != nil {
		return nil, nil, err
	}
	byDay := map[int]store.DayCounts{}
	for _, d := range stored {
		byDay[d.Day] = d
	}
	var out []status.DayCount
	for i := days - 1; i >= 0; i-- {
		t := now.AddDate(0, 0, -i)
		c := byDay[DayNum(t)]
		out = append(out, status.DayCount{Day: midnight(t), Total: c.Blocked, Requests: c.Requests, ByCategory: c.ByCategory})
	}
	top, err := st.TopTrackers(ctx, from, to, 10)
	if err != nil {
		return nil, nil, err
	}
	var tops []status.TrackerCount
	for _, t := range top {
		tops = append(tops, status.TrackerCount{Domain: t.Domain, Blocked: t.Blocked})
	}
	return out, tops, nil
}
