// SPDX-License-Identifier: GPL-3.0-or-later

// Package store keeps Polaris's state in one SQLite file (the only importer
// of database/sql and go-sqlite3): settings, and the tables each feature adds
// through numbered migrations.
//
// One writer connection (WAL, busy_timeout, foreign keys) serialises every
// write; a separate connection watches for changes made by other processes
// (the CLI) so that a running Polaris picks them up.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// FileName is the database file's name inside the data dir.
const FileName = "polaris.db"

// Store is an open database. Its methods are safe for concurrent use.
type Store struct {
	path   string
	db     *sql.DB   // the one writer connection
	watch  *sql.Conn // a read connection for PRAGMA data_version
	wdb    *sql.DB
	busy   time.Duration
	frozen bool // opened by OpenFrozen: read-only
}

// Recovery describes a corrupt database that Open moved aside.
type Recovery struct {
	// MovedTo is where the old file now is.
	MovedTo string
	// Reason is what was wrong with it.
	Reason string
}

// Message tells the user what happened, in plain words.
func (r Recovery) Message() string {
	return fmt.Sprintf("Polaris's database could not be read (%s). It was moved aside to %s and a fresh one was created with default settings; nothing in the old file was deleted.", r.Reason, r.MovedTo)
}

// ErrCorrupt is returned (wrapped) when the database file is not a readable
// SQLite database.
var ErrCorrupt = errors.New("database file is corrupt")

// Open opens (creating if needed) the database at path and migrates it to
// the newest schema. A corrupt or unreadable database file is moved aside to
// "<path>.corrupt-<time>" and a fresh database is created; the returned
// Recovery (non-nil only then) says so. Other errors (locked, read-only,
// disk full) are returned and nothing is moved.
func Open(ctx context.Context, path string, opts ...Option) (*Store, *Recovery, error) {
	o := options{busy: DefaultBusyTimeout}
	for _, f := range opts {
		f(&o)
	}
	s, err := open(ctx, path, o)
	if err == nil {
		return s, nil, nil
	}
	if !errors.Is(err, ErrCorrupt) {
		return nil, nil, err
	}
	rec, merr := moveAside(path, err)
	if merr != nil {
		return nil, nil, fmt.Errorf("%w (moving it aside: %v)", err, explain(merr))
	}
	s, err = open(ctx, path, o)
	if err != nil {
		return nil, nil, err
	}
	return s, rec, nil
}

// DefaultBusyTimeout is how long a write waits for another process's lock
// before it fails with ErrLocked.
const DefaultBusyTimeout = 5 * time.Second

// Option changes how Open opens the database.
type Option func(*options)

type options struct{ busy time.Duration }

// WithBusyTimeout sets how long to wait for another process's lock.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busy = d } }

// mode is how a connection opens the file.
type mode int

const (
	readWrite mode = iota
	readOnly       // read-only, with locking (watching a live database)
	frozen         // read-only and immutable: a database on read-only media
)

func dsn(path string, m mode, busy time.Duration) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	switch m {
	case readOnly:
		q.Set("mode", "ro")
	case frozen:
		q.Set("mode", "ro")
		q.Set("immutable", "1")
	default:
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// OpenFrozen opens a database read-only as an immutable file, for when its
// folder cannot be written: the settings can still be read. Every write
// fails with ErrReadOnly.
func OpenFrozen(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, explain(err)
	}
	db, err := sql.Open("sqlite3", dsn(path, frozen, 0))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	s := &Store{path: path, db: db, frozen: true}
	if err := s.check(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, explain(err)
	}
	if v != SchemaVersion() {
		db.Close()
		return nil, fmt.Errorf("%s: schema version %d cannot be migrated on a read-only disk: %w", path, v, ErrReadOnly)
	}
	return s, nil
}

func open(ctx context.Context, path string, o options) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", explain(err))
	}
	ownerOnly(path)
	db, err := sql.Open("sqlite3", dsn(path, readWrite, o.busy))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	s := &Store{path: path, db: db, busy: o.busy}
	if err := s.check(ctx); err != nil {
		db.Close()
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrReadOnly) && !writable(filepath.Dir(path)) {
			return nil, fmt.Errorf("%s: %w (%v)", path, ErrReadOnly, err)
		}
		return nil, err
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, classify(path, err)
	}
	return s, nil
}

// ownerOnly makes the database readable by its owner only before SQLite
// opens it: the file is created 0600 if missing (an empty file is a new
// database), and an existing one (from an older Polaris, or copied in) is
// set to 0600 with its -wal and -shm files. SQLite creates the -wal and
// -shm files with the database file's permissions, so they follow, whatever
// the umask and whoever made the data dir. Failures are left to SQLite to
// report in its words (a read-only disk, a file of another user).
func ownerOnly(path string) {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Chmod(p, 0o600)
	}
}

// check runs a quick integrity check; corruption is reported as ErrCorrupt.
func (s *Store) check(ctx context.Context) error {
	var res string
	err := s.db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res)
	if err != nil {
		return classify(s.path, err)
	}
	if res != "ok" {
		return fmt.Errorf("%w: %s: integrity check: %s", ErrCorrupt, s.path, res)
	}
	return nil
}

// classify turns SQLite's corruption codes into ErrCorrupt and everything
// else into a plain error naming the file.
func classify(path string, err error) error {
	if isCorrupt(err) {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return fmt.Errorf("%s: %w", path, explain(err))
}

// writable reports whether files can be created in dir (SQLite needs to
// create its -wal and -shm files next to the database).
func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".polaris-probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

func moveAside(path string, cause error) (*Recovery, error) {
	// Never over an earlier copy: two recoveries in the same second (or a
	// clock set back) must keep both broken files.
	base := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	dst := base
	for n := 2; ; n++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s-%d", base, n)
	}
	if err := os.Rename(path, dst); err != nil {
		return nil, err
	}
	// The WAL and shared-memory files belong to the broken file.
	for _, suf := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suf); err == nil {
			_ = os.Rename(path+suf, dst+suf)
		}
	}
	reason := cause.Error()
	if i := strings.LastIndex(reason, ": "); i >= 0 {
		reason = reason[i+2:]
	}
	return &Recovery{MovedTo: dst, Reason: reason}, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	if s.watch != nil {
		s.watch.Close()
	}
	if s.wdb != nil {
		s.wdb.Close()
	}
	return s.db.Close()
}

// DataVersion returns a number that changes whenever any connection commits
// a change to the database (including the CLI in another process). Polling
// it is cheap: it reads no table.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	if s.frozen {
		return 0, nil
	}
	if s.watch == nil {
		wdb, err := sql.Open("sqlite3", dsn(s.path, readOnly, s.busy))
		if err != nil {
			return 0, err
		}
		wdb.SetMaxOpenConns(1)
		c, err := wdb.Conn(ctx)
		if err != nil {
			wdb.Close()
			return 0, err
		}
		s.wdb, s.watch = wdb, c
	}
	var v int64
	err := s.watch.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
	return v, err
}

// tx runs f in a write transaction, committing if f returns nil. Storage
// conditions (disk full, locked, read-only) are wrapped with their
// sentinel.
func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	if s.frozen {
		return fmt.Errorf("%s: %w", s.path, ErrReadOnly)
	}
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return explain(err)
	}
	if err := f(t); err != nil {
		t.Rollback()
		return explain(err)
	}
	return explain(t.Commit())
}

// ReadOnly reports whether the store was opened read-only (OpenFrozen).
func (s *Store) ReadOnly() bool { return s.frozen }
