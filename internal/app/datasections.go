// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"polaris/internal/lists"
	"polaris/internal/settings"
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

// Lists that widen exposure. An import replaces the subscriptions, so a
// file can let through what the lists block now as surely as with an
// allowlist: by bringing a list of exception rules (@@), by putting a
// stranger's address in charge of what is blocked, or by dropping or
// turning off a list that blocks. Those are shown with the settings that
// widen exposure and applied only when confirmed (ImportData); otherwise
// the current lists keep their place and the rest of the file's lists is
// imported.

// listKey is the Change.Key of the lists.
const listKey = "lists"

// listChange is one widening list change: the change shown, and how to
// leave it out of the file's lists.
type listChange struct {
	settings.Change
	drop int             // index in the file's lists to leave out, or -1
	keep *lists.Exported // a current list to keep as it is, or nil
}

// ownExceptions returns the exception rules (@@) of an own list's text.
func ownExceptions(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if r := strings.TrimSpace(line); strings.HasPrefix(r, "@@") {
			out = append(out, r)
		}
	}
	return out
}

// listWidening compares the current subscriptions with a file's.
func (a *App) listWidening(ctx context.Context, raw json.RawMessage) ([]listChange, error) {
	next, err := lists.ParseExport(raw)
	if err != nil {
		return nil, err
	}
	cur, err := a.lists.Export(ctx)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, c := range a.lists.Catalogue() {
		known[c.URL] = true
	}
	curURL := map[string]lists.Exported{}
	haveRule := map[string]bool{}
	for _, l := range cur {
		if l.URL != "" {
			curURL[l.URL] = l
		} else if l.Enabled {
			for _, r := range ownExceptions(l.Text) {
				haveRule[r] = true
			}
		}
	}
	var out []listChange
	nextURL := map[string]lists.Exported{}
	nextText := map[string]bool{}
	for i, l := range next {
		switch {
		case l.URL != "":
			nextURL[l.URL] = l
			if _, ok := curURL[l.URL]; !ok && l.Enabled && !known[l.URL] {
				out = append(out, listChange{settings.Change{Key: listKey, To: fmt.Sprintf("%q from %s", l.Name, l.URL),
					Why: "Polaris would download rules from this address regularly: whoever runs it decides what is blocked and what is let through"}, i, nil})
			}
		case l.Enabled:
			nextText[l.Text] = true
			var added []string
			for _, r := range ownExceptions(l.Text) {
				if !haveRule[r] && !slices.Contains(added, r) {
					added = append(added, r)
				}
			}
			if len(added) > 0 {
				shown := added
				if len(shown) > 5 {
					shown = append(slices.Clone(shown[:5]), fmt.Sprintf("and %d more", len(added)-5))
				}
				out = append(out, listChange{settings.Change{Key: listKey, To: fmt.Sprintf("%q with %s", l.Name, strings.Join(shown, " ")),
					Why: "these rules let through requests that the other lists block"}, i, nil})
			}
		}
	}
	for _, l := range cur {
		if !l.Enabled {
			continue
		}
		keep := l
		switch n, ok := nextURL[l.URL]; {
		case l.URL != "" && !ok:
			out = append(out, listChange{settings.Change{Key: listKey, From: l.Name, To: "(removed)",
				Why: "what this list blocks would go through"}, -1, &keep})
		case l.URL != "" && !n.Enabled:
			out = append(out, listChange{settings.Change{Key: listKey, From: l.Name, To: "(off)",
				Why: "what this list blocks would go through"}, -1, &keep})
		case l.URL == "" && !nextText[l.Text]:
			out = append(out, listChange{settings.Change{Key: listKey, From: l.Name, To: "(removed or off)",
				Why: "what this list blocks would go through"}, -1, &keep})
		}
	}
	return out, nil
}

// keepCurrentLists returns the file's lists without the widening changes:
// new lists left out, current ones kept as they are.
func keepCurrentLists(raw json.RawMessage, changes []listChange) (json.RawMessage, error) {
	next, err := lists.ParseExport(raw)
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	var keep []lists.Exported
	for _, c := range changes {
		if c.drop >= 0 {
			drop[c.drop] = true
		}
		if c.keep != nil {
			keep = append(keep, *c.keep)
		}
	}
	out := []lists.Exported{}
	for i, l := range next {
		if drop[i] || slices.ContainsFunc(keep, func(k lists.Exported) bool {
			return l.URL != "" && k.URL == l.URL || l.URL == "" && k.URL == "" && k.Text == l.Text
		}) {
			continue
		}
		out = append(out, l)
	}
	out = append(out, keep...)
	return json.Marshal(out)
}
