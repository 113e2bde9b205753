// SPDX-License-Identifier: GPL-3.0-or-later

package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"polaris/blocklist"
	"polaris/internal/store"
)

// Day is one day of statistics in a data export.
type Day struct {
	Day      int              `json:"day"` // YYYYMMDD
	Requests int64            `json:"requests"`
	Blocked  map[string]int64 `json:"blockedByCategory,omitempty"`
	Trackers map[string]int64 `json:"blockedByTracker,omitempty"`
}

// Export returns every stored day, oldest first, after writing what is
// counted but not written yet.
func (s *Stats) Export(ctx context.Context) ([]Day, error) {
	s.Flush(ctx)
	st, err := s.cfg.Store()
	if err != nil {
		return nil, err
	}
	b, err := st.AllStats(ctx)
	if err != nil {
		return nil, err
	}
	days := map[int]*Day{}
	day := func(d int) *Day {
		if days[d] == nil {
			days[d] = &Day{Day: d, Blocked: map[string]int64{}, Trackers: map[string]int64{}}
		}
		return days[d]
	}
	for d, n := range b.Requests {
		day(d).Requests = n
	}
	for k, n := range b.Blocked {
		day(k.Day).Blocked[k.Key] = n
	}
	for k, n := range b.Trackers {
		day(k.Day).Trackers[k.Key] = n
	}
	out := []Day{}
	for _, d := range days {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(x, y Day) int { return x.Day - y.Day })
	return out, nil
}

// ParseExport reads and checks the days of an export, changing nothing.
func ParseExport(raw json.RawMessage) (store.StatsBatch, error) {
	var ds []Day
	b := newBatch()
	if err := json.Unmarshal(raw, &ds); err != nil {
		return b, fmt.Errorf("stats: %w", err)
	}
	for _, d := range ds {
		if _, err := time.Parse("20060102", fmt.Sprint(d.Day)); err != nil {
			return b, fmt.Errorf("stats: %d is not a day (YYYYMMDD)", d.Day)
		}
		if d.Requests < 0 {
			return b, fmt.Errorf("stats: negative count on %d", d.Day)
		}
		if _, dup := b.Requests[d.Day]; dup {
			return b, fmt.Errorf("stats: the day %d appears twice", d.Day)
		}
		b.Requests[d.Day] = d.Requests
		for c, n := range d.Blocked {
			if (c != "" && !blocklist.IsCategory(c)) || n < 0 {
				return b, fmt.Errorf("stats: bad count %q=%d on %d", c, n, d.Day)
			}
			b.Blocked[store.DayKey{Day: d.Day, Key: c}] = n
		}
		for dom, n := range d.Trackers {
			if _, err := blocklist.RegistrableDomain(dom); (err != nil && !isIP(dom)) || n < 0 {
				return b, fmt.Errorf("stats: bad tracker count %q=%d on %d", dom, n, d.Day)
			}
			b.Trackers[store.DayKey{Day: d.Day, Key: dom}] = n
		}
	}
	return b, nil
}

func isIP(s string) bool {
	return strings.Trim(s, "0123456789.:abcdef") == "" && strings.ContainsAny(s, ".:")
}

// Import replaces the stored counters with an export's.
func (s *Stats) Import(ctx context.Context, b store.StatsBatch) error {
	st, err := s.cfg.Store()
	if err != nil {
		return err
	}
	return st.ReplaceStats(ctx, b)
}
