// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// punycode returns the ASCII form of a lower-case host name, as uBlock
// Origin and the browsers write international names ("bücher.example" is
// "xn--bcher-kva.example"), using IDNA's lookup profile. An ASCII host is
// returned as it is, without allocating; an entity pattern ("bücher.*")
// keeps its ".*". It fails on a name IDNA rejects.
func punycode(host string) (string, error) {
	if isASCII(host) {
		return host, nil
	}
	name, entity := strings.CutSuffix(host, ".*")
	a, err := idna.Lookup.ToASCII(name)
	if err != nil {
		return "", fmt.Errorf("international host name %q: %w", host, err)
	}
	a = strings.ToLower(a)
	if entity {
		a += ".*"
	}
	return a, nil
}

// punycodePattern converts the host of a host-anchored pattern ("||host^..."
// without its "||", or "scheme://host/..." after a "|") to ASCII.
func punycodePattern(p string, anchorHost bool) (string, error) {
	if isASCII(p) {
		return p, nil
	}
	start := 0
	if !anchorHost {
		i := strings.Index(p, "://")
		if i < 0 {
			return p, nil
		}
		start = i + 3
	}
	end := len(p)
	if i := strings.IndexAny(p[start:], "^/:*?|"); i >= 0 {
		end = start + i
	}
	if end == start || isASCII(p[start:end]) {
		return p, nil
	}
	host, err := punycode(p[start:end])
	if err != nil {
		return "", err
	}
	return p[:start] + host + p[end:], nil
}
