// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"context"
	"time"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// Controller is everything the window needs from the engine: settings in,
// status out, and the few actions that are not settings. internal/app
// implements it (main checks that at compile time); tests use a fake.
//
// Every method may be called from any goroutine. Methods that take a
// context may block on I/O (downloads, Tor, trust stores); the UI calls them
// off the Fyne thread and shows progress. Errors are written for the user
// (plain words, no stack of prefixes) and are shown as they are.
type Controller interface {
	// Settings returns a copy of the current settings.
	Settings() settings.Settings
	// Apply validates, stores and applies s. An invalid s changes nothing.
	Apply(ctx context.Context, s settings.Settings) error
	// Subscribe sends a snapshot now and after every change until ctx ends.
	Subscribe(ctx context.Context) <-chan status.Snapshot

	// ValidateRule checks one line of custom rules (Adblock Plus syntax).
	ValidateRule(line string) error
	// RecentDecisions returns up to max of the newest decisions, newest first.
	RecentDecisions(max int) []status.Decision
	// AllowSite turns protections off on site (adds it to the allowlist).
	AllowSite(ctx context.Context, site string) error
	// Pause pauses blocking for d; d < 0 pauses until Polaris restarts.
	Pause(d time.Duration) error
	// Resume ends a pause.
	Resume() error

	// AddList subscribes to a list by URL (name may be ""); it downloads it.
	AddList(ctx context.Context, url, name string) error
	RemoveList(ctx context.Context, id int64) error
	SetListEnabled(ctx context.Context, id int64, on bool) error
	// SetListInterval sets how often a list updates; 0 turns updates off.
	SetListInterval(ctx context.Context, id int64, every time.Duration) error
	// UpdateLists updates one list now, or all when id is 0.
	UpdateLists(ctx context.Context, id int64) error

	// SiteAnswers returns what sites answered to DNT/GPC.
	SiteAnswers(ctx context.Context) ([]status.SiteAnswer, error)

	// CA: install into / remove from the trust stores, export, regenerate.
	// The report says in words what was changed.
	InstallCA(ctx context.Context) (report string, err error)
	UninstallCA(ctx context.Context) (report string, err error)
	// FindBrowsers lists the browsers and profiles on this computer (the
	// set-up).
	FindBrowsers(ctx context.Context) []status.FoundBrowser
	// InstallCAInBrowsers adds the CA to each browser's own store (NSS
	// databases: Firefox profiles, Chromium), not the system's.
	InstallCAInBrowsers(ctx context.Context) (report string, err error)
	// BrowserTrust reads each browser's store back, changing nothing: one
	// line per store, "installed in STORE" when it trusts the CA.
	BrowserTrust(ctx context.Context) (report string, err error)
	// SetupSeen reports whether the set-up was finished or closed on this
	// data directory; MarkSetupSeen records it (it survives restarts).
	SetupSeen(ctx context.Context) (bool, error)
	MarkSetupSeen(ctx context.Context) error
	ExportCA(path string, der bool) error
	RegenerateCA(ctx context.Context) error
	// ForgetPassThrough looks inside a host again that refused Polaris's
	// certificate ("" forgets them all); it says how many were forgotten.
	ForgetPassThrough(ctx context.Context, host string) (int64, error)

	// NewIdentity asks Tor for new circuits for every site.
	NewIdentity(ctx context.Context) error
	// NewCircuit gives one site (a URL or host name) new Tor circuits and
	// returns the site it acted on; other sites keep theirs.
	NewCircuit(ctx context.Context, site string) (string, error)
	// Circuit returns the Tor circuit in use for a site.
	Circuit(ctx context.Context, site string) (status.Circuit, error)

	// Inventory lists what Polaris stores.
	Inventory(ctx context.Context) (status.Inventory, error)
	// ExportData writes the user's data as versioned JSON to path;
	// with pass (not nil) encrypted to that passphrase.
	ExportData(ctx context.Context, path string, pass []byte) error
	// CheckImport validates an export and lists the settings in it that
	// widen exposure (to be confirmed by the user).
	// An encrypted file needs pass: without it the error is
	// passphrase.ErrNeeded, with a wrong one passphrase.ErrWrong.
	CheckImport(ctx context.Context, path string, pass []byte) (settings.ImportCheck, error)
	// ImportData validates the file completely, then replaces the data;
	// the widening settings apply only when confirmed is the Digest of
	// CheckImport for this file, else they keep their current values.
	ImportData(ctx context.Context, path, confirmed string, pass []byte) error
	// DeleteAllData restores the system, uninstalls the CA and removes
	// everything Polaris stored.
	DeleteAllData(ctx context.Context) error
}
