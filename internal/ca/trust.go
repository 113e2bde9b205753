// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"polaris/internal/browsers"
)

// trustMu serialises Install, Uninstall, TrustStatus and Regenerate within
// the process; they read and write the manifest.
var trustMu sync.Mutex

// TrustOptions says which trust stores to work on and where they are. The
// zero value plus Dir means the current user's real environment, NSS
// databases only.
type TrustOptions struct {
	// Dir is the CA directory given to Load. Install reads (or generates)
	// the CA there; all three keep the manifest of what Install added there.
	// Required.
	Dir string
	// Home is the home directory under which browser profiles are looked
	// for; "" means os.UserHomeDir().
	Home string
	// System also works on the operating system's store: on Linux the
	// machine-wide store, which needs root (without it the report gives the
	// exact commands to run); on macOS the user's login keychain (macOS asks
	// for the password); on Windows the current user's Root store (Windows
	// asks for confirmation).
	System bool
	// Runner runs the external tools; nil means ExecRunner.
	Runner Runner
	// CertUtil is the NSS certutil program; "" means "certutil" on PATH.
	// (On Windows, certutil is a different tool and NSS is not used.)
	CertUtil string
	// LinuxCertDir is where update-ca-certificates looks for local CAs;
	// "" means /usr/local/share/ca-certificates.
	LinuxCertDir string
	// LinuxUpdate is the update-ca-certificates command line; nil means
	// {"update-ca-certificates"}. Uninstall appends "--fresh". Setting it
	// selects the update-ca-certificates method even where it is not found.
	LinuxUpdate []string
	// IsRoot says whether the machine-wide Linux store may be changed; nil
	// means "the effective user is root".
	IsRoot func() bool
	// Elevate, when not root, turns a command that needs root into one
	// that asks for an administrator's password first (pkexec on Linux);
	// the machine-wide store is then changed (and recorded) instead of
	// reporting NeedsRoot. nil: NeedsRoot, with the commands to run.
	Elevate func(Command) Command
	// SystemRoot is where installed browsers are looked for (browsers.Env
	// Root): "" means the real root. Tests give an empty folder so that
	// this machine's browsers do not count.
	SystemRoot string
}

// Action is what happened, or is the case, in one trust store.
type Action string

// Actions.
const (
	Added          Action = "added"
	AlreadyPresent Action = "already present"
	Removed        Action = "removed"
	Present        Action = "present"     // TrustStatus: installed
	NotPresent     Action = "not present" // TrustStatus or Uninstall: nothing there
	NeedsRoot      Action = "needs root"  // Commands says what to run
	Skipped        Action = "skipped"     // Detail says why
	Failed         Action = "failed"      // Err says why
)

// Change is the outcome for one trust store.
type Change struct {
	// Store names the store in words: "Firefox profile 'default-release'",
	// "Chrome/Chromium", "system store".
	Store string
	// Location is its path, with the home directory shown as "~".
	Location string
	Action   Action
	// Detail adds plain words (why something was skipped, what failed).
	Detail string
	// Commands are what the user can run by hand (NeedsRoot).
	Commands []Command
	// Err is the failure, for Action Failed.
	Err error
	// Kept (Uninstall) says the store may still hold the CA: Polaris could
	// not remove it (it failed, needs root, needs certutil, or the store
	// belongs to another system) and the manifest still records it.
	Kept bool
}

// String says the change in plain words, e.g. "added to Firefox profile
// 'default-release' (~/.mozilla/firefox/abc.default-release)".
func (c Change) String() string {
	where := c.Store
	if c.Location != "" {
		where += " (" + c.Location + ")"
	}
	var s string
	switch c.Action {
	case Added:
		s = "added to " + where
	case AlreadyPresent:
		s = "already present in " + where
	case Removed:
		s = "removed from " + where
	case Present:
		s = "installed in " + where
	case NotPresent:
		s = "not in " + where
	case NeedsRoot:
		s = where + ": needs root"
	case Skipped:
		s = "skipped " + where
	default:
		s = where
	}
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	if len(c.Commands) > 0 {
		cmds := make([]string, len(c.Commands))
		for i, cmd := range c.Commands {
			cmds[i] = cmd.String()
		}
		s += "; run: " + strings.Join(cmds, " && ")
	}
	return s
}

// Report lists what Install, Uninstall or TrustStatus found or changed,
// one Change per store, in a stable order.
type Report struct {
	Changes []Change
}

// String returns one line per change.
func (r Report) String() string {
	lines := make([]string, len(r.Changes))
	for i, c := range r.Changes {
		lines[i] = c.String()
	}
	return strings.Join(lines, "\n")
}

// Err joins the errors of the failed changes; nil when none failed.
// NeedsRoot and Skipped are not failures.
func (r Report) Err() error {
	var errs []error
	for _, c := range r.Changes {
		if c.Action == Failed {
			errs = append(errs, fmt.Errorf("%s: %w", c.Store, c.Err))
		}
	}
	return errors.Join(errs...)
}

