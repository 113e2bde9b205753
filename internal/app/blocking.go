// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/proxy"
)

// Tracker blocking, as the app runs it: the enabled lists and the user's
// own rules are compiled into one matcher in the background and swapped
// into the proxy only when complete; the categories and the allowlist are
// applied on top of it instantly (Matcher.WithCategories/WithAllowlist).

// blockingState is the App's part of tracker blocking.
type blockingState struct {
	proxy     atomic.Pointer[proxy.Proxy] // the serving proxy, nil when not running
	actionKey []byte                      // signs the block page's buttons, per run

	buildMu    sync.Mutex    // one compile at a time
	gen, built atomic.Uint64 // rebuild requests and the newest one served
	updateMu   sync.Mutex    // one download at a time

	mu         sync.Mutex // guards the fields below
	base       *blocklist.Matcher
	active     *blocklist.Matcher
	key        string // what base was compiled from
	ready      bool   // the first matcher of this run is in
	rows       []store.ListRow
	problems   map[int64]string // lists that could not be loaded, and why
	customErrs []status.RuleError
	customSeen string // custom rules whose errors were announced
	updating   map[int64]bool
	paused     time.Time // zero, an end time, or proxy.PauseUntilRestart
	pauseTimer *time.Timer
	kick       chan struct{} // wakes the update scheduler

	wg sync.WaitGroup // the goroutines of a run
}

// blockConfig is the proxy's blocking configuration for this App.
func (a *App) blockConfig() proxy.BlockConfig {
	a.blk.mu.Lock()
	if a.blk.actionKey == nil {
		a.blk.actionKey = make([]byte, 32)
		if _, err := rand.Read(a.blk.actionKey); err != nil {
			panic("app: no randomness: " + err.Error())
		}
	}
	key := a.blk.actionKey
	a.blk.mu.Unlock()
	return proxy.BlockConfig{
		Decisions:   a.stats.Record,
		AllowSite:   a.AllowSite,
		ActionKey:   key,
		HoldTimeout: a.opts.HoldTimeout,
		Exempt:      a.exemptHost,
	}
}

// exemptHost lets a blocked third party through when it posts the EFF
// Do Not Track policy and the user chose to honour that
// (blocking.honor-dnt-policy), as Privacy Badger does. A host not known
// yet is queued for a check (its /.well-known/dnt-policy.txt, once per
// session), so a later request may pass.
func (a *App) exemptHost(host string) string {
	if !a.hx.honorEFF.Load() {
		return ""
	}
	site, err := settings.RegistrableDomain(host)
	if err != nil {
		site = host
	}
	if a.HonorsDNTPolicy(site) {
		return "posts the EFF Do Not Track policy"
	}
	a.QueueSiteCheck(host)
	return ""
}

// setupProxy brings a new proxy in line with the blocking state: matcher,
// pause, and a hold while the lists are not loaded yet.
func (a *App) setupProxy(p *proxy.Proxy, s settings.Settings) {
	a.blk.mu.Lock()
	defer a.blk.mu.Unlock()
	p.SetMatcher(a.blk.active)
	p.Pause(a.blk.paused)
	if !a.blk.ready && s.Protection && s.Blocking.HoldUntilLoaded {
		p.Hold("the lists are being loaded")
	}
}

// startBlocking loads the lists for a run that just started serving with
// p, then keeps them up to date and counts decisions until ctx ends.
func (a *App) startBlocking(ctx context.Context, p *proxy.Proxy) {
	a.useProxy(p)
	a.blk.mu.Lock()
	a.blk.kick = make(chan struct{}, 1)
	a.blk.mu.Unlock()
	a.stats.Start()
	a.stats.Persist(ctx, a.Settings().Data.LogPersist)
	a.stats.LoadLog(ctx)
	a.goSafe("lists", func() { a.firstLoad(ctx); a.scheduleUpdates(ctx) })
	a.goSafe("stats", func() { a.stats.Loop(ctx) })
}

// useProxy makes p the proxy blocking works with (a new listener replaces
// the old one). A proxy that was set up holding traffic is released if the
// lists are loaded by now: no window where it would stay held.
func (a *App) useProxy(p *proxy.Proxy) {
	a.blk.mu.Lock()
	defer a.blk.mu.Unlock()
	a.blk.proxy.Store(p)
	if p != nil && a.blk.ready {
		p.Release()
	}
}

