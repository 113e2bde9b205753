// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"slices"
)

// Days in the stats tables are local calendar days written as the integer
// YYYYMMDD (20261121), which sorts and compares like the dates it names.

// StatsBatch is what tracker blocking counted since the last write. Keys
// are days (YYYYMMDD).
type StatsBatch struct {
	// Requests counts every request decided, per day.
	Requests map[int]int64
	// Blocked counts blocked requests per day and category ("" for rules
	// without one).
	Blocked map[DayKey]int64
	// Trackers counts blocked requests per day and registrable domain of
	// the blocked third-party host.
	Trackers map[DayKey]int64
}

// DayKey names a counter of one day.
type DayKey struct {
	Day int
	Key string
}

// Empty reports whether the batch holds nothing to write.
func (b StatsBatch) Empty() bool {
	return len(b.Requests) == 0 && len(b.Blocked) == 0 && len(b.Trackers) == 0
}

// AddStats adds a batch to the stored counters in one transaction.
func (s *Store) AddStats(ctx context.Context, b StatsBatch) error {
	if b.Empty() {
		return nil
	}
	return s.tx(ctx, func(t *sql.Tx) error {
		if err := upsertEach(ctx, t, `INSERT INTO stats_requests(day, requests) VALUES(?, ?)
			ON CONFLICT(day) DO UPDATE SET requests = requests + excluded.requests`, len(b.Requests), func(st *sql.Stmt) error {
			for day, n := range b.Requests {
				if _, err := st.ExecContext(ctx, day, n); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if err := upsertKeyed(ctx, t, `INSERT INTO stats_daily(day, category, blocked) VALUES(?, ?, ?)
			ON CONFLICT(day, category) DO UPDATE SET blocked = blocked + excluded.blocked`, b.Blocked); err != nil {
			return err
		}
		if err := upsertEach(ctx, t, `INSERT OR IGNORE INTO stats_domains(domain) VALUES(?)`, len(b.Trackers), func(st *sql.Stmt) error {
			for k := range b.Trackers {
				if _, err := st.ExecContext(ctx, k.Key); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		return upsertEach(ctx, t, `INSERT INTO stats_trackers(day, domain, blocked)
			VALUES(?, (SELECT id FROM stats_domains WHERE domain = ?), ?)
			ON CONFLICT(day, domain) DO UPDATE SET blocked = blocked + excluded.blocked`, len(b.Trackers), func(st *sql.Stmt) error {
			for k, n := range b.Trackers {
				if _, err := st.ExecContext(ctx, k.Day, k.Key, n); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func upsertEach(ctx context.Context, t *sql.Tx, query string, n int, f func(*sql.Stmt) error) error {
	if n == 0 {
		return nil
	}
	st, err := t.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer st.Close()
	return f(st)
}

func upsertKeyed(ctx context.Context, t *sql.Tx, query string, m map[DayKey]int64) error {
	return upsertEach(ctx, t, query, len(m), func(st *sql.Stmt) error {
		for k, n := range m {
			if _, err := st.ExecContext(ctx, k.Day, k.Key, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// DayCounts are the stored counters of one day.
type DayCounts struct {
	Day      int
	Requests int64
	Blocked  int64
	// ByCategory counts blocked requests per category.
	ByCategory map[string]int64
}

// DailyStats returns the counters of the days from..to (inclusive), oldest
// first; days without any counter are left out.
func (s *Store) DailyStats(ctx context.Context, from, to int) ([]DayCounts, error) {
	byDay := map[int]*DayCounts{}
	var order []int
	get := func(day int) *DayCounts {
		d, ok := byDay[day]
		if !ok {
			d = &DayCounts{Day: day, ByCategory: map[string]int64{}}
			byDay[day] = d
			order = append(order, day)
		}
		return d
	}
	rows, err := s.db.QueryContext(ctx, "SELECT day, category, blocked FROM stats_daily WHERE day BETWEEN ? AND ?", from, to)
	if err != nil {
		return nil, explain(err)
	}
	for rows.Next() {
		var day int
		var cat string
		var n int64
		if err := rows.Scan(&day, &cat, &n); err != nil {
			rows.Close()
			return nil, err
		}
		d := get(day)
		d.ByCategory[cat] += n
		d.Blocked += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, "SELECT day, requests FROM stats_requests WHERE day BETWEEN ? AND ?", from, to)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	for rows.Next() {
		var day int
		var n int64
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		get(day).Requests = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(order)
	out := make([]DayCounts, 0, len(order))
	for _, day := range order {
		out = append(out, *byDay[day])
	}
	return out, nil
}

// TrackerCount is how often one tracker domain was blocked.
type TrackerCount struct {
	Domain  string
	Blocked int64
}

// TopTrackers returns the n tracker domains blocked most over the days
// from..to, most blocked first.
func (s *Store) TopTrackers(ctx context.Context, from, to, n int) ([]TrackerCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.domain, SUM(t.blocked) AS b FROM stats_trackers t
		JOIN stats_domains d ON d.id = t.domain
		WHERE t.day BETWEEN ? AND ? GROUP BY d.domain ORDER BY b DESC, d.domain LIMIT ?`, from, to, n)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	var out []TrackerCount
	for rows.Next() {
		var c TrackerCount
		if err := rows.Scan(&c.Domain, &c.Blocked); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PruneStats deletes the counters of days before day, and the tracker
// domains no remaining day refers to, and returns how many counter rows
// went.
func (s *Store) PruneStats(ctx context.Context, before int) (int64, error) {
	var total int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		for _, table := range []string{"stats_daily", "stats_trackers", "stats_requests"} {
			res, err := t.ExecContext(ctx, "DELETE FROM "+table+" WHERE day < ?", before)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		if total == 0 {
			return nil
		}
		_, err := t.ExecContext(ctx, "DELETE FROM stats_domains WHERE id NOT IN (SELECT DISTINCT domain FROM stats_trackers)")
		return err
	})
	return total, err
}

// AllStats returns every stored counter, for an export.
func (s *Store) AllStats(ctx context.Context) (StatsBatch, error) {
	b := StatsBatch{Requests: map[int]int64{}, Blocked: map[DayKey]int64{}, Trackers: map[DayKey]int64{}}
	read := func(query string, f func(day int, key string, n int64)) error {
		rows, err := s.db.QueryContext(ctx, query)
		if err != nil {
			return explain(err)
		}
		defer rows.Close()
		for rows.Next() {
			var day int
			var key string
			var n int64
			if err := rows.Scan(&day, &key, &n); err != nil {
				return err
			}
			f(day, key, n)
		}
		return rows.Err()
	}
	if err := read("SELECT day, '', requests FROM stats_requests", func(d int, _ string, n int64) { b.Requests[d] = n }); err != nil {
		return b, err
	}
	if err := read("SELECT day, category, blocked FROM stats_daily", func(d int, k string, n int64) { b.Blocked[DayKey{d, k}] = n }); err != nil {
		return b, err
	}
	err := read(`SELECT t.day, d.domain, t.blocked FROM stats_trackers t JOIN stats_domains d ON d.id = t.domain`,
		func(d int, k string, n int64) { b.Trackers[DayKey{d, k}] = n })
	return b, err
}

// ReplaceStats deletes every stored counter and stores b instead, in one
// transaction (an import).
func (s *Store) ReplaceStats(ctx context.Context, b StatsBatch) error {
	err := s.tx(ctx, func(t *sql.Tx) error {
		for _, table := range []string{"stats_trackers", "stats_daily", "stats_requests", "stats_domains"} {
			if _, err := t.ExecContext(ctx, "DELETE FROM "+table); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.AddStats(ctx, b)
}
