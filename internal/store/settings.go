// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"time"
)

// Settings returns every stored setting as key -> textual value.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT key, value FROM settings")
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

// SaveSettings writes the given keys in one transaction; keys not given are
// left as they are. Unchanged values are not rewritten, so saving the same
// settings twice does not count as a change for watchers.
func (s *Store) SaveSettings(ctx context.Context, m map[string]string) error {
	now := time.Now().Unix()
	return s.tx(ctx, func(t *sql.Tx) error {
		st, err := t.PrepareContext(ctx, `INSERT INTO settings(key, value, updated) VALUES(?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated
			WHERE settings.value IS NOT excluded.value`)
		if err != nil {
			return err
		}
		defer st.Close()
		for k, v := range m {
			if _, err := st.ExecContext(ctx, k, v, now); err != nil {
				return err
			}
		}
		return nil
	})
}
