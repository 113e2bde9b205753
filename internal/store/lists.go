// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) when a row asked for by id does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned (wrapped) when a list with the same URL is
// already subscribed.
var ErrDuplicate = errors.New("already subscribed")

// ListRow is one subscribed list as stored. Times are zero when never set.
type ListRow struct {
	ID   int64
	Name string
	// URL is the http(s) URL, "" for a copy of a local file, or
	// "builtin:NAME" for a list embedded in Polaris.
	URL           string
	Catalogue     string // catalogue id, or ""
	Origin        string // the local file a copy was read from, or ""
	Format        string // blocklist format name; "auto" to detect
	Category      string
	License       string
	NonCommercial bool
	Enabled       bool
	// Interval between automatic updates; 0 is off.
	Interval time.Duration
	// ETag and LastModified are the validators of the cached copy, for
	// conditional requests.
	ETag, LastModified string
	// Expires is the list's own "! Expires:" period; 0 when it has none.
	Expires     time.Duration
	LastTry     time.Time
	LastSuccess time.Time
	// Failures counts failed tries since the last success.
	Failures  int
	LastError string
	// Unreachable: the last try did not reach the list's server (no
	// network, a name not found, refused, timed out), so it is worth
	// trying again later; false after a success or an answer that is not
	// a usable list.
	Unreachable bool
	// UpdateAsked is set by another process (the CLI) to ask the running
	// Polaris to update the list now.
	UpdateAsked time.Time
	Rules       int
	BadLines    int
	SHA256      string // of the cache file; "" when there is none
	Added       time.Time
}

const listColumns = `id, name, url, catalogue, origin, format, category, license, non_commercial, enabled,
	interval_s, etag, last_modified, expires_s, last_try, last_success, failures, last_error, update_asked,
	rules, bad_lines, sha256, added, unreachable`

func scanList(sc interface{ Scan(...any) error }) (ListRow, error) {
	var r ListRow
	var nc, en, unreachable int
	var interval, expires, try, success, asked, added int64
	err := sc.Scan(&r.ID, &r.Name, &r.URL, &r.Catalogue, &r.Origin, &r.Format, &r.Category, &r.License, &nc, &en,
		&interval, &r.ETag, &r.LastModified, &expires, &try, &success, &r.Failures, &r.LastError, &asked,
		&r.Rules, &r.BadLines, &r.SHA256, &added, &unreachable)
	r.NonCommercial, r.Enabled, r.Unreachable = nc != 0, en != 0, unreachable != 0
	r.Interval, r.Expires = time.Duration(interval)*time.Second, time.Duration(expires)*time.Second
	r.LastTry, r.LastSuccess, r.UpdateAsked, r.Added = unixTime(try), unixTime(success), unixTime(asked), unixTime(added)
	return r, err
}

