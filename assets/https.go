// SPDX-License-Identifier: GPL-3.0-or-later

package assets

import "embed"

// HTTPS holds the curated host and parameter lists of the HTTPS features
// (one entry per line, '#' starts a comment):
//
//	https/exclusions.txt       hosts never intercepted by default (banking, health, government)
//	https/search-engines.txt   search engines: plain HTTP is redirected to HTTPS, and their
//	                           search terms never leave them in a Referer
//	https/tracking-params.txt  query parameters removed from navigations
//
// Host patterns: "example.com" is the name and every subdomain, "*.example.com"
// subdomains only, "google.*" the registrable domain google.<any ICANN public
// suffix> and its subdomains. Parameter patterns are exact, case-sensitive
// names; a trailing "*" makes a prefix (utm_*).
//
//go:embed https/*.txt
var HTTPS embed.FS
