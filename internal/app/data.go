// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"polaris/internal/atomicfile"
	"polaris/internal/instance"
	"polaris/internal/passphrase"
	"polaris/internal/seal"
	"polaris/internal/settings"
	"polaris/internal/status"
)

// Export file format.
const (
	ExportFormat  = "polaris-data-export"
	ExportVersion = 1
)

// exportFile is the versioned JSON document of `polaris data export`.
type exportFile struct {
	Format   string                     `json:"format"`
	Version  int                        `json:"version"`
	Exported time.Time                  `json:"exported"`
	Sections map[string]json.RawMessage `json:"sections"`
}

// exportSection is one part of the user's data in an export: the features
// (settings, lists, statistics, site answers) each provide one.
type exportSection struct {
	name string
	// export returns the exportSection's JSON.
	export func(a *App, ctx context.Context) (any, error)
	// check validates a exportSection from a file without changing anything.
	check func(a *App, raw json.RawMessage) error
	// load replaces the data with the (checked) exportSection.
	load func(a *App, ctx context.Context, raw json.RawMessage) error
}

// sections lists every exported exportSection, in import order.
var sections = []exportSection{settingsSection, listsSection, statsSection}

var settingsSection = exportSection{
	name: "settings",
	export: func(a *App, ctx context.Context) (any, error) {
		return a.Settings().Map(), nil
	},
	check: func(a *App, raw json.RawMessage) error {
		_, err := settingsFromExport(raw)
		return err
	},
	load: func(a *App, ctx context.Context, raw json.RawMessage) error {
		s, err := settingsFromExport(raw)
		if err != nil {
			return err
		}
		return a.Apply(ctx, s)
	},
}

func settingsFromExport(raw json.RawMessage) (settings.Settings, error) {
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return settings.Settings{}, fmt.Errorf("settings: %w", err)
	}
	s, unknown, errs := settings.FromMap(m)
	if len(unknown) > 0 {
		return s, fmt.Errorf("settings: unknown keys %s", strings.Join(unknown, ", "))
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("settings: %w", errors.Join(errs...))
	}
	return s, nil
}

// ExportData writes the user's data (settings, and each feature's exportSection)
// as versioned JSON to path (mode 0600, written atomically). With a
// passphrase (pass not nil) the whole file is encrypted to it, in the age
// format (internal/seal): nothing of the data shows in the file. The
// caller owns pass and clears it; the plaintext made here is cleared.
func (a *App) ExportData(ctx context.Context, path string, pass []byte) error {
	f, err := a.exportNow(ctx)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if pass != nil {
		plain := b
		b, err = seal.Encrypt(plain, pass, a.opts.SealCost)
		clear(plain)
		if err != nil {
			return fmt.Errorf("encrypting the export: %w", err)
		}
	}
	return atomicfile.Write(path, b, 0o600)
}

// ExportContents says in words what an export holds, for `data inventory`
// and the window.
const ExportContents = "An export holds your settings (with the proxy password, if you set one), your allowed sites, " +
	"exceptions and own rules, your blocklist subscriptions with your own lists' text, and the daily statistics " +
	"(counts per day, category and tracker; never the sites you visited). It does not hold the request log, " +
	"Polaris's certificate authority or Tor's state. Encrypted with a passphrase, all of it is encrypted: " +
	"only the file's size shows."