// stopBlocking waits for the run's goroutines (ctx is done), writes the
// last statistics and forgets the proxy.
func (a *App) stopBlocking() {
	a.blk.wg.Wait()
	// The proxy is shut down: count what it decided last.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	a.stats.Flush(ctx)
	cancel()
	a.blk.proxy.Store(nil)
	a.blk.mu.Lock()
	a.blk.ready = false
	a.blk.mu.Unlock()
}

// goSafe runs f in a goroutine owned by the run; a panic is logged, not
// fatal.
func (a *App) goSafe(name string, f func()) {
	a.blk.wg.Add(1)
	go func() {
		defer a.blk.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				a.noticef(status.Error, "Internal error in %s (please report it): %v", name, r)
				a.log.Printf("%s", debug.Stack())
			}
		}()
		f()
	}()
}

// firstLoad compiles the lists Polaris has, downloads the ones it has
// never had (within Options.FirstLoadBudget), and then lets traffic
// through.
func (a *App) firstLoad(ctx context.Context) {
	rows := a.refreshLists(ctx)
	a.rebuild(ctx)
	var missing []int64
	for _, r := range rows {
		if r.Enabled && isDownloaded(r) && (r.SHA256 == "" || !fileExists(a.cachePath(r.ID))) {
			missing = append(missing, r.ID)
		}
	}
	if len(missing) > 0 && !a.opts.NoAutoUpdate {
		bctx, cancel := context.WithTimeout(ctx, a.opts.FirstLoadBudget)
		for _, id := range missing {
			if bctx.Err() != nil {
				break
			}
			a.updateList(bctx, id, false)
		}
		cancel()
		a.refreshLists(ctx)
		a.rebuild(ctx)
	}
	a.blk.mu.Lock()
	a.blk.ready = true
	p := a.blk.proxy.Load()
	a.blk.mu.Unlock()
	if p != nil {
		p.Release()
	}
	a.log.Printf("blocklists loaded: %d rules", a.activeRules())
	a.hub.poke()
}

// scheduleUpdates updates lists when they are due, until ctx ends.
func (a *App) scheduleUpdates(ctx context.Context) {
	t := time.NewTicker(a.opts.ListCheckInterval)
	defer t.Stop()
	for {
		for _, id := range a.dueLists(time.Now()) {
			if ctx.Err() != nil {
				return
			}
			a.updateList(ctx, id, true)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.blk.kick:
		}
	}
}

