// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"strings"
)

// Content-Security-Policy, as far as an inline script Polaris adds to a
// page needs it (CSP Level 3): a header holds policies separated by ',',
// a policy directives separated by ';', a directive a name and its source
// list. Inline scripts are governed by script-src-elem, else script-src,
// else default-src. Polaris's script runs the way the page's own do: with
// the page's nonce when the policy uses nonces, with its hash added when it
// uses hashes only, as it is when the policy allows inline scripts; a
// policy that allows no inline script at all is never changed (that would
// loosen it), and the script is then not added.

// cspVerdict is what one policy needs for an inline script.
type cspVerdict uint8

const (
	cspAllows  cspVerdict = iota // inline scripts run ('unsafe-inline' or no restriction)
	cspNonce                     // the script needs the policy's nonce
	cspHash                      // the script needs its hash added
	cspRefuses                   // no inline script may run; nothing is changed
)

// cspPolicy is one parsed policy of a header.
type cspPolicy struct {
	directive string // the directive that governs inline scripts, "" for none
	sources   []string
	verdict   cspVerdict
	nonce     string // for cspNonce
}

// parseCSP parses a Content-Security-Policy header value into its
// policies, deciding for each what an inline script needs.
func parseCSP(v string) []cspPolicy {
	var out []cspPolicy
	for _, pol := range strings.Split(v, ",") {
		if strings.TrimSpace(pol) == "" {
			continue
		}
		out = append(out, parseCSPPolicy(pol))
	}
	return out
}

func parseCSPPolicy(pol string) cspPolicy {
	dirs := map[string][]string{}
	for _, d := range strings.Split(pol, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		name := strings.ToLower(f[0])
		if _, dup := dirs[name]; dup {
			continue // the first occurrence counts
		}
		dirs[name] = f[1:]
	}
	var p cspPolicy
	for _, name := range []string{"script-src-elem", "script-src", "default-src"} {
		if src, ok := dirs[name]; ok {
			p.directive, p.sources = name, src
			break
		}
	}
	if p.directive == "" {
		return p // cspAllows
	}
	unsafeInline, hashes := false, false
	for _, s := range p.sources {
		ls := strings.ToLower(s)
		switch {
		case ls == "'unsafe-inline'":
			unsafeInline = true
		case strings.HasPrefix(ls, "'nonce-") && strings.HasSuffix(ls, "'") && len(s) > len("'nonce-'"):
			if p.nonce == "" {
				p.nonce = s[len("'nonce-") : len(s)-1]
			}
		case strings.HasPrefix(ls, "'sha256-") || strings.HasPrefix(ls, "'sha384-") || strings.HasPrefix(ls, "'sha512-"):
			hashes = true
		}
	}
	switch {
	case p.nonce != "" && validNonce(p.nonce):
		p.verdict = cspNonce
	case hashes:
		p.verdict = cspHash
	case unsafeInline:
		p.verdict = cspAllows
	default:
		p.verdict = cspRefuses
	}
	return p
}

// validNonce reports whether a nonce can be written into an attribute as
// it is (base64 or base64url characters, as CSP requires).
func validNonce(n string) bool {
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return n != ""
}

// addCSPHash returns the header value v with hash ('sha256-...') added to
// the directive that governs inline scripts of each policy that needs it
// (cspHash, or cspNonce with another nonce than the one used); every other
// byte is kept.
func addCSPHash(v, hash, nonce string) string {
	pols := strings.Split(v, ",")
	for i, pol := range pols {
		p := parseCSPPolicy(pol)
		if !(p.verdict == cspHash || (p.verdict == cspNonce && p.nonce != nonce)) {
			continue
		}
		dirs := strings.Split(pol, ";")
		for j, d := range dirs {
			f := strings.Fields(d)
			if len(f) > 0 && strings.ToLower(f[0]) == p.directive {
				dirs[j] = strings.TrimRight(d, " \t") + " '" + hash + "'"
				break
			}
		}
		pols[i] = strings.Join(dirs, ";")
	}
	return strings.Join(pols, ",")
}
