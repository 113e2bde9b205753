// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"context"
	"strings"
	"time"

	"polaris/blocklist"
	"polaris/internal/store"
)

// FirstLoad compiles the lists Polaris has and downloads the ones it has
// never had (within Config.FirstLoadBudget, unless NoAutoUpdate), for a
// run that just started: traffic waits for it.
func (e *Engine) FirstLoad(ctx context.Context) {
	rows := e.Refresh(ctx)
	e.Rebuild(ctx)
	var missing []int64
	for _, r := range rows {
		if r.Enabled && IsDownloaded(r) && (r.SHA256 == "" || !fileExists(e.cachePath(r.ID))) {
			missing = append(missing, r.ID)
		}
	}
	if len(missing) > 0 && !e.cfg.NoAutoUpdate {
		bctx, cancel := context.WithTimeout(ctx, e.cfg.FirstLoadBudget)
		for _, id := range missing {
			if bctx.Err() != nil {
				break
			}
			e.updateList(bctx, id, false)
		}
		cancel()
		e.Refresh(ctx)
		e.Rebuild(ctx)
	}
}

// Schedule updates lists when they are due, until ctx ends.
func (e *Engine) Schedule(ctx context.Context) {
	t := time.NewTicker(e.cfg.CheckInterval)
	defer t.Stop()
	for {
		for _, id := range e.dueLists(time.Now()) {
			if ctx.Err() != nil {
				return
			}
			e.updateList(ctx, id, true)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		}
	}
}

func (e *Engine) dueLists(now time.Time) []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []int64
	for _, r := range e.rows {
		if e.cfg.NoAutoUpdate && r.UpdateAsked.IsZero() {
			continue
		}
		if n := nextUpdate(r); !n.IsZero() && !n.After(now) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func (e *Engine) setUpdating(id int64, on bool) {
	e.mu.Lock()
	if e.updating == nil {
		e.updating = map[int64]bool{}
	}
	if on {
		e.updating[id] = true
	} else {
		delete(e.updating, id)
	}
	e.mu.Unlock()
	e.cfg.Changed()
}

// Reconcile keeps catalogue lists in line with this version's
// catalogue (a list that moved, a corrected licence).
func (e *Engine) Reconcile(ctx context.Context) {
	st, err := e.store()
	if err != nil {
		return
	}
	rows, err := st.Lists(ctx)
	if err != nil {
		return
	}
	for _, r := range rows {
		if name, ok := strings.CutPrefix(r.URL, builtinPrefix); ok {
			e.refreshBuiltin(ctx, st, r, name)
		}
		ent, ok := catalogueEntry(r.Catalogue)
		if !ok || r.Catalogue == "" {
			continue
		}
		want := r
		want.URL, want.Format, want.Category, want.License, want.NonCommercial = ent.URL, ent.Format, ent.Category, ent.License, ent.NonCommercial
		if want.Name == "" {
			want.Name = ent.Name
		}
		if want != r {
			if err := st.SetListInfo(ctx, want); err != nil {
				e.cfg.Logf("updating the description of list %q: %v", r.Name, err)
			}
		}
	}
}

// refreshBuiltin records the rule count of a built-in list once per
// version of Polaris (the digest of its text changes with it).
func (e *Engine) refreshBuiltin(ctx context.Context, st *store.Store, r store.ListRow, name string) {
	_, _, digest, err := builtinText(name)
	if err != nil || r.SHA256 == digest {
		return
	}
	_, stats, err := parseBuiltin(name, blocklist.ListMeta{Name: r.Name})
	if err != nil {
		return
	}
	st.SaveListTry(ctx, r.ID, store.ListTry{Time: time.Now(), Changed: true, Rules: stats.Rules, BadLines: stats.Bad, SHA256: digest})
}
