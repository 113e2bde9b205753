// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"polaris/internal/status"
)

// AppendLog writes decisions to the persisted request log, in one
// transaction.
func (s *Store) AppendLog(ctx context.Context, ds []status.Decision) error {
	if len(ds) == 0 {
		return nil
	}
	return s.tx(ctx, func(t *sql.Tx) error {
		st, err := t.PrepareContext(ctx, `INSERT INTO request_log(time, url, host, site, type, verdict, rule, list, category, reason)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		var cn *sql.Stmt
		for _, d := range ds {
			r, err := st.ExecContext(ctx, d.Time.UnixMilli(), d.URL, d.Host, d.Site, d.Type, string(d.Verdict),
				d.Rule, d.List, d.Category, d.Reason)
			if err != nil {
				return err
			}
			if len(d.CNAMEs) == 0 && d.CNAME == "" {
				continue
			}
			if cn == nil {
				if cn, err = t.PrepareContext(ctx, `INSERT INTO request_log_cnames(log_id, cnames, cname) VALUES(?, ?, ?)`); err != nil {
					return err
				}
				defer cn.Close()
			}
			id, err := r.LastInsertId()
			if err == nil {
				_, err = cn.ExecContext(ctx, id, strings.Join(d.CNAMEs, " "), d.CNAME)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// PruneLog deletes log rows older than before, then the oldest rows beyond
// maxRows. It returns how many rows it deleted.
func (s *Store) PruneLog(ctx context.Context, before time.Time, maxRows int) (int64, error) {
	var n int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		r, err := t.ExecContext(ctx, "DELETE FROM request_log WHERE time < ?", before.UnixMilli())
		if err != nil {
			return err
		}
		a, _ := r.RowsAffected()
		r, err = t.ExecContext(ctx, `DELETE FROM request_log WHERE id <= (SELECT id FROM request_log ORDER BY id DESC LIMIT 1 OFFSET ?)`, maxRows)
		if err != nil {
			return err
		}
		b, _ := r.RowsAffected()
		n = a + b
		return nil
	})
	return n, err
}

// ClearLog deletes the whole persisted request log.
func (s *Store) ClearLog(ctx context.Context) (int64, error) {
	var n int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		r, err := t.ExecContext(ctx, "DELETE FROM request_log")
		if err == nil {
			n, _ = r.RowsAffected()
		}
		return err
	})
	return n, err
}

// RecentLog returns up to n of the newest persisted decisions, oldest first.
func (s *Store) RecentLog(ctx context.Context, n int) ([]status.Decision, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.time, l.url, l.host, l.site, l.type, l.verdict, l.rule, l.list, l.category, l.reason,
			COALESCE(c.cnames, ''), COALESCE(c.cname, '')
		FROM (SELECT * FROM request_log ORDER BY id DESC LIMIT ?) l LEFT JOIN request_log_cnames c ON c.log_id = l.id ORDER BY l.id`, n)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	var out []status.Decision
	for rows.Next() {
		var d status.Decision
		var ms int64
		var verdict, cnames string
		if err := rows.Scan(&ms, &d.URL, &d.Host, &d.Site, &d.Type, &verdict, &d.Rule, &d.List, &d.Category, &d.Reason, &cnames, &d.CNAME); err != nil {
			return nil, err
		}
		d.CNAMEs = strings.Fields(cnames)
		d.Time, d.Verdict = time.UnixMilli(ms), status.Verdict(verdict)
		out = append(out, d)
	}
	return out, rows.Err()
}
