// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
)

// Refresh reads the list rows into memory (for status and the
// scheduler) and returns them.
func (e *Engine) Refresh(ctx context.Context) []store.ListRow {
	st, err := e.store()
	if err != nil {
		// No database: keep the lists known, else block with the
		// built-in list rather than not at all.
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.rows) == 0 {
			e.rows = []store.ListRow{{ID: 1, Name: "Polaris tracker list", URL: builtinPrefix + "polaris", Catalogue: "polaris", Format: "abp", Enabled: true}}
		}
		return e.rows
	}
	rows, err := st.Lists(ctx)
	if err != nil {
		e.cfg.Logf("reading the lists: %v", err)
		return nil
	}
	e.mu.Lock()
	e.rows = rows
	e.mu.Unlock()
	e.cfg.Changed()
	return rows
}

// Reload is called after the lists changed (here or, through the
// database, in another process): it rereads them and, in the process that
// serves, rebuilds the matcher if what it is made of changed and wakes the
// scheduler for updates asked.
func (e *Engine) Reload(ctx context.Context) {
	e.Refresh(ctx)
	if !e.cfg.Serving() {
		return
	}
	e.Rebuild(ctx)
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Base is the matcher compiled from the lists and the user's rules (nil
// before the first compile, or with nothing to block with); the app puts
// the settings' categories and allowlist on top.
func (e *Engine) Base() *blocklist.Matcher {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.base
}

// Stale reports whether the settings s change what the matcher is compiled
// from (the user's rules, owner awareness), so that a Rebuild compiles.
func (e *Engine) Stale(s settings.Settings) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.key != "" && e.key != compileKey(e.rows, s)
}

// compileKey names what a matcher is compiled from; equal keys give equal
// matchers.
func compileKey(rows []store.ListRow, s settings.Settings) string {
	var b strings.Builder
	for _, r := range rows {
		if r.Enabled {
			fmt.Fprintf(&b, "%d|%s|%s|%s|%s|%s\n", r.ID, r.SHA256, r.Format, r.Category, r.Name, r.URL)
		}
	}
	fmt.Fprintf(&b, "owners=%v\ncustom=%s", s.Blocking.OwnerParties, s.Blocking.CustomRules)
	return b.String()
}

// Rebuild compiles a matcher from the enabled lists and the user's rules
// and, when it is complete, makes it Base and calls Config.Publish (also
// when nothing had to be compiled: the settings' view may have changed). Concurrent calls coalesce: a call
// returns once a compile that started after it was made has finished. A
// failed compile keeps the matcher in force.
func (e *Engine) Rebuild(ctx context.Context) error {
	want := e.gen.Add(1)
	e.buildMu.Lock()
	defer e.buildMu.Unlock()
	if e.built.Load() >= want {
		return nil
	}
	cur := e.gen.Load()
	defer e.built.Store(cur)
	s := e.cfg.Settings()
	e.mu.Lock()
	rows := append([]store.ListRow(nil), e.rows...)
	same := e.key == compileKey(rows, s) && e.key != ""
	e.mu.Unlock()
	if same {
		e.cfg.Publish(s)
		return nil
	}
	lists, problems := e.loadLists(ctx, rows)
	custom, customErrs := parseCustom(s.Blocking.CustomRules)
	if custom != nil {
		lists = append(lists, custom)
	}
	var m *blocklist.Matcher
	if len(lists) > 0 {
		var err error
		lists = append([]*blocklist.List{SurrogateList()}, lists...)
		m, err = blocklist.Compile(lists, blocklist.Options{OwnerParties: s.Blocking.OwnerParties})
		if err != nil {
			e.cfg.Notice(status.Error, "Polaris could not build its blocklists (it keeps the ones in force): %v", err)
			return err
		}
	}
	e.mu.Lock()
	e.base, e.key, e.problems, e.customErrs = m, compileKey(rows, s), problems, customErrs
	announce := len(customErrs) > 0 && e.customSeen != s.Blocking.CustomRules
	e.customSeen = s.Blocking.CustomRules
	e.mu.Unlock()
	e.cfg.Publish(s)
	if announce {
		first := customErrs[0]
		e.cfg.Notice(status.Warning, "%d of your own rules were skipped; the first, on line %d (%q): %s", len(customErrs), first.Line, first.Text, first.Err)
	}
	e.cfg.Changed()
	return nil
}

// loadLists reads and parses every enabled list. A list that cannot be
// read or parsed is left out, and why is returned by list id.
func (e *Engine) loadLists(ctx context.Context, rows []store.ListRow) ([]*blocklist.List, map[int64]string) {
	var out []*blocklist.List
	problems := map[int64]string{}
	for _, r := range rows {
		if !r.Enabled || ctx.Err() != nil {
			continue
		}
		meta := blocklist.ListMeta{Name: r.Name, Source: r.URL, License: r.License, Category: r.Category}
		if checkCategory(r.Category) != nil {
			meta.Category = ""
		}
		if name, ok := strings.CutPrefix(r.URL, builtinPrefix); ok {
			ls, stats, err := parseBuiltin(name, meta)
			if err != nil {
				problems[r.ID] = err.Error()
				continue
			}
			e.saveCounts(ctx, r, stats.Rules, stats.Bad)
			out = append(out, ls...)
			continue
		}
		if r.SHA256 == "" {
			continue // not downloaded yet
		}
		data, err := os.ReadFile(e.cachePath(r.ID))
		if err != nil {
			problems[r.ID] = fmt.Sprintf("the copy of the list cannot be read: %v", err)
			continue
		}
		meta.Format, _ = blocklist.ParseFormat(r.Format)
		l, err := blocklist.Parse(bytes.NewReader(data), meta)
		if err != nil {
			problems[r.ID] = err.Error()
			continue
		}
		e.saveCounts(ctx, r, ruleCount(l.Stats), l.Stats.Bad+l.Stats.Inert)
		out = append(out, l)
	}
	return out, problems
}

func (e *Engine) saveCounts(ctx context.Context, r store.ListRow, rules, bad int) {
	if r.Rules == rules && r.BadLines == bad {
		return
	}
	if st, err := e.store(); err == nil {
		st.SaveListCounts(ctx, r.ID, rules, bad)
	}
}

// parseCustom parses the user's own rules. The lines that are skipped or
// that a proxy does not apply (element hiding) are returned, at most 100.
func parseCustom(text string) (*blocklist.List, []status.RuleError) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var errs []status.RuleError
	for i, line := range strings.Split(text, "\n") {
		if err := blocklist.ValidateRule(line); err != nil && len(errs) < 100 {
			errs = append(errs, status.RuleError{Line: i + 1, Text: strings.TrimSpace(line), Err: err.Error()})
		}
	}
	l, err := blocklist.ParseString(text, blocklist.ListMeta{Name: "My rules", Format: blocklist.FormatABP})
	if err != nil {
		return nil, errs
	}
	return l, errs
}