func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func unixSec(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Lists returns every subscribed list, by id.
func (s *Store) Lists(ctx context.Context) ([]ListRow, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+listColumns+" FROM lists ORDER BY id")
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	var out []ListRow
	for rows.Next() {
		r, err := scanList(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// List returns the list with the given id, or an error wrapping ErrNotFound.
func (s *Store) List(ctx context.Context, id int64) (ListRow, error) {
	r, err := scanList(s.db.QueryRowContext(ctx, "SELECT "+listColumns+" FROM lists WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("list %d: %w", id, ErrNotFound)
	}
	return r, explain(err)
}

// AddList stores a new list and returns its id. A list whose URL is
// already subscribed gives an error wrapping ErrDuplicate.
func (s *Store) AddList(ctx context.Context, r ListRow) (int64, error) {
	if r.Added.IsZero() {
		r.Added = time.Now()
	}
	if r.Format == "" {
		r.Format = "auto"
	}
	var id int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, `INSERT INTO lists(name, url, catalogue, origin, format, category, license,
			non_commercial, enabled, interval_s, etag, last_modified, expires_s, last_try, last_success, failures,
			last_error, update_asked, rules, bad_lines, sha256, added, unreachable)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Name, r.URL, r.Catalogue, r.Origin, r.Format, r.Category, r.License, boolInt(r.NonCommercial),
			boolInt(r.Enabled), int64(r.Interval/time.Second), r.ETag, r.LastModified, int64(r.Expires/time.Second),
			unixSec(r.LastTry), unixSec(r.LastSuccess), r.Failures, r.LastError, unixSec(r.UpdateAsked),
			r.Rules, r.BadLines, r.SHA256, unixSec(r.Added), boolInt(r.Unreachable))
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("%s: %w", r.URL, ErrDuplicate)
			}
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// updateList runs an UPDATE on one list and reports ErrNotFound when no row
// has that id.
func (s *Store) updateList(ctx context.Context, id int64, set string, args ...any) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, "UPDATE lists SET "+set+" WHERE id = ?", append(args, id)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("list %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// RemoveList deletes a list. The caller removes its cache file.
func (s *Store) RemoveList(ctx context.Context, id int64) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, "DELETE FROM lists WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("list %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// SetListEnabled switches a list on or off.
func (s *Store) SetListEnabled(ctx context.Context, id int64, on bool) error {
	return s.updateList(ctx, id, "enabled = ?", boolInt(on))
}

// SetListInterval sets how often a list is updated; 0 turns updates off.
func (s *Store) SetListInterval(ctx context.Context, id int64, every time.Duration) error {
	return s.updateList(ctx, id, "interval_s = ?", int64(every/time.Second))
}

// SetListInfo changes what describes a list (not its update state): used to
// keep catalogue entries in line with the catalogue of this version.
func (s *Store) SetListInfo(ctx context.Context, r ListRow) error {
	return s.updateList(ctx, r.ID, "name = ?, url = ?, format = ?, category = ?, license = ?, non_commercial = ?",
		r.Name, r.URL, r.Format, r.Category, r.License, boolInt(r.NonCommercial))
}

// AskListUpdate asks the running Polaris to update a list now (id 0: every
// enabled list); it sees the change through DataVersion.
func (s *Store) AskListUpdate(ctx context.Context, id int64, at time.Time) error {
	if id == 0 {
		return s.tx(ctx, func(t *sql.Tx) error {
			_, err := t.ExecContext(ctx, "UPDATE lists SET update_asked = ? WHERE enabled = 1", at.Unix())
			return err
		})
	}
	return s.updateList(ctx, id, "update_asked = ?", at.Unix())
}

// ListTry is the outcome of one update attempt.
type ListTry struct {
	Time time.Time
	// Err is what went wrong, or "" on success (including "not modified").
	Err string
	// Unreachable: with Err, the try did not reach the list's server.
	Unreachable bool
	// Changed: a new copy was stored; the fields below describe it.
	Changed bool
	// Fetched: the server sent the list (not "not modified"), so ETag,
	// LastModified and Expires replace the stored ones even when the text
	// is the one Polaris has (a server without validators, or one that
	// switched from ETag to Last-Modified). Without it, an unchanged list
	// keeps them.
	Fetched            bool
	ETag, LastModified string
	Expires            time.Duration
	Rules, BadLines    int
	SHA256             string
	// Name replaces the list's name when not "" (a title found in the list).
	Name string
	// Format replaces the list's format when not "" (the format detected
	// in a list added as "auto").
	Format string
}

// SaveListTry records an update attempt and clears UpdateAsked. A failure
// counts up Failures, records whether the server was reached, and keeps
// everything describing the cached copy; a success resets Failures. An
// unchanged copy keeps its description, and its validators unless the try
// was Fetched.
func (s *Store) SaveListTry(ctx context.Context, id int64, r ListTry) error {
	if r.Err != "" {
		return s.updateList(ctx, id, "last_try = ?, last_error = ?, unreachable = ?, failures = failures + 1, update_asked = 0",
			unixSec(r.Time), r.Err, boolInt(r.Unreachable))
	}
	if !r.Changed && !r.Fetched {
		return s.updateList(ctx, id, "last_try = ?, last_success = ?, last_error = '', unreachable = 0, failures = 0, update_asked = 0, expires_s = CASE WHEN ? > 0 THEN ? ELSE expires_s END",
			unixSec(r.Time), unixSec(r.Time), int64(r.Expires/time.Second), int64(r.Expires/time.Second))
	}
	if !r.Changed {
		return s.updateList(ctx, id, "last_try = ?, last_success = ?, last_error = '', unreachable = 0, failures = 0, update_asked = 0, etag = ?, last_modified = ?, expires_s = ?",
			unixSec(r.Time), unixSec(r.Time), r.ETag, r.LastModified, int64(r.Expires/time.Second))
	}
	set := "last_try = ?, last_success = ?, last_error = '', unreachable = 0, failures = 0, update_asked = 0, etag = ?, last_modified = ?, expires_s = ?, rules = ?, bad_lines = ?, sha256 = ?"
	args := []any{unixSec(r.Time), unixSec(r.Time), r.ETag, r.LastModified, int64(r.Expires / time.Second), r.Rules, r.BadLines, r.SHA256}
	if r.Name != "" {
		set += ", name = ?"
		args = append(args, r.Name)
	}
	if r.Format != "" {
		set += ", format = ?"
		args = append(args, r.Format)
	}
	return s.updateList(ctx, id, set, args...)
}

// SaveListCounts records the rule and bad-line counts of a list's cached
// copy as the engine parsed it.
func (s *Store) SaveListCounts(ctx context.Context, id int64, rules, bad int) error {
	return s.updateList(ctx, id, "rules = ?, bad_lines = ?", rules, bad)
}