// Kept returns the changes of an Uninstall after which a store may still
// hold the CA (Change.Kept), failed ones included.
func (r Report) Kept() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Kept {
			out = append(out, c)
		}
	}
	return out
}

// Installed returns the stores that hold the CA after the operation
// (Added, AlreadyPresent or Present), for status.CA.Installed.
func (r Report) Installed() []string {
	var out []string
	for _, c := range r.Changes {
		if c.Action == Added || c.Action == AlreadyPresent || c.Action == Present {
			out = append(out, c.Store)
		}
	}
	return out
}

func (r *Report) add(c Change) { r.Changes = append(r.Changes, c) }

// trustEnv is TrustOptions resolved.
type trustEnv struct {
	opts     TrustOptions
	goos     string
	home     string
	run      Runner
	certutil string // "" when NSS certutil is not available
	isRoot   bool

	saveFailed bool // the manifest could not be written (reported once)
}

func newTrustEnv(opts TrustOptions) (*trustEnv, error) {
	if opts.Dir == "" {
		return nil, errors.New("no CA directory given")
	}
	e := &trustEnv{opts: opts, goos: runtime.GOOS, home: opts.Home, run: opts.Runner}
	if e.home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("finding the home directory: %w", err)
		}
		e.home = h
	}
	if e.run == nil {
		e.run = ExecRunner{}
	}
	if e.goos != "windows" {
		name := opts.CertUtil
		if name == "" {
			name = "certutil"
		}
		if p, err := exec.LookPath(name); err == nil {
			e.certutil = p
		}
	}
	if opts.IsRoot != nil {
		e.isRoot = opts.IsRoot()
	} else {
		e.isRoot = os.Geteuid() == 0
	}
	return e, nil
}

// browsers is where internal/browsers looks for this environment.
func (e *trustEnv) browsers() browsers.Env {
	return browsers.Env{GOOS: e.goos, Home: e.home, Root: e.opts.SystemRoot}
}

// display shows p with the home directory as "~".
func (e *trustEnv) display(p string) string {
	if rel, err := filepath.Rel(e.home, p); err == nil && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
		if rel == "." {
			return "~"
		}
		return "~" + string(filepath.Separator) + rel
	}
	return p
}

// loadManifest reads the manifest; an unreadable one is moved aside (with a
// change saying so) and replaced by an empty one: the sweeps of Uninstall
// still find what Polaris added to NSS databases and the system store.
func (e *trustEnv) loadManifest(r *Report) manifest {
	m, err := readManifest(e.opts.Dir)
	if err == nil {
		return m
	}
	path := joinPath(e.opts.Dir, manifestFile)
	c := Change{Store: "trust manifest", Location: e.display(path), Action: Skipped}
	if aside, aerr := setAside(path, time.Now()); aerr == nil {
		c.Detail = fmt.Sprintf("it could not be read (%v) and was moved to %s; starting a new one", err, e.display(aside))
	} else {
		c.Detail = fmt.Sprintf("it could not be read (%v) nor moved aside (%v)", err, aerr)
	}
	r.add(c)
	return manifest{Version: 1}
}

func (e *trustEnv) saveManifest(m manifest, r *Report) {
	if len(m.Entries) == 0 && !isDir(e.opts.Dir) {
		return // nothing to record, and no CA directory to record it in
	}
	if err := writeManifest(e.opts.Dir, m); err != nil && !e.saveFailed {
		e.saveFailed = true // report it once
		r.add(Change{Store: "trust manifest", Location: e.display(joinPath(e.opts.Dir, manifestFile)),
			Action: Failed, Detail: err.Error(), Err: err})
	}
}

// Install adds the CA of opts.Dir (generating it if the directory holds
// none) to the NSS databases of the user's Firefox-family profiles and of
// Chrome/Chromium, and, with opts.System, to the operating system's store.
// It is idempotent: a store that already holds the CA is reported as
// AlreadyPresent and left alone. Every store gets one Change in the report;
// the manifest in opts.Dir records what is there so that Uninstall removes
// exactly that. The error is Report.Err() (stores that failed), or why
// nothing could be done.
func Install(ctx context.Context, opts TrustOptions) (Report, error) {
	e, err := newTrustEnv(opts)
	if err != nil {
		return Report{}, fmt.Errorf("installing CA: %w", err)
	}
	trustMu.Lock()
	defer trustMu.Unlock()
	c, err := Load(opts.Dir)
	if err != nil {
		return Report{}, fmt.Errorf("installing CA: %w", err)
	}
	var r Report
	m := e.loadManifest(&r)
	if m.Certs == nil {
		m.Certs = map[string]string{}
	}
	if m.Certs[c.fp] == "" {
		m.Certs[c.fp] = string(c.pem)
		if err := writeManifest(opts.Dir, m); err != nil {
			return r, fmt.Errorf("installing CA: %w", err)
		}
	}
	stores := 0
	for _, db := range findNSSDBs(e.browsers()) {
		if err := ctx.Err(); err != nil {
			return r, fmt.Errorf("installing CA: %w", err)
		}
		r.add(e.installNSS(ctx, c, db, &m))
		e.saveManifest(m, &r)
		stores++
	}
	if opts.System {
		r.add(e.systemStore().install(ctx, e, c, &m))
		e.saveManifest(m, &r)
		stores++
	}
	if stores == 0 {
		r.add(Change{Store: "browsers", Action: Skipped,
			Detail: "no Firefox profile or Chrome/Chromium certificate database found"})
	}
	return r, r.Err()
}

