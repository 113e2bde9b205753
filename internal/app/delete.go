// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"polaris/internal/ca"
	"polaris/internal/instance"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
)

// ErrRunning is returned when an action needs Polaris to be stopped.
var ErrRunning = errors.New("Polaris is running with this data folder: quit it first, or use Delete in its window")

// DeleteAllData restores the system proxy, removes the CA from every trust
// store it was installed in, turns start-at-login off, stops Tor and
// deletes everything in the data dir (settings, lists, statistics, the
// request log, the CA, Tor's state). A running App continues with default
// settings and a fresh database.
//
// If the system proxy cannot be restored, or the certificate cannot be
// taken out of every trust store (it fails, certutil is missing, root is
// needed), nothing is deleted: the records Polaris
// needs to undo those changes live in the data dir, and deleting them
// would leave the system pointing at a Polaris that is gone (no network,
// with the fail-closed PAC) or a certificate nobody can remove. Later steps
// that fail are reported together; the files are deleted anyway.
func (a *App) DeleteAllData(ctx context.Context) error { return a.deleteAllData(ctx, false) }

// DeleteAllDataAnyway is DeleteAllData for a user who has been told what
// cannot be undone and wants everything deleted regardless (`polaris data
// delete --force`): the failures are reported, the files deleted.
func (a *App) DeleteAllDataAnyway(ctx context.Context) error { return a.deleteAllData(ctx, true) }

func (a *App) deleteAllData(ctx context.Context, anyway bool) error {
	a.run.mu.Lock()
	held := a.run.held
	a.run.mu.Unlock()
	if !held {
		// Hold the instance lock while deleting: a Polaris starting now
		// (at login, say) must not run on a data dir being deleted.
		lock, err := instance.Acquire(a.opts.DataDir)
		if errors.Is(err, instance.ErrAlreadyRunning) {
			return ErrRunning
		}
		// Last of all, and still holding it: the data dir is left empty.
		defer lock.RemoveAndRelease()
	}
	// From here on nothing may point the system at Polaris again or start
	// Tor in the folder being deleted: not the settings watcher (it waits
	// for the fresh database), not a change applied meanwhile (deleting
	// holds syncSystem and reconcileTor back).
	a.reload.Lock()
	defer a.reload.Unlock()
	a.deleting.Store(true)
	defer func() {
		a.deleting.Store(false)
		a.syncTor() // Tor as the settings now say (on again if nothing was deleted)
	}()
	a.run.mu.Lock()
	running := a.run.running
	a.run.mu.Unlock()
	d := &deletion{a: a, anyway: anyway, running: running}
	// 1. The system proxy goes back first, while the journal exists.
	if err := d.restoreSystem(ctx); err != nil {
		return err
	}
	// ... and the browsers' WebRTC settings, while their journal exists.
	a.syncWebRTC(ctx, false)
	// 2. The CA leaves the trust stores before its files go.
	if err := d.uninstallCA(ctx); err != nil {
		return err
	}
	d.autostartOff() // 3.
	d.stopTor()      // 4.
	d.removeFiles()  // 5.
	d.startOver(ctx) // 6.
	return errors.Join(d.problems...)
}

// deletion is one run of DeleteAllData: its steps, in order, and the
// problems it goes on after (with anyway, all of them).
type deletion struct {
	a        *App
	anyway   bool // delete even what cannot be undone (--force)
	running  bool // this App runs the engine
	problems []error
}

// restoreSystem is step 1: the system proxy goes back while its journal
// exists. Without anyway a failure stops the deletion.
func (d *deletion) restoreSystem(ctx context.Context) error {
	err := d.a.restoreSystemForDelete(ctx, d.running)
	switch {
	case err != nil && d.anyway:
		d.problems = append(d.problems, fmt.Errorf("restoring the system proxy: %w", err))
	case err != nil:
		return fmt.Errorf("nothing was deleted: Polaris could not restore your system proxy settings (%v); it keeps its record of them so that it can try again (`polaris data delete --force` deletes everything regardless)", err)
	}
	return nil
}

