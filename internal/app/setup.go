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