// Uninstall removes from trust stores exactly what Install added for any CA
// of opts.Dir: the entries of the manifest, plus certificates that carry
// the nickname or file name of one of those CAs (found when the manifest
// was lost). It does not need the CA files, so it works after they were
// corrupted, and before Regenerate. Nothing else is touched. Entries that
// could not be removed (failed, or needing root) stay in the manifest.
func Uninstall(ctx context.Context, opts TrustOptions) (Report, error) {
	e, err := newTrustEnv(opts)
	if err != nil {
		return Report{}, fmt.Errorf("uninstalling CA: %w", err)
	}
	trustMu.Lock()
	defer trustMu.Unlock()
	var r Report
	m := e.loadManifest(&r)
	fps := map[string]bool{}
	for fp := range m.Certs {
		fps[fp] = true
	}
	if cur, err := loadExisting(opts.Dir); err == nil {
		fps[cur.fp] = true
		if m.Certs == nil {
			m.Certs = map[string]string{}
		}
		m.Certs[cur.fp] = string(cur.pem)
	}
	done := map[string]bool{} // kind|path|fingerprint handled
	for _, en := range append([]entry(nil), m.Entries...) {
		if err := ctx.Err(); err != nil {
			return r, fmt.Errorf("uninstalling CA: %w", err)
		}
		c, keep := e.removeEntry(ctx, en, &m)
		c.Kept = keep
		r.add(c)
		done[en.Kind+"|"+en.Path+"|"+en.Fingerprint] = true
		if !keep {
			m.forget(func(o entry) bool { return o.same(en) })
		}
		e.saveManifest(m, &r)
	}
	for _, c := range e.sweepNSS(ctx, fps, done) {
		r.add(c)
	}
	if opts.System {
		for _, c := range e.systemStore().sweep(ctx, e, fps, done, &m) {
			r.add(c)
		}
		e.saveManifest(m, &r)
	}
	if len(r.Changes) == 0 {
		r.add(Change{Store: "any trust store", Action: NotPresent, Detail: "Polaris had installed its CA nowhere"})
	}
	return r, r.Err()
}

// TrustStatus checks every trust store Install would use (and every one the
// manifest records) and reports Present or NotPresent for the current CA of
// opts.Dir, without changing anything. It returns ErrNoCA when the
// directory holds no CA.
func TrustStatus(ctx context.Context, opts TrustOptions) (Report, error) {
	e, err := newTrustEnv(opts)
	if err != nil {
		return Report{}, fmt.Errorf("checking CA: %w", err)
	}
	trustMu.Lock()
	defer trustMu.Unlock()
	c, err := loadExisting(opts.Dir)
	if err != nil {
		return Report{}, fmt.Errorf("checking CA: %w", err)
	}
	m, _ := readManifest(opts.Dir)
	var r Report
	seen := map[string]bool{}
	for _, db := range findNSSDBs(e.browsers()) {
		seen[db.dir] = true
		r.add(e.statusNSS(ctx, c, db))
	}
	for _, en := range m.Entries {
		if en.Kind == kindNSS && en.Fingerprint == c.fp && !seen[en.Path] {
			seen[en.Path] = true
			r.add(e.statusNSS(ctx, c, nssDB{label: en.Label, dir: en.Path}))
		}
	}
	if opts.System {
		r.add(e.systemStore().check(ctx, e, c))
	}
	return r, r.Err()
}

// loadExisting loads the CA of dir without generating one.
func loadExisting(dir string) (*CA, error) {
	certPEM, keyPEM, err := readFiles(dir)
	if err != nil {
		return nil, err
	}
	return newCA(dir, certPEM, keyPEM, buildOptions(nil))
}

// removeEntry undoes one manifest entry. keep says it must stay recorded.
func (e *trustEnv) removeEntry(ctx context.Context, en entry, m *manifest) (Change, bool) {
	switch en.Kind {
	case kindNSS:
		return e.removeNSS(ctx, en)
	default:
		s := e.storeForKind(en.Kind)
		if s == nil {
			return Change{Store: en.Label, Location: en.Path, Action: Skipped,
				Detail: fmt.Sprintf("recorded by another kind of system (%q); left in the manifest", en.Kind)}, true
		}
		return s.remove(ctx, e, en, m)
	}
}
