// SPDX-License-Identifier: GPL-3.0-or-later

// Package browsers knows the browsers and profiles on this machine: where
// Firefox-family browsers keep their profiles (profiles.ini, deb/snap/
// Flatpak, the XDG and the legacy folders, macOS and Windows), where
// Chromium-family browsers keep their user data (Chromium, Google Chrome,
// Brave, Microsoft Edge, as packages, snaps and Flatpaks), which NSS
// certificate database each one reads, which preferences file Polaris may
// edit, and whether it is running. It is the one home of these facts: the
// CA installer (internal/ca), the system proxy (internal/sysproxy) and the
// set-up use it.
//
// Everything is read from the file system under an Env, so a test lays out
// a temporary HOME as each browser lays it out. List changes nothing.
package browsers

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"polaris/internal/status"
)

// Env says where to look. The zero value is this machine and this user.
type Env struct {
	// GOOS is the operating system whose layout to follow; "" means
	// runtime.GOOS.
	GOOS string
	// Home is the user's home directory; "" means $HOME (on Windows
	// %USERPROFILE%).
	Home string
	// Getenv reads XDG_CONFIG_HOME, APPDATA, LOCALAPPDATA and ProgramFiles;
	// nil means os.Getenv.
	Getenv func(string) string
	// Root is where the system's own folders are (/usr/bin, /snap,
	// /Applications, /proc): installed programs and running processes are
	// looked for under it. "" means the real root; tests give a temporary
	// directory.
	Root string
}

// Engine is the browser engine, which decides the profile layout.
type Engine string

// Engines.
const (
	// Gecko browsers (Firefox, LibreWolf) keep profiles listed in
	// profiles.ini, each with its own NSS database (cert9.db) and its
	// preferences in prefs.js, overridden by user.js.
	Gecko Engine = "gecko"
	// Blink browsers (Chromium, Chrome, Brave, Edge) keep a user data
	// folder of profiles ("Default", "Profile 1", ...), each with a JSON
	// Preferences file; on Linux they share one NSS database per HOME
	// (~/.pki/nssdb), elsewhere they use the operating system's store.
	Blink Engine = "blink"
)

// Packaging is how a browser was installed.
type Packaging string

// Packagings.
const (
	Native  Packaging = ""        // a distribution package, an installer, an app bundle
	Snap    Packaging = "snap"    // Ubuntu's snaps: their own HOME under ~/snap/NAME
	Flatpak Packaging = "flatpak" // their own HOME under ~/.var/app/ID
)

// Browser is one browser found on this machine: installed, or with a
// profile folder in the user's home (or both).
type Browser struct {
	// Name is the browser in words: "Firefox", "Firefox (snap)",
	// "Chromium (Flatpak)", "Google Chrome", "Brave", "Microsoft Edge".
	Name string
	// Family is what its User-Agent says (status.Firefox for LibreWolf too,
	// status.Chrome for Chromium and Brave), to match it with the traffic
	// Polaris sees.
	Family    status.Family
	Engine    Engine
	Packaging Packaging
	// Installed: its program was found. A browser with a profile folder
	// and no program found is listed too (installed somewhere else).
	Installed bool
	// Dir is its profiles folder (Gecko: where profiles.ini is) or user
	// data folder (Blink); it may not exist yet when Installed.
	Dir string
	// Profiles are its profiles, in a stable order. A Blink browser that
	// was never started has none.
	Profiles []Profile
	// NSS is the database the browser's profiles share (Blink on Linux);
	// zero for Gecko (each profile has its own) and where the browser uses
	// the operating system's store.
	NSS NSSDB
	// SystemStore: the browser also trusts certificate authorities added to
	// the operating system's store (Blink on macOS and Windows; Firefox 120
	// and later on macOS and Windows, security.enterprise_roots.enabled).
	SystemStore bool
	// Running: the browser is open (see Profile.Running).
	Running bool
}

// Profile is one browser profile.
type Profile struct {
	// Name is the profile's name as the browser shows it.
	Name string
	// Dir is the profile folder.
	Dir string
	// Prefs is the preferences file Polaris may edit while the browser is
	// closed: user.js (Gecko: read after prefs.js at every start) or
	// Preferences (Blink: JSON, rewritten by the browser when it exits).
	Prefs string
	// NSS is the certificate database this profile reads: its own (Gecko),
	// the shared one (Blink on Linux), or zero (the system store).
	NSS NSSDB
	// Running: the profile is open. On Linux this is exact (the lock's
	// process is alive); on macOS and Windows a lock file that may be
	// stale counts as open, so that nobody edits an open profile.
	Running bool
}

// NSSDB is an NSS certificate database folder.
type NSSDB struct {
	// Dir is the folder that holds (or will hold) cert9.db.
	Dir   string
	State DBState
}

// DBState says whether an NSS database can be used.
type DBState int

