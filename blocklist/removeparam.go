// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// $removeparam (uBlock Origin, AdGuard): rules that remove query
// parameters from the addresses they match. A value is
//
//	(none)       every parameter
//	name         the parameter of that name (as written or percent-decoded)
//	/re/[i]      every parameter whose "name=value" matches the regular
//	             expression (i: ignoring case), decoded or as written
//	~name, ~/re/ every parameter but those
//
// Exception rules (@@...$removeparam[=value]) lift all of them or one.

// HasRemoveParams reports whether any $removeparam rule is loaded: when
// not, CleanQuery has nothing to do and callers may skip it.
func (m *Matcher) HasRemoveParams() bool { return m != nil && m.rmp.size > 0 }

// CleanQuery returns r's query (without '?') with the parameters removed
// that the $removeparam rules applying to r name, and whether any was.
// Every other parameter is kept exactly as written, in order. It allocates
// when rules apply; without rules it costs nothing.
func (m *Matcher) CleanQuery(r *Request) (rawQuery string, changed bool) {
	i := strings.IndexByte(r.URL, '?')
	if !m.HasRemoveParams() || i < 0 {
		return "", false
	}
	q := r.URL[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	if q == "" {
		return q, false
	}
	values := m.RemoveParams(r)
	if len(values) == 0 {
		return q, false
	}
	return RemoveQueryParams(q, values)
}

// RemoveQueryParams removes from a raw query the parameters that the
// $removeparam values name (see the package comment above).
func RemoveQueryParams(rawQuery string, values []string) (string, bool) {
	if rawQuery == "" || len(values) == 0 {
		return rawQuery, false
	}
	parts := strings.Split(rawQuery, "&")
	kept := parts[:0:0]
	for _, part := range parts {
		if part != "" && removed(part, values) {
			continue
		}
		kept = append(kept, part)
	}
	if len(kept) == len(parts) {
		return rawQuery, false
	}
	return strings.Join(kept, "&"), true
}

// removed reports whether one "name=value" part goes.
func removed(part string, values []string) bool {
	dec := part
	if strings.ContainsAny(part, "%+") {
		if d, err := url.QueryUnescape(part); err == nil {
			dec = d
		}
	}
	name, _, _ := strings.Cut(part, "=")
	decName, _, _ := strings.Cut(dec, "=")
	for _, v := range values {
		not := strings.HasPrefix(v, "~")
		p := strings.TrimPrefix(v, "~")
		var hit bool
		switch {
		case v == "":
			return true
		case isParamRegex(p):
			re := paramRegex(p)
			hit = re != nil && (re.MatchString(part) || re.MatchString(dec))
		default:
			hit = name == p || decName == p
		}
		if hit != not {
			return true
		}
	}
	return false
}

func isParamRegex(p string) bool {
	return len(p) >= 2 && p[0] == '/' && (strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/i"))
}

var paramRegexes sync.Map // value -> *regexp.Regexp (nil when it does not compile)

// paramRegex compiles a "/re/[i]" value once.
func paramRegex(p string) *regexp.Regexp {
	if re, ok := paramRegexes.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := compileParamRegex(p)
	paramRegexes.Store(p, re)
	return re
}

func compileParamRegex(p string) (*regexp.Regexp, error) {
	expr, flags := p[1:], ""
	if strings.HasSuffix(expr, "/i") {
		expr, flags = expr[:len(expr)-2], "(?i)"
	} else {
		expr = expr[:len(expr)-1]
	}
	if expr == "" {
		return nil, errors.New("empty regular expression")
	}
	return regexp.Compile(flags + expr)
}

// checkRemoveParam validates a $removeparam value.
func checkRemoveParam(v string) error {
	p := strings.TrimPrefix(v, "~")
	if strings.HasPrefix(p, "/") {
		if !isParamRegex(p) {
			return fmt.Errorf("removeparam=%q: unterminated regular expression", v)
		}
		if _, err := compileParamRegex(p); err != nil {
			return fmt.Errorf("removeparam=%q: %w", v, err)
		}
		return nil
	}
	if strings.TrimPrefix(v, "~") == "" && v != "" {
		return fmt.Errorf("removeparam=%q: ~ needs a name or a regular expression", v)
	}
	if strings.ContainsAny(p, "&#") {
		return fmt.Errorf("removeparam=%q: not a parameter name", v)
	}
	return nil
}

// HasCSP reports whether any $csp rule is loaded.
func (m *Matcher) HasCSP() bool { return m != nil && m.csp.size > 0 }

// CSP returns the policies of the $csp rules that apply to r (a page or a
// frame), less those an exception lifts (@@...$csp lifts all of them,
// @@...$csp=POLICY that one). The browser enforces each of them on top of
// the page's own: they only ever restrict. It allocates when rules apply.
func (m *Matcher) CSP(r *Request) []string {
	if !m.HasCSP() {
		return nil
	}
	r.ensure()
	party, _ := m.party(r)
	var out []string
	seen := map[int32]bool{}
	for {
		id, _ := m.firstExcept(&m.csp, r, party, seen)
		if id < 0 {
			return out
		}
		seen[id] = true
		v := m.filters[id].opt.csp
		if !m.cspExcepted(r, party, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
}

func (m *Matcher) cspExcepted(r *Request, party uint8, v string) bool {
	seen := map[int32]bool{}
	for {
		id, _ := m.firstExcept(&m.cspExc, r, party, seen)
		if id < 0 {
			return false
		}
		seen[id] = true
		if e := m.filters[id].opt.csp; e == "" || e == v {
			return true
		}
	}
}
