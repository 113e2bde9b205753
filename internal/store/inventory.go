package store

import (
	"context"
	"fmt"
	"sort"
)

// TableDoc says, for the user, what a table holds and why it is kept.
// Every table of the schema must have one (a test checks): nothing is
// stored that the data inventory does not explain.
type TableDoc struct {
	What, Why string
	// Retention is how long rows are kept, in words; "%d" is replaced by
	// the statistics retention in days where it applies.
	Retention string
}

// TableDocs describes every table, by name.
var TableDocs = map[string]TableDoc{
	"settings": {
		What:      "Your settings (privacy signals, blocking choices, allowlists, custom rules, exceptions).",
		Why:       "So Polaris does what you chose every time it starts.",
		Retention: "Until you change or delete them.",
	},
	"sysproxy_journal": {
		What:      "The system proxy settings Polaris replaced, saved before it changed them (at most one row).",
		Why:       "To put them back when Polaris quits, and after a crash.",
		Retention: "Only while Polaris is your system proxy; cleared when they are restored.",
	},
}

// Table is one table and its row count.
type Table struct {
	Name string
	Rows int64
	Doc  TableDoc
}

// Tables lists the database's tables with their row counts and docs.
func (s *Store) Tables(ctx context.Context) ([]Table, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		return nil, explain(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	sort.Strings(names)
	out := make([]Table, 0, len(names))
	for _, n := range names {
		var c int64
		if err := s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %q", n)).Scan(&c); err != nil {
			return nil, explain(err)
		}
		out = append(out, Table{Name: n, Rows: c, Doc: TableDocs[n]})
	}
	return out, nil
}
