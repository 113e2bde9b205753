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
	"site_answers": {
		What:      "For sites you visited that publish something about Do Not Track or Global Privacy Control: what they say (Tk header, tracking status, EFF policy, gpc.json) and when it was checked. Sites that publish nothing are not recorded.",
		Why:       "To show you which sites promise to honour your signals (and, if you choose, to not block third parties that post the EFF policy).",
		Retention: "Until you delete your data; rechecked at most once per session.",
	},
	"https_passthrough": {
		What:      "Sites whose apps refused Polaris's certificate (certificate pinning), which Polaris now leaves alone.",
		Why:       "So those apps keep working with HTTPS filtering on.",
		Retention: "Until you forget them (polaris ca forget) or delete your data.",
	},
	"ca_state": {
		What:      "The fingerprint of your Polaris certificate authority (one row).",
		Why:       "So a running Polaris notices when the certificate was regenerated from the command line.",
		Retention: "As long as the certificate exists.",
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
