// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations sorted by number. Files are
// named NNNN_description.sql and numbered from 1 without gaps.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q: name must start with a number and '_'", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %q: want number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // the embedded files are broken: a build error
	}
	return len(ms)
}

// ErrTooNew is returned when the database was written by a newer Polaris.
type ErrTooNew struct{ Have, Want int }

func (e *ErrTooNew) Error() string {
	return fmt.Sprintf("the database has schema version %d, newer than this Polaris understands (%d); update Polaris", e.Have, e.Want)
}

// migrate brings db to the newest schema, one transaction per migration.
func migrate(ctx context.Context, db *sql.DB) error {
	return migrateTo(ctx, db, -1)
}

// migrateTo applies migrations up to and including version target (-1: all).
func migrateTo(ctx context.Context, db *sql.DB, target int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var have int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return err
	}
	if have > len(ms) {
		return &ErrTooNew{Have: have, Want: len(ms)}
	}
	for _, m := range ms[have:] {
		if target >= 0 && m.version > target {
			break
		}
		t, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, m.sql); err != nil {
			t.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := t.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			t.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := t.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}
