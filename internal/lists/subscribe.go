// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
)

// Subscribed lists: their rows live in the store, their texts in cache
// files in the data dir (lists/<id>.txt, written whole and renamed into
// place). An update downloads through the proxy's route when Polaris runs
// (so with Tor on it goes through Tor), with conditional requests; a copy
// that is not a usable list never replaces the cached one.

// maxListBytes bounds a list download or file.
const maxListBytes = 64 << 20

// DefaultInterval is the update interval of a list added by URL.
const DefaultInterval = 4 * 24 * time.Hour

// AddList subscribes to a list: an http(s) URL, a catalogue id (such as
// "easyprivacy"), or a local file, which is read once and copied into the
// cache. name may be "". The list is downloaded (or read) and checked
// before AddList returns; if that fails nothing is added.
func (e *Engine) AddList(ctx context.Context, source, name string) error {
	_, err := e.AddListSource(ctx, source, name)
	return err
}

// AddListSource is AddList returning the new list.
func (e *Engine) AddListSource(ctx context.Context, source, name string) (status.List, error) {
	source = strings.TrimSpace(source)
	name = strings.TrimSpace(name)
	if ent, ok := catalogueEntry(source); ok && !strings.HasPrefix(ent.URL, builtinPrefix) {
		source = ent.URL
	}
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		return e.addURL(ctx, source, name)
	}
	if strings.HasPrefix(source, builtinPrefix) {
		return status.List{}, fmt.Errorf("%q is built into Polaris: switch it on instead of adding it", source)
	}
	if _, err := os.Stat(source); err != nil {
		return status.List{}, fmt.Errorf("%q is neither an http(s) address, a list of the catalogue nor a readable file", source)
	}
	return e.addFile(ctx, source, name)
}

func (e *Engine) addURL(ctx context.Context, u, name string) (status.List, error) {
	if err := checkListURL(u); err != nil {
		return status.List{}, err
	}
	st, err := e.store()
	if err != nil {
		return status.List{}, err
	}
	row := store.ListRow{Name: name, URL: u, Format: "auto", Enabled: true, Interval: DefaultInterval, Added: time.Now()}
	if ent, ok := catalogueEntry(u); ok {
		row.Catalogue, row.Format, row.Category, row.License, row.NonCommercial, row.Interval = ent.ID, ent.Format, ent.Category, ent.License, ent.NonCommercial, ent.Interval
		if row.Name == "" {
			row.Name = ent.Name
		}
	}
	if row.Name == "" {
		row.Name = u // replaced by the list's own title once downloaded
	}
	id, err := st.AddList(ctx, row)
	if errors.Is(err, store.ErrDuplicate) {
		return status.List{}, fmt.Errorf("%s is already subscribed", u)
	}
	if err != nil {
		return status.List{}, err
	}
	if err := e.updateNow(ctx, id); errors.Is(err, errUnreachable) {
		// Offline: the subscription stays, and the schedule downloads it
		// when the server can be reached (retries from 5 minutes on).
		e.Reload(ctx)
		l, lerr := e.listStatus(ctx, id)
		if lerr != nil {
			return l, lerr
		}
		return l, fmt.Errorf("%w: %w", status.ErrNotDownloaded, err)
	} else if err != nil {
		// The first download failed: the subscription goes too.
		st.RemoveList(context.WithoutCancel(ctx), id)
		os.Remove(e.cachePath(id))
		e.Reload(ctx)
		return status.List{}, fmt.Errorf("nothing was added: %w", err)
	}
	return e.listStatus(ctx, id)
}

func (e *Engine) addFile(ctx context.Context, path, name string) (status.List, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return status.List{}, err
	}
	data, err := readLimited(abs)
	if err != nil {
		return status.List{}, fmt.Errorf("reading %s: %w", abs, err)
	}
	format := blocklist.DetectFormat(string(data))
	stats, err := checkList(data, "", blocklist.ListMeta{Name: abs, Format: format})
	if err != nil {
		return status.List{}, fmt.Errorf("%s: %w", abs, err)
	}
	st, err := e.store()
	if err != nil {
		return status.List{}, err
	}
	if name == "" {
		name = listHeader(data).title
	}
	if name == "" {
		name = filepath.Base(abs)
	}
	id, err := st.AddList(ctx, store.ListRow{Name: name, Origin: abs, Format: format.String(), Enabled: true, Added: time.Now()})
	if err != nil {
		return status.List{}, err
	}
	sum, err := e.writeCache(id, data)
	if err == nil {
		err = st.SaveListTry(ctx, id, store.ListTry{Time: time.Now(), Changed: true, Rules: ruleCount(stats), BadLines: stats.Bad + stats.Inert, SHA256: sum})
	}
	if err != nil {
		st.RemoveList(context.WithoutCancel(ctx), id)
		os.Remove(e.cachePath(id))
		return status.List{}, fmt.Errorf("copying %s into Polaris: %w", abs, err)
	}
	e.Reload(ctx)
	return e.listStatus(ctx, id)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxListBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxListBytes {
		return nil, fmt.Errorf("larger than %d MiB", maxListBytes>>20)
	}
	return data, nil
}

