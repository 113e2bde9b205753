// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Meta keys (the meta table): facts about this data directory that are
// neither settings nor the user's data.
const (
	// MetaSetupSeen is set once the guided set-up was finished or closed
	// in the window; its value is the unix time of that.
	MetaSetupSeen = "setup.seen"
)

// Meta returns the value of key in the meta table and whether it is set.
func (s *Store) Meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, explain(err)
	}
	return v, true, nil
}

// SetMeta sets key to value in the meta table.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO meta(key, value, updated) VALUES(?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated`, key, value, time.Now().Unix())
		return err
	})
}
