// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie lifetime caps (AdGuard's "self-destructing cookies"): a
// Set-Cookie whose cookie would outlive the cap gets Max-Age set to the cap
// (and Expires to match, for clients that know only Expires). Max-Age and
// Expires are read as browsers read them (RFC 6265 §5.2): the last valid
// one of each counts, Max-Age wins over Expires, and Expires is parsed with
// the forgiving cookie-date algorithm of §5.1.1, which takes every date
// format servers send. A session cookie (neither attribute) and a cookie
// being deleted (a lifetime of zero or less) are left as they are; so is
// every other attribute, byte for byte.

// capSetCookie caps the lifetime of the cookie a Set-Cookie value sets to
// max, as of now. It returns the value to send and whether it changed.
func capSetCookie(v string, max time.Duration, now time.Time) (string, bool) {
	if max <= 0 {
		return v, false
	}
	life, ok := cookieLifetime(v, now)
	if !ok || life <= max {
		return v, false
	}
	b := make([]byte, 0, len(v)+64)
	nv, rest, _ := strings.Cut(v, ";")
	b = append(b, strings.TrimSpace(nv)...)
	for rest != "" {
		var attr string
		attr, rest, _ = strings.Cut(rest, ";")
		attr = strings.TrimSpace(attr)
		if attr == "" {
			continue
		}
		name, _, _ := strings.Cut(attr, "=")
		name = strings.TrimSpace(name)
		if strings.EqualFold(name, "max-age") || strings.EqualFold(name, "expires") {
			continue
		}
		b = append(b, "; "...)
		b = append(b, attr...)
	}
	secs := int64(max / time.Second)
	b = append(b, "; Max-Age="...)
	b = strconv.AppendInt(b, secs, 10)
	b = append(b, "; Expires="...)
	b = now.Add(time.Duration(secs)*time.Second).UTC().AppendFormat(b, http.TimeFormat)
	return string(b), true
}

// cookieLifetime returns how long the cookie a Set-Cookie value sets
// lives from now; ok is false for a session cookie and for one being
// deleted.
func cookieLifetime(v string, now time.Time) (life time.Duration, ok bool) {
	_, rest, _ := strings.Cut(v, ";")
	var maxAge int64
	var expires time.Time
	hasMaxAge, hasExpires := false, false
	for rest != "" {
		var attr string
		attr, rest, _ = strings.Cut(rest, ";")
		name, val, _ := strings.Cut(attr, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		switch {
		case strings.EqualFold(name, "max-age"):
			if d, ok := parseMaxAge(val); ok {
				maxAge, hasMaxAge = d, true
			}
		case strings.EqualFold(name, "expires"):
			if t, ok := parseCookieDate(val); ok {
				expires, hasExpires = t, true
			}
		}
	}
	switch {
	case hasMaxAge:
		if maxAge <= 0 {
			return 0, false
		}
		const most = int64(1<<63-1) / int64(time.Second)
		if maxAge > most {
			maxAge = most
		}
		return time.Duration(maxAge) * time.Second, true
	case hasExpires:
		if !expires.After(now) {
			return 0, false
		}
		return expires.Sub(now), true
	}
	return 0, false
}

// parseMaxAge parses a Max-Age value (RFC 6265 §5.2.2): an optional '-'
// and digits; a value too large saturates.
func parseMaxAge(v string) (int64, bool) {
	digits := strings.TrimPrefix(v, "-")
	if digits == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < 1<<62/10 {
			n = n*10 + int64(c-'0')
		}
	}
	if len(digits) < len(v) {
		return -n, true
	}
	return n, true
}

// isCookieDelimiter reports whether c separates the tokens of a cookie
// date (RFC 6265 §5.1.1).
func isCookieDelimiter(c byte) bool {
	return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e)
}

var cookieMonths = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// parseCookieDate parses a date as browsers parse a cookie's Expires
// (RFC 6265 §5.1.1): the first time, day of month, month and year found
// among the tokens, in any order and format.
func parseCookieDate(s string) (time.Time, bool) {
	var hour, minute, sec, day, month, year int
	foundTime, foundDay, foundMonth, foundYear := false, false, false, false
	for i := 0; i < len(s); {
		for i < len(s) && isCookieDelimiter(s[i]) {
			i++
		}
		start := i
		for i < len(s) && !isCookieDelimiter(s[i]) {
			i++
		}
		tok := s[start:i]
		if tok == "" {
			continue
		}
		switch {
		case !foundTime && parseCookieTime(tok, &hour, &minute, &sec):
			foundTime = true
		case !foundDay && digitsThenAny(tok, 1, 2, &day):
			foundDay = true
		case !foundMonth && len(tok) >= 3 && monthOf(tok[:3], &month):
			foundMonth = true
		case !foundYear && digitsThenAny(tok, 2, 4, &year):
			foundYear = true
		}
	}
	if !foundTime || !foundDay || !foundMonth || !foundYear {
		return time.Time{}, false
	}
	switch {
	case year >= 70 && year <= 99:
		year += 1900
	case year >= 0 && year <= 69:
		year += 2000
	}
	if day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // 31 February and the like
		return time.Time{}, false
	}
	return t, true
}

// digitsThenAny reads lo to hi digits at the start of tok, followed by
// nothing or a non-digit, into n.
func digitsThenAny(tok string, lo, hi int, n *int) bool {
	v, k := 0, 0
	for k < len(tok) && k <= hi && tok[k] >= '0' && tok[k] <= '9' {
		v = v*10 + int(tok[k]-'0')
		k++
	}
	if k < lo || k > hi {
		return false
	}
	*n = v
	return true
}

// parseCookieTime reads hh:mm:ss (one or two digits each), followed by
// nothing or a non-digit.
func parseCookieTime(tok string, h, m, s *int) bool {
	var f [3]int
	i := 0
	for n := 0; n < 3; n++ {
		v, k := 0, 0
		for i < len(tok) && k < 3 && tok[i] >= '0' && tok[i] <= '9' {
			v = v*10 + int(tok[i]-'0')
			i++
			k++
		}
		if k < 1 || k > 2 {
			return false
		}
		f[n] = v
		if n < 2 {
			if i >= len(tok) || tok[i] != ':' {
				return false
			}
			i++
		}
	}
	*h, *m, *s = f[0], f[1], f[2]
	return true
}

func monthOf(prefix string, m *int) bool {
	for i, name := range cookieMonths {
		if strings.EqualFold(prefix, name) {
			*m = i + 1
			return true
		}
	}
	return false
}
