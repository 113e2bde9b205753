// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"fmt"
	"strings"
)

// allowlist holds the user's sites where protections are off.
type allowlist struct {
	sites map[string]string // "example.com": the site and its subdomains
	subs  map[string]string // "*.example.com": its subdomains only
}

func newAllowlist(patterns []string) (allowlist, error) {
	var a allowlist
	for _, p := range patterns {
		norm, err := CheckSitePattern(p)
		if err != nil {
			return a, fmt.Errorf("allowlist entry %q: %w", p, err)
		}
		if host, ok := strings.CutPrefix(norm, "*."); ok {
			if a.subs == nil {
				a.subs = map[string]string{}
			}
			a.subs[host] = norm
			continue
		}
		if a.sites == nil {
			a.sites = map[string]string{}
		}
		a.sites[norm] = norm
	}
	return a, nil
}

// match returns the pattern that allowlists site, if any.
func (a *allowlist) match(site string) (string, bool) {
	if a.sites == nil && a.subs == nil {
		return "", false
	}
	for h, first := site, true; h != ""; first = false {
		if p, ok := a.sites[h]; ok {
			return p, true
		}
		if p, ok := a.subs[h]; ok && !first {
			return p, true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return "", false
}