func (a *App) dueLists(now time.Time) []int64 {
	a.blk.mu.Lock()
	defer a.blk.mu.Unlock()
	var ids []int64
	for _, r := range a.blk.rows {
		if a.opts.NoAutoUpdate && r.UpdateAsked.IsZero() {
			continue
		}
		if n := nextUpdate(r); !n.IsZero() && !n.After(now) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// reconcileCatalogue keeps catalogue lists in line with this version's
// catalogue (a list that moved, a corrected licence).
func (a *App) reconcileCatalogue(ctx context.Context) {
	st, err := a.store()
	if err != nil {
		return
	}
	rows, err := st.Lists(ctx)
	if err != nil {
		return
	}
	for _, r := range rows {
		if name, ok := strings.CutPrefix(r.URL, builtinPrefix); ok {
			a.refreshBuiltin(ctx, st, r, name)
		}
		e, ok := catalogueEntry(r.Catalogue)
		if !ok || r.Catalogue == "" {
			continue
		}
		want := r
		want.URL, want.Format, want.Category, want.License, want.NonCommercial = e.URL, e.Format, e.Category, e.License, e.NonCommercial
		if want.Name == "" {
			want.Name = e.Name
		}
		if want != r {
			if err := st.SetListInfo(ctx, want); err != nil {
				a.log.Printf("updating the description of list %q: %v", r.Name, err)
			}
		}
	}
}

// refreshBuiltin records the rule count of a built-in list once per
// version of Polaris (the digest of its text changes with it).
func (a *App) refreshBuiltin(ctx context.Context, st *store.Store, r store.ListRow, name string) {
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

// refreshLists reads the list rows into memory (for status and the
// scheduler) and returns them.
func (a *App) refreshLists(ctx context.Context) []store.ListRow {
	st, err := a.store()
	if err != nil {
		// No database: keep the lists known, else block with the
		// built-in list rather than not at all.
		a.blk.mu.Lock()
		defer a.blk.mu.Unlock()
		if len(a.blk.rows) == 0 {
			a.blk.rows = []store.ListRow{{ID: 1, Name: "Polaris tracker list", URL: builtinPrefix + "polaris", Catalogue: "polaris", Format: "abp", Enabled: true}}
		}
		return a.blk.rows
	}
	rows, err := st.Lists(ctx)
	if err != nil {
		a.log.Printf("reading the lists: %v", err)
		return nil
	}
	a.blk.mu.Lock()
	a.blk.rows = rows
	a.blk.mu.Unlock()
	a.hub.poke()
	return rows
}

// listsChanged is called after the lists changed (here or, through the
// database, in another process): it rereads them, rebuilds the matcher if
// what it is made of changed, and wakes the scheduler for updates asked.
func (a *App) listsChanged(ctx context.Context) {
	a.refreshLists(ctx)
	if a.blk.proxy.Load() == nil {
		return
	}
	a.rebuild(ctx)
	a.blk.mu.Lock()
	kick := a.blk.kick
	a.blk.mu.Unlock()
	if kick != nil {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
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

// rebuild compiles a matcher from the enabled lists and the user's rules
// and swaps it in when it is complete. Concurrent calls coalesce: a call
// returns once a compile that started after it was made has finished. A
// failed compile keeps the matcher in force.
func (a *App) rebuild(ctx context.Context) error {
	want := a.blk.gen.Add(1)
	a.blk.buildMu.Lock()
	defer a.blk.buildMu.Unlock()
	if a.blk.built.Load() >= want {
		return nil
	}
	cur := a.blk.gen.Load()
	defer a.blk.built.Store(cur)
	s := a.Settings()
	a.blk.mu.Lock()
	rows := append([]store.ListRow(nil), a.blk.rows...)
	same := a.blk.key == compileKey(rows, s) && a.blk.key != ""
	a.blk.mu.Unlock()
	if same {
		a.applyView(s)
		return nil
	}
	lists, problems := a.loadLists(ctx, rows)
	custom, customErrs := parseCustom(s.Blocking.CustomRules)
	if custom != nil {
		lists = append(lists, custom)
	}
	var m *blocklist.Matcher
	if len(lists) > 0 {
		var err error
		m, err = blocklist.Compile(lists, blocklist.Options{OwnerParties: s.Blocking.OwnerParties})
		if err != nil {
			a.noticef(status.Error, "Polaris could not build its blocklists (it keeps the ones in force): %v", err)
			return err
		}
	}
	a.blk.mu.Lock()
	a.blk.base, a.blk.key, a.blk.problems, a.blk.customErrs = m, compileKey(rows, s), problems, customErrs
	announce := len(customErrs) > 0 && a.blk.customSeen != s.Blocking.CustomRules
	a.blk.customSeen = s.Blocking.CustomRules
	a.blk.mu.Unlock()
	a.applyView(s)
	if announce {
		e := customErrs[0]
		a.noticef(status.Warning, "%d of your own rules were skipped; the first, on line %d (%q): %s", len(customErrs), e.Line, e.Text, e.Err)
	}
	a.hub.poke()
	return nil
}

// applyView puts the settings' categories and allowlist on top of the
// compiled matcher and hands the result to the proxy: instant.
func (a *App) applyView(s settings.Settings) {
	cats := make([]string, 0, len(s.Blocking.Categories))
	for _, c := range s.Blocking.Categories {
		cats = append(cats, string(c))
	}
	a.blk.mu.Lock()
	defer a.blk.mu.Unlock()
	var m *blocklist.Matcher
	if a.blk.base != nil {
		var err error
		if m, err = a.blk.base.WithCategories(cats); err == nil {
			m, err = m.WithAllowlist(s.Blocking.Allowlist)
		}
		if err != nil { // settings are validated; this is a bug
			a.log.Printf("applying categories and allowlist: %v", err)
			m = a.blk.base
		}
	}
	a.blk.active = m
	if p := a.blk.proxy.Load(); p != nil {
		p.SetMatcher(m)
	}
}

// applyBlocking applies settings changes to a running proxy: categories
// and allowlist at once, a recompile when the user's rules or owner
// awareness changed.
func (a *App) applyBlocking(ctx context.Context, s settings.Settings) {
	p := a.blk.proxy.Load()
	if p == nil {
		return
	}
	if !s.Protection || !s.Blocking.HoldUntilLoaded {
		p.Release()
	}
	a.blk.mu.Lock()
	rows := a.blk.rows
	stale := a.blk.key != "" && a.blk.key != compileKey(rows, s)
	a.blk.mu.Unlock()
	if stale {
		a.rebuild(ctx)
		return
	}
	a.applyView(s)
}

// loadLists reads and parses every enabled list. A list that cannot be
// read or parsed is left out, and why is returned by list id.
func (a *App) loadLists(ctx context.Context, rows []store.ListRow) ([]*blocklist.List, map[int64]string) {
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
			a.saveCounts(ctx, r, stats.Rules, stats.Bad)
			out = append(out, ls...)
			continue
		}
		if r.SHA256 == "" {
			continue // not downloaded yet
		}
		data, err := os.ReadFile(a.cachePath(r.ID))
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
		a.saveCounts(ctx, r, ruleCount(l.Stats), l.Stats.Bad+l.Stats.Inert)
		out = append(out, l)
	}
	return out, problems
}

func (a *App) saveCounts(ctx context.Context, r store.ListRow, rules, bad int) {
	if r.Rules == rules && r.BadLines == bad {
		return
	}
	if st, err := a.store(); err == nil {
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

// ValidateRule checks one line of the user's own rules (Adblock Plus
// syntax): nil for a rule the proxy applies, a comment or an empty line;
// an error in plain words otherwise.
func (a *App) ValidateRule(line string) error { return blocklist.ValidateRule(line) }

// ErrBadPause is returned by Pause for a zero duration.
var ErrBadPause = errors.New("a pause needs a duration (or a negative one: until Polaris restarts)")

// Pause stops blocking for d (5 min, 30 min, 1 h...); d < 0 pauses until
// Polaris restarts. The pause is not stored.
func (a *App) Pause(d time.Duration) error {
	if d == 0 {
		return ErrBadPause
	}
	until := proxy.PauseUntilRestart
	if d > 0 {
		until = time.Now().Add(d)
	}
	a.setPause(until, d)
	return nil
}

// Resume ends a pause.
func (a *App) Resume() error {
	a.setPause(time.Time{}, 0)
	return nil
}

func (a *App) setPause(until time.Time, d time.Duration) {
	a.blk.mu.Lock()
	a.blk.paused = until
	if a.blk.pauseTimer != nil {
		a.blk.pauseTimer.Stop()
		a.blk.pauseTimer = nil
	}
	if d > 0 { // tell subscribers when it ends
		a.blk.pauseTimer = time.AfterFunc(d, a.hub.poke)
	}
	// Under the lock: a pause and a resume at once (the window and `polaris
	// pause`) must leave the proxy as the status says.
	if p := a.blk.proxy.Load(); p != nil {
		p.Pause(until)
	}
	a.blk.mu.Unlock()
	a.hub.poke()
}

func (a *App) activeRules() int {
	a.blk.mu.Lock()
	defer a.blk.mu.Unlock()
	if a.blk.active == nil {
		return 0
	}
	return a.blk.active.Stats().Rules + a.blk.active.Stats().Trackers
}

func (a *App) setUpdating(id int64, on bool) {
	a.blk.mu.Lock()
	if a.blk.updating == nil {
		a.blk.updating = map[int64]bool{}
	}
	if on {
		a.blk.updating[id] = true
	} else {
		delete(a.blk.updating, id)
	}
	a.blk.mu.Unlock()
	a.hub.poke()
}

// setBlockingDefaults fills the zero values of the blocking options.
func setBlockingDefaults(o *Options) {
	if o.HoldTimeout == 0 {
		o.HoldTimeout = proxy.DefaultHoldTimeout
	}
	if o.FirstLoadBudget == 0 {
		o.FirstLoadBudget = 10 * time.Second
	}
	if o.ListTimeout == 0 {
		o.ListTimeout = 60 * time.Second
	}
	if o.ListCheckInterval == 0 {
		o.ListCheckInterval = time.Minute
	}
	if o.StatsFlushInterval == 0 {
		o.StatsFlushInterval = 30 * time.Second
	}
	if o.LogSize == 0 {
		o.LogSize = 10_000
	}
	if os.Getenv(EnvNoAutoUpdate) != "" {
		o.NoAutoUpdate = true
	}
}

// EnvNoAutoUpdate names the environment variable that sets
// Options.NoAutoUpdate.
const EnvNoAutoUpdate = "POLARIS_NO_AUTO_UPDATE"
