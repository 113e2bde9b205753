// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Redirectors: addresses that only bounce the browser on to another one
// ("google.com/url?q=...", "l.facebook.com/l.php?u=...") and record the
// click on the way. Polaris's own rule format, one rule a line:
//
//	# comment
//	HOST[/PATH] PARAM [PARAM...]
//
// HOST is a host name (its subdomains included), "*.name" (subdomains
// only) or "name.*" (name under any public suffix, as google.*). PATH, when
// given, is a prefix the address's path must start with ("/url" matches
// "/url" and "/url?..."; "/" or no path matches every path). Each PARAM
// names a query parameter that may hold the destination, tried in order;
// "b64:NAME" holds it base64-encoded (standard or URL alphabet, padded or
// not), and "?" means the whole query is the destination. A destination is
// used only when it is an absolute http or https address with a host.
//
// ParseRedirectors parses rules into a ready *Redirectors; Destination
// finds the destination of an address. DestinationIn finds one in any
// parameter, for the block page.

// Redirectors is a compiled set of redirector rules. It is immutable and
// safe for concurrent use.
type Redirectors struct {
	exact map[string][]redirRule // by host (its subdomains too)
	sub   map[string][]redirRule // "*.name": subdomains only
	any   map[string][]redirRule // "name.*": by the label before the suffix
	n     int
}

type redirRule struct {
	text   string
	path   string
	params []redirParam
}

type redirParam struct {
	name   string
	base64 bool
	query  bool // "?": the whole query
}

// Len returns how many rules r holds.
func (r *Redirectors) Len() int {
	if r == nil {
		return 0
	}
	return r.n
}

// ParseRedirectors reads redirector rules. A bad line is reported with its
// number and skipped.
func ParseRedirectors(text string) (*Redirectors, []ParseError) {
	r := &Redirectors{exact: map[string][]redirRule{}, sub: map[string][]redirRule{}, any: map[string][]redirRule{}}
	var errs []ParseError
	eachLine(text, func(n int, line string) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			return
		}
		if err := r.add(s); err != nil {
			errs = append(errs, ParseError{Line: n, Text: s, Err: err})
		}
	})
	return r, errs
}

func (r *Redirectors) add(s string) error {
	f := strings.Fields(s)
	if len(f) < 2 {
		return errors.New(`want "HOST[/PATH] PARAM [PARAM...]"`)
	}
	hostPath := strings.ToLower(f[0])
	host, path, hasPath := strings.Cut(hostPath, "/")
	if hasPath {
		path = "/" + path
	}
	rule := redirRule{text: s, path: path}
	for _, p := range f[1:] {
		switch {
		case p == "?":
			rule.params = append(rule.params, redirParam{query: true})
		case strings.HasPrefix(p, "b64:") && len(p) > 4:
			rule.params = append(rule.params, redirParam{name: p[4:], base64: true})
		case strings.ContainsAny(p, "&=#?") || strings.HasPrefix(p, "/"):
			return fmt.Errorf("parameter %q: want a name, b64:NAME or ?", p)
		default:
			rule.params = append(rule.params, redirParam{name: p})
		}
	}
	var table map[string][]redirRule
	anySuffix := false
	switch {
	case strings.HasSuffix(host, ".*"):
		host, table, anySuffix = strings.TrimSuffix(host, ".*"), r.any, true
		if strings.Contains(host, ".") {
			return fmt.Errorf("host %q: name.* takes a single label, e.g. google.*", f[0])
		}
	case strings.HasPrefix(host, "*."):
		host, table = host[2:], r.sub
	default:
		table = r.exact
	}
	h, err := punycode(host)
	if err != nil || (anySuffix && !isHostLabels(h)) || (!anySuffix && !isHostname(h)) {
		return fmt.Errorf("host %q is not a host name", f[0])
	}
	table[h] = append(table[h], rule)
	r.n++
	return nil
}

// Destination returns the address a redirector address u leads to, and
// the rule that says so; ok is false when u is no known redirector or
// carries no usable destination.
func (r *Redirectors) Destination(u *url.URL) (dest, rule string, ok bool) {
	if r.Len() == 0 || u == nil || u.RawQuery == "" && u.Path == "" {
		return "", "", false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	for _, rl := range r.candidates(host) {
		if rl.path != "" && rl.path != "/" && !strings.HasPrefix(u.EscapedPath(), rl.path) {
			continue
		}
		if d, ok := rl.destination(u); ok && !sameAddress(d, u) {
			return d, rl.text, true
		}
	}
	return "", "", false
}

// candidates returns the rules that may apply to host.
func (r *Redirectors) candidates(host string) []redirRule {
	var out []redirRule
	for h, first := host, true; h != ""; first = false {
		out = append(out, r.exact[h]...)
		if !first {
			out = append(out, r.sub[h]...)
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	if len(r.any) > 0 {
		if suffix, icann := publicsuffix.PublicSuffix(host); icann && len(suffix) < len(host) {
			rest := host[:len(host)-len(suffix)-1]
			if i := strings.LastIndexByte(rest, '.'); i >= 0 {
				rest = rest[i+1:]
			}
			out = append(out, r.any[rest]...)
		}
	}
	return out
}

func (rl *redirRule) destination(u *url.URL) (string, bool) {
	q := u.Query()
	for _, p := range rl.params {
		var v string
		switch {
		case p.query:
			v, _ = url.QueryUnescape(u.RawQuery)
			if v == "" {
				v = u.RawQuery
			}
		case p.base64:
			raw := q.Get(p.name)
			v = decodeBase64(raw)
		default:
			v = q.Get(p.name)
		}
		if d, ok := usableDestination(v); ok {
			return d, true
		}
	}
	return "", false
}

// DestinationIn returns the first http or https address held whole in a
// query parameter of u (URL-encoded, or encoded twice), as click trackers
// carry their destination; "" when there is none. It is what a blocked
// link leads to, for the block page.
func DestinationIn(u *url.URL) string {
	if u == nil || u.RawQuery == "" {
		return ""
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		_, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		dec, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		if d, ok := usableDestination(dec); ok && !sameAddress(d, u) {
			return d
		}
	}
	return ""
}

// maxDestination bounds a destination's length.
const maxDestination = 8 << 10

// usableDestination checks a candidate destination (decoding it once
// more when it is still URL-encoded) and returns it normalised.
func usableDestination(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) > maxDestination || v == "" {
		return "", false
	}
	low := strings.ToLower(v)
	if strings.HasPrefix(low, "http%3a") || strings.HasPrefix(low, "https%3a") {
		if d, err := url.QueryUnescape(v); err == nil {
			v, low = d, strings.ToLower(d)
		}
	}
	if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") {
		return "", false
	}
	d, err := url.Parse(v)
	if err != nil || d.Host == "" || d.User != nil || (d.Scheme != "http" && d.Scheme != "https") {
		return "", false
	}
	h := strings.ToLower(d.Hostname())
	if h == "" || strings.ContainsAny(h, " \t") {
		return "", false
	}
	return d.String(), true
}

// sameAddress reports whether dest is u itself (a loop).
func sameAddress(dest string, u *url.URL) bool {
	d, err := url.Parse(dest)
	return err == nil && strings.EqualFold(d.Host, u.Host) && d.Path == u.Path && d.RawQuery == u.RawQuery
}

func decodeBase64(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b)
		}
	}
	return ""
}
