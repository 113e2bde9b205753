// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"time"

	"polaris/internal/status"
)

// The blocklists are internal/lists's; the App gives the window and the
// command line their operations.

// AddList subscribes to a list: an http(s) URL, a catalogue id (such as
// "easyprivacy"), or a local file, which is read once and copied into the
// cache. name may be "". The list is downloaded (or read) and checked
// before AddList returns; if that fails nothing is added.
func (a *App) AddList(ctx context.Context, source, name string) error {
	return a.lists.AddList(ctx, source, name)
}

// AddListSource is AddList returning the new list.
func (a *App) AddListSource(ctx context.Context, source, name string) (status.List, error) {
	return a.lists.AddListSource(ctx, source, name)
}

// RemoveList unsubscribes from a list and deletes its cached copy.
func (a *App) RemoveList(ctx context.Context, id int64) error { return a.lists.RemoveList(ctx, id) }

// SetListEnabled switches a list on or off. A list switched on that has
// never been downloaded is downloaded by the running Polaris.
func (a *App) SetListEnabled(ctx context.Context, id int64, on bool) error {
	return a.lists.SetListEnabled(ctx, id, on)
}

// SetListInterval sets how often a list updates (settings.ListIntervals).
func (a *App) SetListInterval(ctx context.Context, id int64, every time.Duration) error {
	return a.lists.SetListInterval(ctx, id, every)
}

// UpdateLists updates one list now, or every enabled list when id is 0,
// and returns once done.
func (a *App) UpdateLists(ctx context.Context, id int64) error { return a.lists.UpdateLists(ctx, id) }

// UpdateListFromFile replaces the copy of a downloaded list with a file the
// user got another way (its server blocked or unreachable).
func (a *App) UpdateListFromFile(ctx context.Context, id int64, path string) (status.List, error) {
	return a.lists.UpdateListFromFile(ctx, id, path)
}

// Lists returns every subscribed list, read from the database.
func (a *App) Lists(ctx context.Context) ([]status.List, error) { return a.lists.Lists(ctx) }

// Catalogue returns the well-known lists one can subscribe to.
func (a *App) Catalogue() []status.CatalogueEntry { return a.lists.Catalogue() }