// RemoveList unsubscribes from a list and deletes its cached copy.
func (e *Engine) RemoveList(ctx context.Context, id int64) error {
	st, err := e.store()
	if err != nil {
		return err
	}
	if err := st.RemoveList(ctx, id); err != nil {
		return plainListErr(err, id)
	}
	if err := os.Remove(e.cachePath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		e.cfg.Logf("removing the copy of list %d: %v", id, err)
	}
	e.Reload(ctx)
	return nil
}

// SetListEnabled switches a list on or off. A list switched on that has
// never been downloaded is downloaded by the running Polaris.
func (e *Engine) SetListEnabled(ctx context.Context, id int64, on bool) error {
	st, err := e.store()
	if err != nil {
		return err
	}
	if err := st.SetListEnabled(ctx, id, on); err != nil {
		return plainListErr(err, id)
	}
	e.Reload(ctx)
	return nil
}

// SetListInterval sets how often a list updates: 0 (off), 12 h, 1, 4 or 7
// days.
func (e *Engine) SetListInterval(ctx context.Context, id int64, every time.Duration) error {
	if err := settings.CheckListInterval(every); err != nil {
		return err
	}
	st, err := e.store()
	if err != nil {
		return err
	}
	if err := st.SetListInterval(ctx, id, every); err != nil {
		return plainListErr(err, id)
	}
	e.Reload(ctx)
	return nil
}

