// SPDX-License-Identifier: GPL-3.0-or-later

package status

// FoundBrowser is a browser found on this machine, for the set-up.
type FoundBrowser struct {
	// Name is the browser in words ("Firefox", "Chromium (snap)").
	Name   string
	Family Family
	// Installed: its program was found (a profile folder alone lists it
	// too).
	Installed bool
	// Profiles are its profiles' names.
	Profiles []string
	// Running: it is open now (changes to its settings wait until it is
	// closed).
	Running bool
}
