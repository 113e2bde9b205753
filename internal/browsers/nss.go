// SPDX-License-Identifier: GPL-3.0-or-later

package browsers

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Database is one NSS certificate database and the browsers that read it.
type Database struct {
	NSSDB
	// Label names it for people: "Firefox profile 'default-release'",
	// "Chromium and Google Chrome".
	Label string
	// Browsers are the names of the browsers that read it.
	Browsers []string
	// Create: there is no database yet, but a browser will read one there
	// (a profile never opened, a Chromium never started); an installer may
	// create it, empty, as the browser would. Never set for a snap or a
	// Flatpak whose own HOME does not exist yet (the package makes it).
	Create bool
}

// Databases lists the NSS databases the browsers of list read, each folder
// once, in list's order: every Gecko profile's own, then the databases
// Blink browsers share.
func Databases(list []Browser) []Database {
	var out []Database
	index := map[string]int{}
	add := func(db Database, browser string) {
		key := db.Dir
		if r, err := filepath.EvalSymlinks(key); err == nil {
			key = r
		}
		if i, ok := index[key]; ok {
			if !slices.Contains(out[i].Browsers, browser) {
				out[i].Browsers = append(out[i].Browsers, browser)
			}
			out[i].Create = out[i].Create || db.Create
			return
		}
		index[key] = len(out)
		db.Browsers = []string{browser}
		out = append(out, db)
	}
	for _, b := range list {
		if b.Engine != Gecko {
			continue
		}
		for _, p := range b.Profiles {
			add(Database{NSSDB: p.NSS, Label: fmt.Sprintf("%s profile '%s'", b.Name, p.Name),
				Create: p.NSS.State == NoDB}, b.Name)
		}
	}
	for _, b := range list {
		if b.Engine != Blink || b.NSS.Zero() {
			continue
		}
		create := b.NSS.State == NoDB && (b.Packaging == Native || isDir(ownHome(b.NSS.Dir)))
		if b.NSS.State == NoDB && !create {
			continue
		}
		add(Database{NSSDB: b.NSS, Create: create}, b.Name)
	}
	for i := range out {
		if out[i].Label == "" {
			out[i].Label = joinNames(out[i].Browsers)
		}
	}
	return out
}

// ownHome is the HOME an NSS folder ".../.pki/nssdb" belongs to.
func ownHome(dir string) string {
	return filepath.Dir(filepath.Dir(dir))
}

// joinNames says "A", "A and B", "A, B and C".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