// exportNow collects every section of the user's data.
func (a *App) exportNow(ctx context.Context) (exportFile, error) {
	f := exportFile{Format: ExportFormat, Version: ExportVersion, Exported: time.Now().UTC(), Sections: map[string]json.RawMessage{}}
	for _, sec := range sections {
		v, err := sec.export(a, ctx)
		if err != nil {
			return f, fmt.Errorf("exporting %s: %w", sec.name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return f, fmt.Errorf("exporting %s: %w", sec.name, err)
		}
		f.Sections[sec.name] = b
	}
	return f, nil
}

// ErrImport is returned (wrapped) for a file that cannot be imported; the
// data is then unchanged.
var ErrImport = errors.New("cannot import this file")

// CheckImport reads an export and validates all of it, changing nothing,
// and lists the settings in it that would widen exposure (listen on the
// network, other credentials, an upstream CA, a program run as Tor, sites
// let through, ...): those need the user's confirmation (see ImportData).
//
// An encrypted export needs its passphrase (pass): without one the error
// wraps passphrase.ErrNeeded; a wrong one passphrase.ErrWrong; a changed
// or cut file seal.ErrDamaged. A passphrase given for a plain file is
// refused (passphrase.ErrNotEncrypted): whoever asked for an encrypted
// file does not get a plain one someone put in its place. The decrypted
// content is then checked exactly as a plain file is.
func (a *App) CheckImport(ctx context.Context, path string, pass []byte) (settings.ImportCheck, error) {
	b, f, err := a.readExport(path, pass)
	if err != nil {
		return settings.ImportCheck{}, err
	}
	chk, _, err := a.importCheck(ctx, path, b, f)
	return chk, err
}

// importCheck lists what in the file widens exposure: settings, then
// lists (whose changes are also returned, to leave them out).
func (a *App) importCheck(ctx context.Context, path string, b []byte, f exportFile) (settings.ImportCheck, []listChange, error) {
	sum := sha256.Sum256(b)
	chk := settings.ImportCheck{Path: path, Digest: hex.EncodeToString(sum[:]), Encrypted: seal.Detect(b).Encrypted()}
	if raw, ok := f.Sections[settingsSection.name]; ok {
		if next, err := settingsFromExport(raw); err == nil {
			chk.Widening = settings.Widening(a.Settings(), next)
		}
	}
	var lc []listChange
	if raw, ok := f.Sections[listsSection.name]; ok {
		var err error
		if lc, err = a.listWidening(ctx, raw); err != nil {
			return chk, nil, fmt.Errorf("%w: comparing the lists with yours: %v", ErrImport, err)
		}
		for _, c := range lc {
			chk.Widening = append(chk.Widening, c.Change)
		}
	}
	return chk, lc, nil
}

// maxExport bounds the size of a file to import: a year of statistics
// and a few large own lists are far below.
const maxExport = 256 << 20

// readExport reads the file at path (decrypting it with pass if it is
// encrypted) and validates it. It returns the file's bytes as read (for
// the digest) and the parsed export.
func (a *App) readExport(path string, pass []byte) ([]byte, exportFile, error) {
	b, err := readFileLimited(path, maxExport)
	if err != nil {
		return nil, exportFile{}, fmt.Errorf("%w: %v", ErrImport, err)
	}
	f, err := a.openExport(b, pass)
	return b, f, err
}

// openExport decrypts an export's bytes with pass if they are encrypted
// (refusing a passphrase for a plain file, and an encrypted file without
// one), and validates the content. Errors wrap ErrImport.
func (a *App) openExport(b, pass []byte) (exportFile, error) {
	kind := seal.Detect(b)
	switch {
	case kind.Encrypted() && pass == nil:
		return exportFile{}, fmt.Errorf("%w: %w", ErrImport, passphrase.ErrNeeded)
	case !kind.Encrypted() && pass != nil:
		return exportFile{}, fmt.Errorf("%w: %w", ErrImport, passphrase.ErrNotEncrypted)
	case !kind.Encrypted():
		return a.checkExport(b)
	}
	plain, err := seal.Decrypt(b, pass, a.opts.SealCost)
	if err != nil {
		return exportFile{}, fmt.Errorf("%w: %w", ErrImport, err)
	}
	defer clear(plain)
	if seal.Detect(plain).Encrypted() {
		return exportFile{}, fmt.Errorf("%w: it is encrypted twice", ErrImport)
	}
	return a.checkExport(plain)
}

// readFileLimited reads a regular file of at most limit bytes.
func readFileLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a file", path)
	}
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MB: not a Polaris export", path, limit>>20)
	}
	return b, nil
}

// ErrImportChanged is returned (wrapped) when the file changed after the
// user confirmed what it changes: nothing was imported.
var ErrImportChanged = errors.New("the file changed since it was checked")

// ImportData reads an export, validates all of it, and only then replaces
// the data with it. A broken file or one written by a newer Polaris is
// refused and nothing changes. If applying fails halfway (the disk fills
// up, the database is locked), what was there before is put back from a
// copy taken just before.
//
// Settings that widen exposure (CheckImport) are applied only when
// confirmed is the Digest of CheckImport for this very file, the user
// having seen and accepted them; otherwise they keep their current values
// and the rest is imported. A confirmation for another version of the file
// imports nothing (ErrImportChanged).
//
// An encrypted file needs its passphrase, as for CheckImport.
func (a *App) ImportData(ctx context.Context, path, confirmed string, pass []byte) error {
	b, f, err := a.readExport(path, pass)
	if err != nil {
		return err
	}
	chk, lc, err := a.importCheck(ctx, path, b, f)
	if err != nil {
		return err
	}
	if confirmed != "" && confirmed != chk.Digest {
		return fmt.Errorf("%w: %w; check it again", ErrImport, ErrImportChanged)
	}
	if len(chk.Widening) > 0 && confirmed == "" {
		if raw, ok := f.Sections[settingsSection.name]; ok {
			next, _ := settingsFromExport(raw)
			var set []settings.Change
			for _, c := range chk.Widening {
				if c.Key != listKey {
					set = append(set, c)
				}
			}
			kept := settings.KeepCurrent(next, a.Settings(), set)
			if f.Sections[settingsSection.name], err = json.Marshal(kept.Map()); err != nil {
				return fmt.Errorf("%w: %v", ErrImport, err)
			}
		}
		if len(lc) > 0 {
			if f.Sections[listsSection.name], err = keepCurrentLists(f.Sections[listsSection.name], lc); err != nil {
				return fmt.Errorf("%w: %v", ErrImport, err)
			}
		}
	}
	if err := a.Writable(); err != nil {
		return fmt.Errorf("%w: %v", ErrImport, err)
	}
	before, err := a.exportNow(ctx)
	if err != nil {
		return fmt.Errorf("%w: taking a copy of the current data first: %v", ErrImport, err)
	}
	if err := a.loadSections(ctx, f); err != nil {
		if rerr := a.loadSections(context.WithoutCancel(ctx), before); rerr != nil {
			return fmt.Errorf("%w; putting the previous data back failed too: %v", err, rerr)
		}
		return fmt.Errorf("%w; the previous data is back", err)
	}
	return nil
}