// States of an NSS database.
const (
	// NoDB: the folder holds no database yet (a profile never opened;
	// a Chromium never started). One may be created (empty password, as
	// the browser would).
	NoDB DBState = iota
	// DBReady: cert9.db is there (the SQL format).
	DBReady
	// DBLegacy: only cert8.db, the old format, which certutil's sql: mode
	// does not write; the browser converts it the next time it opens.
	DBLegacy
)

// Zero reports whether db is no database at all (the system store).
func (db NSSDB) Zero() bool { return db.Dir == "" }

// List returns the browsers found under env, in a stable order: Gecko
// browsers, then Blink browsers, each in the order of the tables in
// places.go. It reads only; errors reading a folder leave it out.
func List(env Env) []Browser {
	e := env.resolve()
	var out []Browser
	for _, p := range e.places() {
		if b, ok := e.browser(p); ok {
			out = append(out, b)
		}
	}
	return out
}

// resolved is an Env with its defaults filled in.
type resolved struct {
	goos   string
	home   string
	getenv func(string) string
	root   string
}

func (env Env) resolve() resolved {
	e := resolved{goos: env.GOOS, home: env.Home, getenv: env.Getenv, root: env.Root}
	if e.goos == "" {
		e.goos = runtime.GOOS
	}
	if e.getenv == nil {
		e.getenv = os.Getenv
	}
	if e.home == "" {
		if e.goos == "windows" {
			e.home = e.getenv("USERPROFILE")
		}
		if e.home == "" {
			e.home = e.getenv("HOME")
		}
	}
	if e.root == "" {
		e.root = string(filepath.Separator)
	}
	return e
}

// system is a path under Root.
func (e resolved) system(p string) string {
	return filepath.Join(e.root, filepath.FromSlash(p))
}

// browser builds the Browser of one place, ok=false when neither its
// program nor its folders are there.
func (e resolved) browser(p place) (Browser, bool) {
	b := Browser{Name: p.name, Family: p.family, Engine: p.engine, Packaging: p.pkg}
	b.Installed = slices.ContainsFunc(p.programs, e.program)
	var dirs []string
	for _, d := range p.dirs {
		if d != "" && isDir(d) {
			dirs = append(dirs, d)
		}
	}
	// A snap's or a Flatpak's own NSS database means it ran here too
	// (the native browsers' ~/.pki/nssdb is shared: it says nothing).
	ownDB := p.pkg != Native && p.nss != "" && nssAt(p.nss).State != NoDB
	if !b.Installed && len(dirs) == 0 && !ownDB {
		return Browser{}, false
	}
	if len(dirs) > 0 {
		b.Dir = dirs[0]
	} else if len(p.dirs) > 0 {
		b.Dir = p.dirs[0]
	}
	switch p.engine {
	case Gecko:
		b.Profiles = e.geckoProfiles(dirs)
		b.SystemStore = e.goos == "darwin" || e.goos == "windows"
	case Blink:
		if p.nss != "" {
			b.NSS = nssAt(p.nss)
		}
		b.SystemStore = b.NSS.Zero()
		if len(dirs) > 0 {
			b.Profiles = blinkProfiles(dirs[0], b.NSS)
			b.Running = e.blinkRunning(dirs[0])
		}
		for i := range b.Profiles {
			b.Profiles[i].Running = b.Running
		}
	}
	for _, pr := range b.Profiles {
		b.Running = b.Running || pr.Running
	}
	return b, true
}

// nssAt describes the NSS database in dir.
func nssAt(dir string) NSSDB {
	db := NSSDB{Dir: filepath.Clean(dir)}
	switch {
	case isFile(filepath.Join(dir, "cert9.db")):
		db.State = DBReady
	case isFile(filepath.Join(dir, "cert8.db")):
		db.State = DBLegacy
	}
	return db
}

// program reports whether the program at p (under Root, or in the home
// folder when it starts with "~/") is there. A small script that hands
// over to a snap (Ubuntu's /usr/bin/firefox and chromium-browser) is the
// snap, not a native browser.
func (e resolved) program(p string) bool {
	var path string
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if e.home == "" {
			return false
		}
		path = filepath.Join(e.home, filepath.FromSlash(rest))
	} else if rest, ok := strings.CutPrefix(p, "%"); ok {
		v, sub, _ := strings.Cut(rest, "%")
		base := e.getenv(v)
		if base == "" {
			return false
		}
		path = filepath.Join(base, filepath.FromSlash(strings.TrimPrefix(sub, "/")))
	} else {
		path = e.system(p)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	if fi.Mode().IsRegular() && fi.Size() < 4096 {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), "/snap/bin/") {
			return false
		}
	}
	return true
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Running reports whether the profile in dir is open (Gecko: a profile
// folder; Blink: a user data folder), as Profile.Running says it: exact on
// Linux, "open or cannot tell" on macOS and Windows.
func Running(env Env, engine Engine, dir string) bool {
	e := env.resolve()
	if engine == Blink {
		return e.blinkRunning(dir)
	}
	return e.geckoRunning(dir)
}
