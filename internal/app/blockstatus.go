// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
)

// blockingStatus fills the blocking part of a snapshot.
func (a *App) blockingStatus(b *status.Blocking, s settings.Settings, now time.Time) {
	b.Enabled = s.Protection
	a.blk.mu.Lock()
	switch {
	case a.blk.paused.Equal(proxy.PauseUntilRestart):
		b.PausedUntilRestart = true
	case a.blk.paused.After(now):
		b.PausedUntil = a.blk.paused
	}
	running := a.blk.proxy.Load() != nil
	b.Loading = running && !a.blk.ready
	if a.blk.active != nil {
		st := a.blk.active.Stats()
		b.Rules = st.Rules + st.Trackers
	}
	a.blk.mu.Unlock()
	a.lists.Fill(b)
	a.stats.Fill(b, now)
}

// RecentDecisions returns up to max of the newest decisions, newest first.
func (a *App) RecentDecisions(max int) []status.Decision { return a.stats.RecentDecisions(max) }

// StatsReport returns the stored counts of the last days (today
// included), oldest first, and the tracker domains blocked most over
// them. A running Polaris writes its counts every StatsFlushInterval.
func (a *App) StatsReport(ctx context.Context, days int) ([]status.DayCount, []status.TrackerCount, error) {
	return a.stats.Report(ctx, days)
}
