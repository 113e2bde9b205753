// SPDX-License-Identifier: GPL-3.0-or-later

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
	// Retention is how long rows are kept, in words; {days}, {log-retention}
	// and {log-rows} stand for the settings that decide it.
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
	"browser_journal": {
		What:      "The browser profile settings Polaris changed to keep WebRTC from revealing your address while Tor is on, as they were before (at most one row).",
		Why:       "To put them back exactly when Tor is turned off, when Polaris quits, and after a crash.",
		Retention: "Only while those settings are changed; cleared when they are restored.",
	},
	"site_answers": {
		What:      "For sites you visited that publish something about Do Not Track or Global Privacy Control: what they say (Tk header, tracking status, EFF policy, gpc.json) and when it was checked. Sites that publish nothing are not recorded.",
		Why:       "To show you which sites promise to honour your signals (and, if you choose, to not block third parties that post the EFF policy).",
		Retention: "Until you delete your data; rechecked at most once per session.",
	},
	"https_passthrough": {
		What:      "Sites whose apps refused Polaris's certificate (certificate pinning), which Polaris now leaves alone.",
		Why:       "So those apps keep working with HTTPS filtering on.",
		Retention: "Until you remove them on the HTTPS screen or delete your data.",
	},
	"lists": {
		What:      "The blocklists you subscribe to: name, address, licence, whether each is on, how often it updates, and the result of the last update (rules, errors, when). The lists themselves are the files in lists/.",
		Why:       "To block trackers with the lists you chose, keep them up to date, and tell you when an update failed.",
		Retention: "Until you remove the list.",
	},
	"stats_daily": {
		What:      "How many requests were blocked each day, per category (advertising, analytics, ...). No addresses, no sites you visited.",
		Why:       "For the counts and the 30-day chart of what Polaris blocked.",
		Retention: "{days} days (you can change this under System & data).",
	},
	"stats_domains": {
		What:      "The domains of blocked third-party trackers (e.g. doubleclick.net), each stored once and referred to by the daily counts: only when Polaris saw which other site loaded the tracker, so never a site you visited.",
		Why:       "To show which trackers were blocked most.",
		Retention: "As long as a daily count refers to them.",
	},
	"stats_trackers": {
		What:      "How many requests to each tracker domain were blocked each day.",
		Why:       "To show which trackers were blocked most.",
		Retention: "{days} days (you can change this under System & data).",
	},
	"stats_requests": {
		What:      "How many requests went through Polaris each day (a single number per day).",
		Why:       "To put the blocked counts in proportion.",
		Retention: "{days} days (you can change this under System & data).",
	},
	"request_log": {
		What:      "Only if you turned on 'keep the request log': each request Polaris decided, with its full address, what it did and which rule of which list decided it.",
		Why:       "So you can look back at what was blocked and why, also after Polaris restarted.",
		Retention: "Off by default. When on: {log-retention}, at most {log-rows} rows; turning it off deletes it.",
	},
	"request_log_cnames": {
		What:      "Part of the kept request log: for a request whose server name is an alias (a CNAME), the names it leads to, and the one a rule blocked.",
		Why:       "So the log shows why a request to a site's own name was blocked as a hidden tracker.",
		Retention: "Goes with its row of the request log.",
	},
	"meta": {
		What:      "Facts about this copy of Polaris that are not settings: whether the guided set-up was finished or closed, and when.",
		Why:       "So the window opens the set-up by itself only the first time.",
		Retention: "Until you delete your data.",
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
