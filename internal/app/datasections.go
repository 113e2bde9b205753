// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"encoding/json"

	"polaris/internal/lists"
	"polaris/internal/stats"
)

// The blocklists and statistics sections of a data export.

var statsSection = exportSection{
	name: "stats",
	export: func(a *App, ctx context.Context) (any, error) {
		return a.stats.Export(ctx)
	},
	check: func(a *App, raw json.RawMessage) error {
		_, err := stats.ParseExport(raw)
		return err
	},
	load: func(a *App, ctx context.Context, raw json.RawMessage) error {
		b, err := stats.ParseExport(raw)
		if err != nil {
			return err
		}
		return a.stats.Import(ctx, b)
	},
}

var listsSection = exportSection{
	name: "lists",
	export: func(a *App, ctx context.Context) (any, error) {
		return a.lists.Export(ctx)
	},
	check: func(a *App, raw json.RawMessage) error {
		_, err := lists.ParseExport(raw)
		return err
	},
	load: func(a *App, ctx context.Context, raw json.RawMessage) error {
		ls, err := lists.ParseExport(raw)
		if err != nil {
			return err
		}
		return a.lists.Import(ctx, ls)
	},
}