// uninstallCA is step 2: the CA leaves every trust store before its files
// (the record of where it is) go. Without anyway a failure stops the
// deletion.
func (d *deletion) uninstallCA(ctx context.Context) error {
	if _, err := os.Stat(d.a.caDir()); err != nil {
		return nil
	}
	rep, err := ca.Uninstall(ctx, d.a.trustOptions(true))
	if err == nil {
		err = rep.Err()
	}
	if err == nil {
		err = stillInstalled(rep)
	}
	switch {
	case err != nil && d.anyway:
		d.problems = append(d.problems, fmt.Errorf("removing the Polaris certificate from trust stores: %w (%s)", err, rep.String()))
	case err != nil:
		return fmt.Errorf("nothing was deleted: Polaris could not remove its certificate from every place it installed it (%v; %s); it keeps its record of them so that it can try again (your system proxy settings are restored; `polaris data delete --force` deletes everything regardless)", err, rep.String())
	}
	return nil
}

// autostartOff is step 3: start at login off.
func (d *deletion) autostartOff() {
	s := d.a.Settings()
	if !s.System.Autostart {
		return
	}
	s.System.Autostart = false
	if err := d.a.applyAutostart(s); err != nil {
		d.problems = append(d.problems, fmt.Errorf("turning start at login off: %w", err))
	}
}

// stopTor is step 4: Tor's state is in the data dir, so tor stops first
// (Tor mode, if it was on, is off with the default settings of step 6).
func (d *deletion) stopTor() {
	if d.running {
		d.a.stopTor()
	}
}

// removeFiles is step 5: the database is closed and every file of the data
// dir but the instance lock is removed.
func (d *deletion) removeFiles() {
	a := d.a
	a.mu.Lock()
	if a.st != nil {
		a.st.Close()
		a.st = nil
	}
	a.mu.Unlock()
	entries, err := os.ReadDir(a.opts.DataDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.problems = append(d.problems, err)
	}
	for _, e := range entries {
		if e.Name() == instance.LockFile {
			continue // held (by Run, or above until the end): removing it now would let a second instance in
		}
		if err := os.RemoveAll(filepath.Join(a.opts.DataDir, e.Name())); err != nil {
			d.problems = append(d.problems, err)
		}
	}
}

// startOver is step 6: defaults, and nothing of before in memory (the live
// log, the counters not written yet, which the next write would put into
// the fresh database, the sites' answers); a running App goes on with a
// fresh database.
func (d *deletion) startOver(ctx context.Context) {
	a := d.a
	a.stats.Forget()
	a.forgetSiteAnswers()
	torWasOn := a.Settings().Tor.Enabled
	a.mu.Lock()
	a.cur, a.extra, a.notices = settings.Default(), nil, nil
	a.mu.Unlock()
	if d.running && torWasOn {
		// Never a silent change of route: say that Tor is off now.
		a.noticef(status.Warning, "Your data is deleted and Polaris is back to its default settings: Tor is off, so connections now go directly to sites. Turn Tor on again if you need it.")
	}
	if d.running {
		st, _, err := store.Open(ctx, filepath.Join(a.opts.DataDir, store.FileName))
		if err != nil {
			d.problems = append(d.problems, err)
		} else {
			a.mu.Lock()
			a.st = st
			a.mu.Unlock()
		}
		a.applyRunning(ctx)
		a.lists.Reload(ctx) // the default lists, from the fresh database
	}
	a.hub.poke()
}

// stillInstalled says which stores may still hold the CA after an
// Uninstall that did not fail (certutil missing, needs root): deleting the
// CA's files then would lose the record of where it is.
func stillInstalled(rep ca.Report) error {
	var where []string
	for _, c := range rep.Kept() {
		where = append(where, c.Store)
	}
	if len(where) == 0 {
		return nil
	}
	return fmt.Errorf("it is still in %s", strings.Join(where, ", "))
}