// UpdateLists updates one list now, or every enabled list when id is 0,
// and returns once done. Lists that are not downloaded (built-in, local
// copies) are left alone.
func (e *Engine) UpdateLists(ctx context.Context, id int64) error {
	st, err := e.store()
	if err != nil {
		return err
	}
	var ids []int64
	if id != 0 {
		r, err := st.List(ctx, id)
		if err != nil {
			return plainListErr(err, id)
		}
		if !IsDownloaded(r) {
			return fmt.Errorf("list %d (%s) is not downloaded from an address, so there is nothing to update", id, r.Name)
		}
		ids = []int64{id}
	} else {
		rows, err := st.Lists(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Enabled && IsDownloaded(r) {
				ids = append(ids, r.ID)
			}
		}
	}
	var errs []error
	for _, id := range ids {
		if err := e.updateNow(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// UpdateListFromFile replaces the copy of a downloaded list with a file the
// user got another way — from another computer, a USB stick or a mirror —
// for networks where the list's own server is blocked or unreachable. The
// file is checked exactly like a download (a web page, binary data or a
// file of mostly bad lines is refused and the old copy kept). The list
// keeps its address: later updates fetch from it as usual, unconditionally
// the first time, since the copy did not come from the server.
func (e *Engine) UpdateListFromFile(ctx context.Context, id int64, path string) (status.List, error) {
	st, err := e.store()
	if err != nil {
		return status.List{}, err
	}
	row, err := st.List(ctx, id)
	if err != nil {
		return status.List{}, plainListErr(err, id)
	}
	if !IsDownloaded(row) {
		return status.List{}, fmt.Errorf("list %d (%s) is not downloaded from an address; to change a local copy, remove it and add the file again", id, row.Name)
	}
	data, err := readLimited(path)
	if err != nil {
		return status.List{}, fmt.Errorf("reading %s: %w", path, err)
	}
	format, _ := blocklist.ParseFormat(row.Format)
	if format == blocklist.FormatAuto {
		format = blocklist.DetectFormat(string(data))
	}
	stats, err := checkList(data, row.Category, blocklist.ListMeta{Name: row.Name, Format: format})
	if err != nil {
		return status.List{}, fmt.Errorf("%s: %w; list %d (%s) keeps its copy", path, err, id, row.Name)
	}
	e.updateMu.Lock()
	sum, err := e.writeCache(id, data)
	if err == nil {
		try := store.ListTry{Time: time.Now(), Changed: true, Rules: ruleCount(stats), BadLines: stats.Bad + stats.Inert,
			SHA256: sum, Expires: listHeader(data).expires}
		if row.Format == "" || row.Format == blocklist.FormatAuto.String() {
			try.Format = format.String()
		}
		err = st.SaveListTry(ctx, id, try)
	}
	e.updateMu.Unlock()
	if err != nil {
		return status.List{}, fmt.Errorf("storing the list: %w", err)
	}
	e.Reload(ctx)
	return e.listStatus(ctx, id)
}

// IsDownloaded reports whether a list is downloaded from an address (not
// built in, not a local copy).
func IsDownloaded(r store.ListRow) bool {
	return strings.HasPrefix(r.URL, "http://") || strings.HasPrefix(r.URL, "https://")
}

// updateNow updates one list and waits for the result: here when this App
// runs the proxy, by the running Polaris when another process runs it
// (asked through the database), else directly (refused in Tor mode).
func (e *Engine) updateNow(ctx context.Context, id int64) error {
	if e.cfg.Serving() || !e.cfg.RunningElsewhere() {
		return e.updateList(ctx, id, true)
	}
	st, err := e.store()
	if err != nil {
		return err
	}
	asked := time.Now()
	if err := st.AskListUpdate(ctx, id, asked); err != nil {
		return plainListErr(err, id)
	}
	wait, cancel := context.WithTimeout(ctx, e.cfg.Timeout+10*time.Second)
	defer cancel()
	for {
		r, err := st.List(wait, id)
		if err != nil {
			return plainListErr(err, id)
		}
		if r.UpdateAsked.IsZero() {
			if r.LastError != "" && !r.LastTry.Before(asked.Truncate(time.Second)) {
				return fmt.Errorf("%s: %w", r.Name, triedErr(r))
			}
			return nil
		}
		select {
		case <-wait.Done():
			return errors.New("the running Polaris did not update the list in time; see `polaris lists` later")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// updateList downloads one list, checks it and, if it is new and usable,
// stores it and (when rebuild is set and Polaris runs) swaps in a matcher
// that uses it. Whatever happens is recorded on the list's row.
func (e *Engine) updateList(ctx context.Context, id int64, rebuild bool) error {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	st, err := e.store()
	if err != nil {
		return err
	}
	row, err := st.List(ctx, id)
	if err != nil {
		return plainListErr(err, id)
	}
	if !IsDownloaded(row) {
		return nil
	}
	e.setUpdating(id, true)
	defer e.setUpdating(id, false)
	try, err := e.download(ctx, row)
	try.Time = time.Now()
	if err != nil {
		try.Err, try.Unreachable = err.Error(), errors.Is(err, errUnreachable)
		if row.SHA256 != "" {
			e.cfg.Logf("updating list %q: %v (the copy Polaris has is kept)", row.Name, err)
		} else {
			e.cfg.Logf("downloading list %q: %v (it is tried again later)", row.Name, err)
		}
	}
	if serr := st.SaveListTry(context.WithoutCancel(ctx), id, try); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		e.Refresh(ctx)
		return fmt.Errorf("%s: %w", row.Name, err)
	}
	if try.Changed && rebuild {
		e.Reload(ctx)
	} else {
		e.Refresh(ctx)
	}
	return nil
}

// nextUpdate returns when a list is due for an update (zero: never
// automatically): right away when never downloaded or asked for by
// another process; after a failure, after a back-off that grows with each
// failure (5 min, 15 min, 45 min ... up to 6 h); else after its interval,
// or earlier when the list's own Expires says so.
func nextUpdate(r store.ListRow) time.Time {
	if !r.Enabled || !IsDownloaded(r) {
		return time.Time{}
	}
	if !r.UpdateAsked.IsZero() {
		return r.UpdateAsked
	}
	period := r.Interval
	if r.Expires > 0 && period > 0 && r.Expires < period {
		period = r.Expires
	}
	if r.SHA256 == "" && r.Failures == 0 {
		return r.Added // never downloaded
	}
	if r.Failures > 0 {
		back := 5 * time.Minute
		for i := 1; i < r.Failures && back < 6*time.Hour; i++ {
			back *= 3
		}
		back = min(back, 6*time.Hour)
		if period > 0 && r.SHA256 != "" {
			back = min(back, period)
		}
		if period == 0 && r.SHA256 != "" {
			return time.Time{}
		}
		return r.LastTry.Add(back)
	}
	if period == 0 {
		return time.Time{}
	}
	return r.LastSuccess.Add(period)
}
