// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"bytes"
	"strconv"
	"strings"
)

// parsePrefs reads Firefox preference statements (prefs.js, user.js):
// `user_pref("name", value);` and the pref/sticky_pref forms, with //, #
// and /* */ comments. It returns each pref's last value: strings decoded,
// numbers and booleans as written. A malformed statement is skipped up to
// the next ";". It never fails: these files are the user's and Firefox's,
// and a bad line must not stop Polaris from reading the rest.
func parsePrefs(src []byte) map[string]string {
	out := map[string]string{}
	l := prefLexer{s: src}
	for {
		k, text := l.next()
		switch {
		case k == tokEOF:
			return out
		case k == tokPunct && text == ";":
		case k == tokIdent && (text == "user_pref" || text == "pref" || text == "sticky_pref"):
			if name, val, ok := l.statement(); ok {
				out[name] = val
			} else if l.last != ";" {
				l.skipStatement()
			}
		default:
			l.skipStatement()
		}
	}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokPunct
	tokBad
)

type prefLexer struct {
	s   []byte
	pos int
	// last is the last token's text when it was punctuation, else "".
	last string
}

// statement parses `("name", value [, attrs]);` after the pref keyword.
func (l *prefLexer) statement() (name, val string, ok bool) {
	if k, t := l.next(); k != tokPunct || t != "(" {
		return "", "", false
	}
	k, name := l.next()
	if k != tokString {
		return "", "", false
	}
	if k, t := l.next(); k != tokPunct || t != "," {
		return "", "", false
	}
	k, val = l.next()
	switch {
	case k == tokString, k == tokNumber:
	case k == tokIdent && (val == "true" || val == "false"):
	default:
		return "", "", false
	}
	for {
		k, t := l.next()
		switch {
		case k == tokPunct && t == ")":
			if k, t := l.next(); k == tokPunct && t == ";" {
				return name, val, true
			}
			return "", "", false
		case k == tokPunct && t == ",", k == tokIdent:
			// attributes such as sticky, locked
		default:
			return "", "", false
		}
	}
}

// skipStatement moves past the next ";" (or to the end).
func (l *prefLexer) skipStatement() {
	for {
		k, t := l.next()
		if k == tokEOF || (k == tokPunct && t == ";") {
			return
		}
	}
}

func (l *prefLexer) skipSpace() {
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.pos++
		case c == '#' || (c == '/' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '/'):
			for l.pos < len(l.s) && l.s[l.pos] != '\n' {
				l.pos++
			}
		case c == '/' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '*':
			end := bytes.Index(l.s[l.pos+2:], []byte("*/"))
			if end < 0 {
				l.pos = len(l.s)
			} else {
				l.pos += 2 + end + 2
			}
		default:
			return
		}
	}
}

func isIdent(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

func (l *prefLexer) next() (tokKind, string) {
	k, t := l.lex()
	l.last = ""
	if k == tokPunct {
		l.last = t
	}
	return k, t
}

func (l *prefLexer) lex() (tokKind, string) {
	l.skipSpace()
	if l.pos >= len(l.s) {
		return tokEOF, ""
	}
	c := l.s[l.pos]
	start := l.pos
	switch {
	case isIdent(c, true):
		for l.pos < len(l.s) && isIdent(l.s[l.pos], false) {
			l.pos++
		}
		return tokIdent, string(l.s[start:l.pos])
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		l.pos++
		for l.pos < len(l.s) && l.s[l.pos] >= '0' && l.s[l.pos] <= '9' {
			l.pos++
		}
		return tokNumber, string(l.s[start:l.pos])
	case c == '"' || c == '\'':
		return l.str(c)
	case c == '(' || c == ')' || c == ',' || c == ';':
		l.pos++
		return tokPunct, string(c)
	}
	l.pos++
	return tokBad, string(c)
}

// str reads a quoted string with Firefox's escapes (\" \' \\ \n \r \xHH
// \uHHHH).
func (l *prefLexer) str(q byte) (tokKind, string) {
	l.pos++
	var b strings.Builder
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		l.pos++
		switch {
		case c == q:
			return tokString, b.String()
		case c == '\\' && l.pos < len(l.s):
			e := l.s[l.pos]
			l.pos++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 'x', 'u':
				n := 2
				if e == 'u' {
					n = 4
				}
				if l.pos+n > len(l.s) {
					return tokBad, ""
				}
				v, err := strconv.ParseUint(string(l.s[l.pos:l.pos+n]), 16, 32)
				if err != nil {
					return tokBad, ""
				}
				l.pos += n
				b.WriteRune(rune(v))
			default:
				b.WriteByte(e)
			}
		case c == '\n':
			return tokBad, ""
		default:
			b.WriteByte(c)
		}
	}
	return tokBad, ""
}

// ffProfile is one Firefox profile directory.
type ffProfile struct {
	Name string
	Dir  string
}
