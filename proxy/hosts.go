// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"bufio"
	"fmt"
	"io/fs"
	"net"
	"strings"

	"golang.org/x/net/publicsuffix"

	"polaris/assets"
)

// hostSet matches host names against patterns:
//
//	example.com     the name and every subdomain
//	*.example.com   subdomains only
//	google.*        google.<any ICANN public suffix> and its subdomains
//
// The zero value matches nothing. A hostSet is immutable once built and safe
// for concurrent use; match allocates nothing.
type hostSet struct {
	self map[string]struct{} // the name and its subdomains
	sub  map[string]struct{} // subdomains only
	any  map[string]struct{} // "google" for google.*
}

// newHostSet builds a set from patterns. An invalid pattern is an error
// naming it; nothing is skipped silently.
func newHostSet(patterns ...[]string) (hostSet, error) {
	var s hostSet
	for _, list := range patterns {
		for _, p := range list {
			if err := s.add(p); err != nil {
				return hostSet{}, err
			}
		}
	}
	return s, nil
}

func (s *hostSet) add(pattern string) error {
	p := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(pattern)), ".")
	put := func(m *map[string]struct{}, k string) {
		if *m == nil {
			*m = map[string]struct{}{}
		}
		(*m)[k] = struct{}{}
	}
	switch {
	case strings.HasSuffix(p, ".*"):
		name := strings.TrimSuffix(p, ".*")
		if !validHostPattern(name) || strings.Contains(name, ".") {
			return fmt.Errorf("host pattern %q: want name.* with a single label, e.g. google.*", pattern)
		}
		put(&s.any, name)
	case strings.HasPrefix(p, "*."):
		name := strings.TrimPrefix(p, "*.")
		if !validHostPattern(name) {
			return fmt.Errorf("host pattern %q: want *.example.com", pattern)
		}
		put(&s.sub, name)
	default:
		if !validHostPattern(p) {
			return fmt.Errorf("host pattern %q: want a host name such as example.com", pattern)
		}
		put(&s.self, p)
	}
	return nil
}

func validHostPattern(h string) bool {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	return strings.Trim(h, "abcdefghijklmnopqrstuvwxyz0123456789-._") == ""
}

// empty reports whether the set matches nothing.
func (s *hostSet) empty() bool { return len(s.self) == 0 && len(s.sub) == 0 && len(s.any) == 0 }

// match reports whether host (lower case, no port, no trailing dot) is in
// the set. IP addresses match only a literal pattern of the same text.
func (s *hostSet) match(host string) bool {
	if s == nil || host == "" {
		return false
	}
	if isIPLiteral(host) {
		_, ok := s.self[host]
		return ok
	}
	if len(s.self) > 0 || len(s.sub) > 0 {
		for h, first := host, true; ; first = false {
			if _, ok := s.self[h]; ok {
				return true
			}
			if !first {
				if _, ok := s.sub[h]; ok {
					return true
				}
			}
			i := strings.IndexByte(h, '.')
			if i < 0 {
				break
			}
			h = h[i+1:]
		}
	}
	if len(s.any) > 0 && s.mayMatchAny(host) {
		suffix, icann := publicsuffix.PublicSuffix(host)
		if !icann || len(suffix) >= len(host) {
			return false
		}
		rest := host[:len(host)-len(suffix)-1] // "www.google" of www.google.co.uk
		if i := strings.LastIndexByte(rest, '.'); i >= 0 {
			rest = rest[i+1:]
		}
		_, ok := s.any[rest]
		return ok
	}
	return false
}

// mayMatchAny is a cheap first look for "name.*" patterns: host must
// contain "name." at a label boundary.
func (s *hostSet) mayMatchAny(host string) bool {
	for name := range s.any {
		for i := 0; ; {
			j := strings.Index(host[i:], name+".")
			if j < 0 {
				break
			}
			if k := i + j; k == 0 || host[k-1] == '.' {
				return true
			}
			i += j + 1
		}
	}
	return false
}

// readList returns the entries of an embedded list: one per line, '#'
// starts a comment, blank lines are skipped.
func readList(fsys fs.FS, name string) ([]string, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// builtinHosts loads an embedded host list; the lists are part of the
// binary and tested, so a bad one is a broken build.
func builtinHosts(name string) hostSet {
	list, err := readList(assets.HTTPS, "https/"+name)
	if err != nil {
		panic(err)
	}
	s, err := newHostSet(list)
	if err != nil {
		panic(fmt.Sprintf("https/%s: %v", name, err))
	}
	return s
}

var (
	defaultExclusions = builtinHosts("exclusions.txt")
	searchEngines     = builtinHosts("search-engines.txt")
)

// isSearchEngine reports whether host belongs to a search engine.
func isSearchEngine(host string) bool { return searchEngines.match(host) }

// isIPLiteral reports whether host is an IPv4 or IPv6 address (no brackets).
func isIPLiteral(host string) bool {
	if host == "" {
		return false
	}
	if c := host[len(host)-1]; (c < '0' || c > '9') && !strings.Contains(host, ":") {
		return false // names end in a letter; skip the parse on the hot path
	}
	return net.ParseIP(host) != nil
}

// normHost lowers host and drops a trailing dot and IPv6 brackets.
func normHost(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}
