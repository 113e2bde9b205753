// SPDX-License-Identifier: GPL-3.0-or-later

package store

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current migrations")

// seeds holds representative rows for the tables each schema version adds.
// When you add migration N, add seeds[N] with rows for its tables, then run
// `go test ./internal/store -run Golden -update` and commit the new golden.
var seeds = map[int]string{
	1: `INSERT INTO settings(key, value, updated) VALUES
		('dnt', '1', 1763700000), ('gpc', 'on', 1763700000),
		('signals.exceptions', 'bank.example=off,news.example=0', 1763700000),
		('future.key', 'kept as is', 1763700000);`,
	2: `INSERT INTO sysproxy_journal(id, state, saved) VALUES(1, X'7B2276223A317D', 1763700100);`,
	3: `INSERT INTO site_answers(site, tk, tk_seen, tracking_status, honors_dnt, eff_policy, honors_gpc, checked)
			VALUES('news.example', 'N', 1763700200, 'N', 1, 1, 1, 1763700200);
		INSERT INTO https_passthrough(host, added) VALUES('pinned.example', 1763700300);
		INSERT INTO ca_state(id, fingerprint, changed) VALUES(1, 'ab12cd34', 1763700400);`,
	4: `UPDATE lists SET last_try = 1763700200, last_success = 1763700200, rules = 52000, bad_lines = 3,
			etag = '"abc"', last_modified = 'Fri, 21 Nov 2025 05:29:00 GMT', expires_s = 345600,
			sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' WHERE id = 2;
		UPDATE lists SET last_try = 1763700300, failures = 2, last_error = 'the server answered 503 Service Unavailable' WHERE id = 4;
		INSERT INTO lists(id, name, url, origin, format, category, enabled, interval_s, rules, sha256, added) VALUES
		(5, 'my rules', '', '/home/me/rules.txt', 'abp', 'advertising', 0, 0, 12, 'ff', 1763700400),
		(6, 'Disconnect', 'https://raw.githubusercontent.com/disconnectme/disconnect-tracking-protection/master/services.json', '', 'disconnect-services', '', 1, 86400, 4800, 'aa', 1763700500);`,
	5: `INSERT INTO stats_daily(day, category, blocked) VALUES (20251120, 'advertising', 310), (20251120, 'analytics', 95), (20251121, '', 4);
		INSERT INTO stats_domains(id, domain) VALUES (1, 'doubleclick.net'), (2, 'google-analytics.com');
		INSERT INTO stats_trackers(day, domain, blocked) VALUES (20251120, 1, 120), (20251121, 2, 4);
		INSERT INTO stats_requests(day, requests) VALUES (20251120, 5210), (20251121, 88);`,
	6: `INSERT INTO request_log(time, url, host, site, type, verdict, rule, list, category, reason) VALUES
		(1763700600000, 'https://tracker.example/p.gif?id=1', 'tracker.example', 'news.example', 'image', 'block', '||tracker.example^', 'EasyPrivacy', 'analytics', '');`,
	7: `INSERT INTO request_log(id, time, url, host, site, type, verdict, rule, list, category, reason) VALUES
		(2, 1763700700000, 'https://metrics.news.example/c.js', 'metrics.news.example', 'news.example', 'script', 'block',
		 '||tracker.example^$third-party', 'EasyPrivacy', 'analytics', '');
		INSERT INTO request_log_cnames(log_id, cnames, cname) VALUES (2, 'news.example.tracker.example', 'news.example.tracker.example');`,
	8: `INSERT INTO browser_journal(id, state, saved) VALUES(1, X'7B2276223A317D', 1763700800);`,
	9: `INSERT INTO meta(key, value, updated) VALUES('setup.seen', '1763700900', 1763700900);`,
	10: `INSERT INTO lists(id, name, url, enabled, interval_s, last_try, failures, last_error, unreachable, added) VALUES
		(7, 'http://127.0.0.1:1/offline.txt', 'http://127.0.0.1:1/offline.txt', 1, 345600, 1763701000, 1,
		 'dial tcp 127.0.0.1:1: connect: connection refused', 1, 1763701000);`,
}

func goldenPath(v int) string {
	return filepath.Join("testdata", "golden", fmt.Sprintf("v%d.sql", v))
}

