// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"

	"polaris/internal/browsers"
	"polaris/internal/status"
)

// FindBrowsers lists the browsers and profiles of this user on this
// machine (internal/browsers), for the set-up. It reads only.
func (a *App) FindBrowsers(context.Context) []status.FoundBrowser {
	var out []status.FoundBrowser
	for _, b := range browsers.List(browsers.Env{}) {
		fb := status.FoundBrowser{Name: b.Name, Family: b.Family, Installed: b.Installed, Running: b.Running}
		for _, p := range b.Profiles {
			fb.Profiles = append(fb.Profiles, p.Name)
		}
		out = append(out, fb)
	}
	return out
}

// InstallCAInBrowsers adds the CA to each browser's own store, not the
// system's (the set-up in the window).
func (a *App) InstallCAInBrowsers(ctx context.Context) (string, error) {
	return a.InstallCATo(ctx, false)
}

// BrowserTrust reads each browser's store back (the set-up's check).
func (a *App) BrowserTrust(ctx context.Context) (string, error) {
	return a.CATrust(ctx, false)
}
