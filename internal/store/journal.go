// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SysproxyJournal is the saved system proxy state, stored in the database.
// It implements sysproxy.Journal. Each Save is a committed transaction
// before it returns, so a crash right after it loses nothing.
type SysproxyJournal struct{ S *Store }

// Save replaces the stored state.
func (j SysproxyJournal) Save(ctx context.Context, state []byte) error {
	return j.S.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO sysproxy_journal(id, state, saved) VALUES(1, ?, ?)
			ON CONFLICT(id) DO UPDATE SET state = excluded.state, saved = excluded.saved`, state, time.Now().Unix())
		return err
	})
}

// Load returns the stored state; ok is false when there is none.
func (j SysproxyJournal) Load(ctx context.Context) ([]byte, bool, error) {
	var state []byte
	err := j.S.db.QueryRowContext(ctx, "SELECT state FROM sysproxy_journal WHERE id = 1").Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return state, true, nil
}

// Clear removes the stored state.
func (j SysproxyJournal) Clear(ctx context.Context) error {
	return j.S.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, "DELETE FROM sysproxy_journal")
		return err
	})
}

// BrowserJournal is the saved browser profile settings (WebRTC), stored in
// the database like SysproxyJournal. It implements sysproxy.Journal.
type BrowserJournal struct{ S *Store }

// Save replaces the stored state.
func (j BrowserJournal) Save(ctx context.Context, state []byte) error {
	return j.S.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO browser_journal(id, state, saved) VALUES(1, ?, ?)
			ON CONFLICT(id) DO UPDATE SET state = excluded.state, saved = excluded.saved`, state, time.Now().Unix())
		return err
	})
}

// Load returns the stored state; ok is false when there is none.
func (j BrowserJournal) Load(ctx context.Context) ([]byte, bool, error) {
	var state []byte
	err := j.S.db.QueryRowContext(ctx, "SELECT state FROM browser_journal WHERE id = 1").Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return state, true, nil
}

// Clear removes the stored state.
func (j BrowserJournal) Clear(ctx context.Context) error {
	return j.S.tx(ctx, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, "DELETE FROM browser_journal")
		return err
	})
}
