// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"context"
	"strings"

	"polaris/internal/status"
	"polaris/internal/store"
)

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
	if !IsDownloaded(r) {
		l.Interval = 0
	}
	return l
}

// listStatus returns one list as the user sees it.
func (e *Engine) listStatus(ctx context.Context, id int64) (status.List, error) {
	st, err := e.store()
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
func (e *Engine) Lists(ctx context.Context) ([]status.List, error) {
	st, err := e.store()
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
func (e *Engine) Catalogue() []status.CatalogueEntry {
	cat, _ := catalogue()
	return cat
}

// Fill puts the catalogue, the lists (with the ones updating now and why a
// list could not be loaded) and the problems of the user's own rules into
// a snapshot.
func (e *Engine) Fill(b *status.Blocking) {
	b.Catalogue = e.Catalogue()
	e.mu.Lock()
	defer e.mu.Unlock()
	b.CustomErrors = append([]status.RuleError(nil), e.customErrs...)
	for _, r := range e.rows {
		l := statusList(r)
		l.Updating = e.updating[r.ID]
		if p := e.problems[r.ID]; p != "" && l.LastError == "" {
			l.LastError = p
		}
		b.Lists = append(b.Lists, l)
	}
}