func (a *App) loadSections(ctx context.Context, f exportFile) error {
	for _, sec := range sections {
		if raw, ok := f.Sections[sec.name]; ok {
			if err := sec.load(a, ctx, raw); err != nil {
				return fmt.Errorf("importing %s: %w", sec.name, err)
			}
		}
	}
	return nil
}

// checkExport parses an export file and validates every section of it,
// changing nothing. Errors wrap ErrImport.
func (a *App) checkExport(b []byte) (exportFile, error) {
	var f exportFile
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("%w: it is not a Polaris export (%v)", ErrImport, err)
	}
	switch {
	case f.Format != ExportFormat:
		return f, fmt.Errorf("%w: it is not a Polaris export", ErrImport)
	case f.Version > ExportVersion:
		return f, fmt.Errorf("%w: it was written by a newer Polaris (format version %d; this one reads up to %d); update Polaris first", ErrImport, f.Version, ExportVersion)
	case f.Version < 1:
		return f, fmt.Errorf("%w: bad format version %d", ErrImport, f.Version)
	}
	known := map[string]bool{}
	for _, sec := range sections {
		known[sec.name] = true
		raw, ok := f.Sections[sec.name]
		if !ok {
			continue
		}
		if err := sec.check(a, raw); err != nil {
			return f, fmt.Errorf("%w: %v", ErrImport, err)
		}
	}
	for name := range f.Sections {
		if !known[name] {
			return f, fmt.Errorf("%w: unknown section %q", ErrImport, name)
		}
	}
	return f, nil
}

// fileDocs explains the files of the data dir, by path pattern.
var fileDocs = []struct{ pattern, what string }{
	{"polaris.db", "the database (see the tables above)"},
	{"polaris.db-wal", "the database's write-ahead log (part of the database)"},
	{"polaris.db-shm", "the database's shared-memory index (part of the database)"},
	{"polaris.db.corrupt-*", "a damaged database Polaris moved aside; delete it when you no longer need it"},
	{instance.LockFile, "held while Polaris runs, so two copies never share this folder"},
	{instance.SocketFile, "lets a second start of Polaris bring the running window forward"},
	{instance.TokenFile, "lets a second start of Polaris bring the running window forward (its address and a secret)"},
	{"ca/ca.pem", "the certificate of your own Polaris certificate authority (for HTTPS filtering)"},
	{"ca/ca.key", "its private key: never leaves this computer (file readable by you only)"},
	{"ca/trust.json", "where the certificate was installed, so it can be removed exactly"},
	{"lists/*", "downloaded blocklists (cache)"},
	{"tor/*", "Tor's state (keys and directory cache), so it connects faster next time"},
}

func describeFile(rel string) string {
	rel = filepath.ToSlash(rel)
	for _, d := range fileDocs {
		if ok, _ := filepath.Match(d.pattern, rel); ok {
			return d.what
		}
		if strings.HasSuffix(d.pattern, "/*") && strings.HasPrefix(rel, strings.TrimSuffix(d.pattern, "*")) {
			return d.what
		}
	}
	return "not described (please report this)"
}

// Inventory lists every table and file Polaris keeps, with what, why and
// for how long.
func (a *App) Inventory(ctx context.Context) (status.Inventory, error) {
	inv := status.Inventory{Dir: a.opts.DataDir, Export: ExportContents}
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st != nil {
		tables, err := st.Tables(ctx)
		if err != nil {
			return inv, err
		}
		d := a.Settings().Data
		fill := strings.NewReplacer("{days}", fmt.Sprint(d.StatsRetentionDays),
			"{log-retention}", map[time.Duration]string{time.Hour: "1 hour", 24 * time.Hour: "1 day", 7 * 24 * time.Hour: "7 days"}[d.LogRetention],
			"{log-rows}", fmt.Sprint(d.LogMaxRows))
		for _, t := range tables {
			ret := fill.Replace(t.Doc.Retention)
			inv.Tables = append(inv.Tables, status.TableInfo{Name: t.Name, What: t.Doc.What, Why: t.Doc.Why, Rows: t.Rows, Retention: ret})
		}
	}
	err := filepath.WalkDir(a.opts.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(a.opts.DataDir, p)
		inv.Files = append(inv.Files, status.FileInfo{Path: filepath.ToSlash(rel), Bytes: info.Size(), What: describeFile(rel)})
		return nil
	})
	sort.Slice(inv.Files, func(i, j int) bool { return inv.Files[i].Path < inv.Files[j].Path })
	return inv, err
}
