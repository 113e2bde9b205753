// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"fmt"
	"strings"
)

// What a site is: one home for Polaris. A site is a registrable domain
// (eTLD+1), found with the public suffix list and its private section, as
// browsers and uBlock Origin find it: "news.example.co.uk" belongs to the
// site "example.co.uk", "user.github.io" is a site of its own.

// Site returns the site of a lower-case host name: its registrable domain,
// or the host itself when it has none (an IP address, a public suffix, a
// single label such as "localhost"). It allocates nothing for a host seen
// recently, so the request path may call it for every request.
func Site(host string) string { return registrable(host) }

// RegistrableDomain returns the registrable domain of a host name a person
// typed or a file holds: trimmed, lower-cased, without a trailing dot. A
// bare public suffix, an IP address or an invalid name is an error.
func RegistrableDomain(host string) (string, error) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if h == "" || strings.ContainsAny(h, " /:@*?#[]\\") {
		return "", fmt.Errorf("%q is not a host name", host)
	}
	n := publicSuffixLen(h)
	if isIP(h) || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") || n >= len(h) || h[len(h)-n-1] != '.' {
		return "", fmt.Errorf("%q is not a site (a registrable domain such as example.com)", host)
	}
	return registrableLen(h, n), nil
}
