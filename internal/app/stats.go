// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/publicsuffix"

	"polaris/internal/status"
	"polaris/internal/store"
)

// What the user sees of blocking: every decision goes into a bounded live
// log in memory and into per-day counters (by category, and by the domain
// of the blocked third-party tracker; never a URL, never a site the user
// visited). The counters are added up in memory on the request path and
// written to the database in one transaction every StatsFlushInterval,
// off the request path.

// statsState is the live log and the counters not written yet.
type statsState struct {
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
	// gen counts forget calls: a write that failed puts its batch back
	// only if nothing was forgotten meanwhile.
	gen int
}

// forget drops everything counted and logged in memory (DeleteAllData).
func (s *statsState) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.ring)
	s.next, s.full = 0, false
	s.pending = newBatch()
	s.domains = map[string]string{}
	s.cached, s.top = nil, nil
	s.lastPrune, s.lastKeep = 0, 0
	s.gen++
}

// maxPendingTrackers bounds the tracker counters kept while the database
// cannot be written.
const maxPendingTrackers = 200_000

func newBatch() store.StatsBatch {
	return store.StatsBatch{Requests: map[int]int64{}, Blocked: map[store.DayKey]int64{}, Trackers: map[store.DayKey]int64{}}
}

// dayNum returns the local calendar day of t as YYYYMMDD.
func dayNum(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// record takes one decision from the proxy. It runs on the request's
// goroutine: a few map updates under a lock, no I/O.
func (s *statsState) record(d status.Decision) {
	blocked := d.Verdict == status.Blocked || d.Verdict == status.Redirected
	day := dayNum(d.Time)
	s.mu.Lock()
	if s.ring != nil {
		s.ring[s.next] = d
		s.next++
		if s.next == len(s.ring) {
			s.next, s.full = 0, true
		}
	}
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
func (s *statsState) trackerDomain(host, site string) string {
	if host == "" || site == "" {
		return ""
	}
	dom, ok := s.domains[host]
	if !ok {
		var err error
		if dom, err = publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(host, ".")); err != nil {
			dom = host
		}
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

// start sizes the live log for a run.
func (s *statsState) start(a *App) {
	s.mu.Lock()
	if len(s.ring) != a.opts.LogSize {
		s.ring, s.next, s.full = make([]status.Decision, a.opts.LogSize), 0, false
	}
	s.mu.Unlock()
}

// RecentDecisions returns up to max of the newest decisions, newest first.
func (a *App) RecentDecisions(max int) []status.Decision {
	s := &a.stats
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

// loop writes the counters every StatsFlushInterval until ctx ends; it
// deletes counters older than the retention at start, each new day and
// when the retention changes.
func (s *statsState) loop(ctx context.Context, a *App) {
	s.flush(ctx, a)
	t := time.NewTicker(a.opts.StatsFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return // stopBlocking writes the last counts
		case <-t.C:
			s.flush(ctx, a)
		}
	}
}

// flush writes the pending counters, prunes old days, and rereads what
// the snapshot shows. When the database cannot be written the counters
// stay in memory for the next try.
func (s *statsState) flush(ctx context.Context, a *App) {
	st, err := a.store()
	if err != nil {
		return
	}
	a.writeLog(ctx)
	s.mu.Lock()
	batch, gen := s.pending, s.gen
	s.pending = newBatch()
	s.mu.Unlock()
	if err := st.AddStats(ctx, batch); err != nil {
		a.log.Printf("writing statistics (kept in memory for the next try): %v", err)
		s.mu.Lock()
		if s.gen == gen { // not deleted meanwhile
			mergeBatch(&s.pending, batch)
		}
		s.mu.Unlock()
		return
	}
	now := time.Now()
	today := dayNum(now)
	if keep := a.Settings().Data.StatsRetentionDays; s.lastPrune != today || s.lastKeep != keep {
		if _, err := st.PruneStats(ctx, dayNum(now.AddDate(0, 0, -keep+1))); err == nil {
			s.lastPrune, s.lastKeep = today, keep
		}
	}
	from := dayNum(now.AddDate(0, 0, -29))
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

// fill puts today's counts, the last 30 days by category, the top
// trackers and the log sequence into a snapshot.
func (s *statsState) fill(b *status.Blocking, now time.Time) {
	b.LogSeq = s.seq.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	b.Daily = make([]status.DayCount, 0, 30)
	for i := 29; i >= 0; i-- {
		t := now.AddDate(0, 0, -i)
		day := dayNum(t)
		y, m, d := t.Date()
		dc := status.DayCount{Day: time.Date(y, m, d, 0, 0, 0, 0, t.Location()), ByCategory: map[string]int64{}}
		if c, ok := s.cached[day]; ok {
			dc.Total, dc.Requests = c.Blocked, c.Requests
			for k, n := range c.ByCategory {
				dc.ByCategory[k] += n
			}
		}
		dc.Requests += s.pending.Requests[day]
		b.Daily = append(b.Daily, dc)
	}
	today := &b.Daily[len(b.Daily)-1]
	for k, n := range s.pending.Blocked {
		for i := range b.Daily {
			if dayNum(b.Daily[i].Day) == k.Day {
				b.Daily[i].Total += n
				b.Daily[i].ByCategory[k.Key] += n
			}
		}
	}
	b.BlockedToday, b.RequestsToday = today.Total, today.Requests
	for _, t := range s.top {
		b.TopTrackers = append(b.TopTrackers, status.TrackerCount{Domain: t.Domain, Blocked: t.Blocked})
	}
}

// StatsReport returns the stored counts of the last days (today
// included), oldest first, and the tracker domains blocked most over
// them. A running Polaris writes its counts every StatsFlushInterval.
func (a *App) StatsReport(ctx context.Context, days int) ([]status.DayCount, []status.TrackerCount, error) {
	st, err := a.store()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	from, to := dayNum(now.AddDate(0, 0, -days+1)), dayNum(now)
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
		y, m, d := t.Date()
		c := byDay[dayNum(t)]
		out = append(out, status.DayCount{Day: time.Date(y, m, d, 0, 0, 0, 0, t.Location()), Total: c.Blocked, Requests: c.Requests, ByCategory: c.ByCategory})
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
