// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/store"
)

// Exported is one subscription in a data export. A copy of a local file
// carries its text (the file it came from may be gone when importing).
type Exported struct {
	Name      string `json:"name"`
	URL       string `json:"url,omitempty"` // http(s), or builtin:NAME; "" for a local copy
	Catalogue string `json:"catalogue,omitempty"`
	Format    string `json:"format,omitempty"`
	Category  string `json:"category,omitempty"`
	Enabled   bool   `json:"enabled"`
	// IntervalHours between automatic updates; 0 is off.
	IntervalHours int    `json:"intervalHours"`
	Origin        string `json:"origin,omitempty"`
	Text          string `json:"text,omitempty"`
}

// Export returns the subscriptions for a data export.
func (e *Engine) Export(ctx context.Context) ([]Exported, error) {
	st, err := e.store()
	if err != nil {
		return nil, err
	}
	rows, err := st.Lists(ctx)
	if err != nil {
		return nil, err
	}
	out := []Exported{}
	for _, r := range rows {
		x := Exported{Name: r.Name, URL: r.URL, Catalogue: r.Catalogue, Format: r.Format, Category: r.Category,
			Enabled: r.Enabled, IntervalHours: int(r.Interval / time.Hour), Origin: r.Origin}
		if r.URL == "" {
			b, err := readLimited(e.cachePath(r.ID))
			if err != nil {
				return nil, fmt.Errorf("list %q: %w", r.Name, err)
			}
			x.Text = string(b)
		}
		out = append(out, x)
	}
	return out, nil
}

// ParseExport reads and checks the subscriptions of an export, changing
// nothing.
func ParseExport(raw json.RawMessage) ([]Exported, error) {
	var ls []Exported
	if err := json.Unmarshal(raw, &ls); err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	seen := map[string]bool{}
	for i, l := range ls {
		where := fmt.Sprintf("lists[%d] (%q)", i, l.Name)
		switch {
		case l.Name == "":
			return nil, fmt.Errorf("%s: no name", where)
		case l.IntervalHours < 0 || l.IntervalHours > 7*24 || settings.CheckListInterval(time.Duration(l.IntervalHours)*time.Hour) != nil:
			return nil, fmt.Errorf("%s: update interval %d h is not one of off, 12 h, 1 day, 4 days, 7 days", where, l.IntervalHours)
		case l.Category != "" && !blocklist.IsCategory(l.Category):
			return nil, fmt.Errorf("%s: unknown category %q", where, l.Category)
		case strings.HasPrefix(l.URL, "builtin:"):
			if _, _, _, err := builtinText(strings.TrimPrefix(l.URL, "builtin:")); err != nil {
				return nil, fmt.Errorf("%s: %v (this version of Polaris has only builtin:polaris)", where, err)
			}
		case l.URL != "":
			if err := checkListURL(l.URL); err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
		default:
			if _, err := checkList([]byte(l.Text), l.Category, blocklist.ListMeta{Name: l.Name}); err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
		}
		if l.URL != "" {
			if seen[l.URL] {
				return nil, fmt.Errorf("%s: %s appears twice", where, l.URL)
			}
			seen[l.URL] = true
		}
	}
	return ls, nil
}

// Import makes the subscriptions those of an import: lists not in it
// are removed, the others added or updated. Downloaded lists are fetched
// again by the running Polaris; local copies come from the export's text.
func (e *Engine) Import(ctx context.Context, ls []Exported) error {
	st, err := e.store()
	if err != nil {
		return err
	}
	byURL, err := e.downloadedRows(ctx, st)
	if err != nil {
		return err
	}
	keep := map[int64]bool{}
	for _, l := range ls {
		id, err := e.importList(ctx, st, l, byURL)
		if err != nil {
			return err
		}
		keep[id] = true
	}
	for url, r := range byURL {
		if !keep[r.ID] {
			if err := st.RemoveList(ctx, r.ID); err != nil {
				return fmt.Errorf("removing %s: %w", url, err)
			}
			os.Remove(e.cachePath(r.ID))
		}
	}
	e.Reload(ctx)
	return nil
}

// downloadedRows returns the subscriptions that have an address, by
// address, and removes the local copies (the export brings them back).
func (e *Engine) downloadedRows(ctx context.Context, st *store.Store) (map[string]store.ListRow, error) {
	rows, err := st.Lists(ctx)
	if err != nil {
		return nil, err
	}
	byURL := map[string]store.ListRow{}
	for _, r := range rows {
		if r.URL != "" {
			byURL[r.URL] = r
		} else if err := st.RemoveList(ctx, r.ID); err == nil {
			os.Remove(e.cachePath(r.ID))
		}
	}
	return byURL, nil
}

// importList updates the subscription to l's address, or adds l, and
// returns its id. A local copy is written from the export's text; a new
// downloaded list is asked for an update.
func (e *Engine) importList(ctx context.Context, st *store.Store, l Exported, byURL map[string]store.ListRow) (int64, error) {
	every := time.Duration(l.IntervalHours) * time.Hour
	if r, ok := byURL[l.URL]; ok && l.URL != "" {
		if err := st.SetListEnabled(ctx, r.ID, l.Enabled); err != nil {
			return 0, err
		}
		return r.ID, st.SetListInterval(ctx, r.ID, every)
	}
	row := store.ListRow{Name: l.Name, URL: l.URL, Catalogue: l.Catalogue, Origin: l.Origin, Format: l.Format,
		Category: l.Category, Enabled: l.Enabled, Interval: every, Added: time.Now()}
	id, err := st.AddList(ctx, row)
	if err != nil {
		return 0, err
	}
	switch {
	case l.URL == "":
		sum, err := e.writeCache(id, []byte(l.Text))
		if err != nil {
			return 0, err
		}
		stats, _ := checkList([]byte(l.Text), l.Category, blocklist.ListMeta{Name: l.Name})
		st.SaveListTry(ctx, id, store.ListTry{Time: time.Now(), Changed: true, Rules: ruleCount(stats), BadLines: stats.Bad + stats.Inert, SHA256: sum})
	case !strings.HasPrefix(l.URL, builtinPrefix):
		st.AskListUpdate(ctx, id, time.Now())
	}
	return id, nil
}
