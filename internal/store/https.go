// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"polaris/internal/status"
)

// SiteAnswers returns what sites answered about DNT and GPC, sorted by site.
func (s *Store) SiteAnswers(ctx context.Context) ([]status.SiteAnswer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT site, tk, tracking_status, honors_dnt, eff_policy, honors_gpc, checked
		FROM site_answers ORDER BY site`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []status.SiteAnswer
	for rows.Next() {
		var a status.SiteAnswer
		var checked int64
		if err := rows.Scan(&a.Site, &a.Tk, &a.TrackingStatus, &a.HonorsDNT, &a.EFFPolicy, &a.HonorsGPC, &checked); err != nil {
			return nil, err
		}
		if checked > 0 {
			a.Checked = time.Unix(checked, 0).UTC()
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SaveSiteCheck stores the result of a check of a.Site (a.Tk is ignored: the
// Tk header is stored by SaveTk). A site that claims nothing and never sent
// a Tk header is removed.
func (s *Store) SaveSiteCheck(ctx context.Context, a status.SiteAnswer) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO site_answers(site, tracking_status, honors_dnt, eff_policy, honors_gpc, checked)
			VALUES(?, ?, ?, ?, ?, ?)
			ON CONFLICT(site) DO UPDATE SET tracking_status = excluded.tracking_status, honors_dnt = excluded.honors_dnt,
				eff_policy = excluded.eff_policy, honors_gpc = excluded.honors_gpc, checked = excluded.checked`,
			a.Site, a.TrackingStatus, a.HonorsDNT, a.EFFPolicy, a.HonorsGPC, a.Checked.Unix())
		if err != nil {
			return err
		}
		return pruneSite(ctx, t, a.Site)
	})
}

// SaveTk records the Tk header value site sent at when ("" forgets it).
func (s *Store) SaveTk(ctx context.Context, site, tk string, when time.Time) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO site_answers(site, tk, tk_seen) VALUES(?, ?, ?)
			ON CONFLICT(site) DO UPDATE SET tk = excluded.tk, tk_seen = excluded.tk_seen`, site, tk, when.Unix())
		if err != nil {
			return err
		}
		return pruneSite(ctx, t, site)
	})
}

func pruneSite(ctx context.Context, t *sql.Tx, site string) error {
	_, err := t.ExecContext(ctx, `DELETE FROM site_answers WHERE site = ? AND tk = '' AND tracking_status = ''
		AND NOT honors_dnt AND NOT eff_policy AND NOT honors_gpc`, site)
	return err
}

// PassThroughHosts returns the hosts HTTPS filtering passes through because
// their client pins its certificate, sorted.
func (s *Store) PassThroughHosts(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT host FROM https_passthrough ORDER BY host")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// AddPassThrough remembers host as passed through. Adding it again changes
// nothing.
func (s *Store) AddPassThrough(ctx context.Context, host string) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, "INSERT INTO https_passthrough(host, added) VALUES(?, ?) ON CONFLICT(host) DO NOTHING",
			host, time.Now().Unix())
		return err
	})
}

// RemovePassThrough forgets host ("" forgets every host) and returns how
// many were removed.
func (s *Store) RemovePassThrough(ctx context.Context, host string) (int64, error) {
	var n int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		// An entry is a host, or a host, a tab and the kind of client
		// that pins it: forgetting a host forgets it for every client.
		q, args := "DELETE FROM https_passthrough WHERE host = ? OR substr(host, 1, ?) = ?", []any{host, len(host) + 1, host + "\t"}
		if host == "" {
			q, args = "DELETE FROM https_passthrough", nil
		}
		res, err := t.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// CAFingerprint returns the fingerprint recorded by SetCAFingerprint, or "".
func (s *Store) CAFingerprint(ctx context.Context) (string, error) {
	var fp string
	err := s.db.QueryRowContext(ctx, "SELECT fingerprint FROM ca_state WHERE id = 1").Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return fp, err
}

// SetCAFingerprint records the fingerprint of the CA in use; an unchanged
// value is not rewritten (so it does not wake watchers).
func (s *Store) SetCAFingerprint(ctx context.Context, fp string) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO ca_state(id, fingerprint, changed) VALUES(1, ?, ?)
			ON CONFLICT(id) DO UPDATE SET fingerprint = excluded.fingerprint, changed = excluded.changed
			WHERE ca_state.fingerprint IS NOT excluded.fingerprint`, fp, time.Now().Unix())
		return err
	})
}
