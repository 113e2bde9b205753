// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"strings"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/proxy"
)

// blockingStatus fills the blocking part of a snapshot.
func (a *App) blockingStatus(b *status.Blocking, s settings.Settings, now time.Time) {
	b.Enabled = s.Protection
	cat, _ := catalogue()
	b.Catalogue = cat
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
	b.CustomErrors = append([]status.RuleError(nil), a.blk.customErrs...)
	for _, r := range a.blk.rows {
		l := statusList(r)
		l.Updating = a.blk.updating[r.ID]
		if p := a.blk.problems[r.ID]; p != "" && l.LastError == "" {
			l.LastError = p
		}
		b.Lists = append(b.Lists, l)
	}
	a.blk.mu.Unlock()
	a.stats.Fill(b, now)
}

// statusList describes a list row for the user.
func statusList(r store.ListRow) status.List {
	l := status.List{
		ID: r.ID, Name: r.Name, URL: r.URL, Format: r.Format, Category: r.Category, License: r.License,
		NonCommercial: r.NonCommercial, Enabled: r.Enabled, Rules: r.Rules, Errors: r.BadLines,
		LastTry: r.LastTry, LastSuccess: r.LastSuccess, LastError: r.LastError, Interval: r.Interval,
		Catalogue: r.Catalogue, Source: r.Origin, NextUpdate: nextUpdate(r),
	}
	if strings.HasPrefix(r.URL, builtinPrefix) {
		l.URL, l.Builtin = "", true
	}
	if !isDownloaded(r) {
		l.Interval = 0
	}
	return l
}

// listStatus returns one list as the user sees it.
func (a *App) listStatus(ctx context.Context, id int64) (status.List, error) {
	st, err := a.store()
	if err != nil {
		return status.List{}, err
	}
	r, err := st.List(ctx, id)
	if err != nil {
		return status.List{}, plainListErr(err, id)
	}
	return statusList(r), nil
}

// Lists returns every subscribed list, read from the database.
func (a *App) Lists(ctx context.Context) ([]status.List, error) {
	st, err := a.store()
	if err != nil {
		return nil, err
	}
	rows, err := st.Lists(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]status.List, 0, len(rows))
	for _, r := range rows {
		out = append(out, statusList(r))
	}
	return out, nil
}

// Catalogue returns the well-known lists one can subscribe to.
func (a *App) Catalogue() []status.CatalogueEntry {
	cat, _ := catalogue()
	return cat
}

// RecentDecisions returns up to max of the newest decisions, newest first.
func (a *App) RecentDecisions(max int) []status.Decision { return a.stats.RecentDecisions(max) }

// StatsReport returns the stored counts of the last days (today
// included), oldest first, and the tracker domains blocked most over
// them. A running Polaris writes its counts every StatsFlushInterval.
func (a *App) StatsReport(ctx context.Context, days int) ([]status.DayCount, []status.TrackerCount, error) {
	return a.stats.Report(ctx, days)
}