// dump writes the schema and every row of db as SQL text, in a stable order.
func dump(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	var v int
	db.QueryRow("PRAGMA user_version").Scan(&v)
	fmt.Fprintf(&b, "PRAGMA user_version = %d;\n", v)
	rows, err := db.Query("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var typ, name, stmt string
		rows.Scan(&typ, &name, &stmt)
		fmt.Fprintf(&b, "%s;\n", stmt)
		if typ == "table" {
			tables = append(tables, name)
		}
	}
	rows.Close()
	sort.Strings(tables)
	for _, table := range tables {
		r, err := db.Query(fmt.Sprintf("SELECT * FROM %q ORDER BY 1", table))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			r.Scan(ptrs...)
			lits := make([]string, len(vals))
			for i, v := range vals {
				lits[i] = sqlLiteral(v)
			}
			fmt.Fprintf(&b, "INSERT INTO %q(%s) VALUES(%s);\n", table, strings.Join(cols, ", "), strings.Join(lits, ", "))
		}
		r.Close()
	}
	return b.String()
}

func sqlLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return fmt.Sprint(x)
	case float64:
		return fmt.Sprint(x)
	case []byte:
		return fmt.Sprintf("X'%X'", x)
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case time.Time:
		return "'" + x.Format(time.RFC3339Nano) + "'"
	}
	return fmt.Sprintf("'%v'", v)
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn(path, readWrite, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// buildAt makes a database at schema version v with the seeds of every
// version up to v.
func buildAt(t *testing.T, v int) *sql.DB {
	t.Helper()
	db := rawDB(t, filepath.Join(t.TempDir(), "db"))
	if err := migrateTo(context.Background(), db, v); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= v; i++ {
		seed, ok := seeds[i]
		if !ok {
			t.Fatalf("no seed rows for schema version %d: add seeds[%d] in golden_test.go", i, i)
		}
		if _, err := db.Exec(seed); err != nil {
			t.Fatalf("seeds[%d]: %v", i, err)
		}
	}
	return db
}

// TestGoldenSchemas keeps one text dump per schema version. A migration that
// was already released must never change: its golden would no longer match.
func TestGoldenSchemas(t *testing.T) {
	head := SchemaVersion()
	for v := 1; v <= head; v++ {
		got := dump(t, buildAt(t, v))
		path := goldenPath(v)
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("golden for schema version %d missing (%v): run go test ./internal/store -run Golden -update", v, err)
		}
		if got != string(want) {
			t.Errorf("schema version %d differs from %s: a released migration changed, or run -update after adding one.\ngot:\n%s", v, path, got)
		}
	}
}

// TestMigrateFromEveryVersion loads each golden database (as an older
// Polaris left it), opens it with this version and checks that it reaches
// the head schema with every row kept.
func TestMigrateFromEveryVersion(t *testing.T) {
	head := SchemaVersion()
	fresh := dump(t, buildAt(t, head))
	freshSchema := schemaOnly(fresh)
	for v := 1; v < head; v++ {
		t.Run(fmt.Sprintf("from v%d", v), func(t *testing.T) {
			golden, err := os.ReadFile(goldenPath(v))
			if err != nil {
				t.Fatalf("golden missing: %v", err)
			}
			path := filepath.Join(t.TempDir(), FileName)
			db := rawDB(t, path)
			if _, err := db.Exec(string(golden)); err != nil {
				t.Fatalf("loading golden v%d: %v", v, err)
			}
			db.Close()
			s, rec, err := Open(context.Background(), path)
			if err != nil || rec != nil {
				t.Fatalf("Open of a v%d database: %v %+v", v, err, rec)
			}
			migrated := dump(t, s.db)
			s.Close()
			if got := schemaOnly(migrated); got != freshSchema {
				t.Errorf("v%d migrated to a schema different from a fresh database:\ngot:\n%s\nwant:\n%s", v, got, freshSchema)
			}
			for _, line := range strings.Split(string(golden), "\n") {
				if strings.HasPrefix(line, "INSERT") && !keptRow(migrated, line) {
					t.Errorf("row lost migrating from v%d: %s", v, line)
				}
			}
		})
	}
}

// keptRow reports whether the dump d holds the row of an older dump's
// INSERT line: the same line, or the same with columns added since at
// the end (a migration's ALTER TABLE ... ADD COLUMN).
func keptRow(d, line string) bool {
	if strings.Contains(d, line) {
		return true
	}
	cols, vals, ok := strings.Cut(strings.TrimSuffix(line, ");"), ") VALUES(")
	if !ok {
		return false
	}
	for _, l := range strings.Split(d, "\n") {
		if strings.HasPrefix(l, cols+", ") && strings.Contains(l, ") VALUES("+vals+", ") {
			return true
		}
	}
	return false
}

func schemaOnly(d string) string {
	var keep []string
	for _, line := range strings.Split(d, "\n") {
		if !strings.HasPrefix(line, "INSERT") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
