// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"errors"
	"net"
	"slices"

	"polaris/internal/settings"
)

// ErrUnavailable is returned by actions whose feature is not built yet.
var ErrUnavailable = errors.New("this is not available in this version of Polaris yet")

// AllowSite turns protections off on site: it adds the site's registrable
// domain (or the address itself, for a site named by its IP address) to
// the allowlist.
func (a *App) AllowSite(ctx context.Context, site string) error {
	d, err := settings.RegistrableDomain(site)
	if net.ParseIP(site) != nil {
		d, err = settings.CheckSitePattern(site)
	}
	if err != nil {
		return err
	}
	s := a.Settings()
	if slices.Contains(s.Blocking.Allowlist, d) {
		return nil
	}
	s.Blocking.Allowlist = append(s.Blocking.Allowlist, d)
	return a.Apply(ctx, s)
}
