// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bytes"
)

// Adblock Plus patterns: '*' matches any run of characters, '^' one
// separator character (anything but a letter, a digit or one of "_-.%") or
// the end of the URL. Patterns are matched segment by segment ('*'
// separates segments), each at its leftmost place, which is exact for this
// pattern language.

// isSeparator reports whether c matches '^'.
func isSeparator(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return false
	case c == '_', c == '-', c == '.', c == '%':
		return false
	}
	return true
}

// matchFrom matches pat against s[from:]. anchored: the pattern must start
// at from; anchorEnd: it must end at the end of s.
func matchFrom(pat []byte, s []byte, from int, anchored, anchorEnd bool) bool {
	seg, rest, more := cutStar(pat)
	var end int
	if anchored {
		var ok bool
		if end, ok = segMatchAt(seg, s, from, !more); !ok {
			return false
		}
	} else if !more && anchorEnd {
		return matchEnd(seg, s, from)
	} else {
		var i int
		if i, end = segIndex(seg, s, from, !more); i < 0 {
			return false
		}
	}
	if !more {
		return !anchorEnd || end == len(s)
	}
	return matchRest(rest, s, end, anchorEnd)
}

// matchRest matches the segments of pat, one after another, each anywhere
// after the previous one.
func matchRest(pat []byte, s []byte, pos int, anchorEnd bool) bool {
	for {
		seg, rest, more := cutStar(pat)
		if !more && anchorEnd {
			return matchEnd(seg, s, pos)
		}
		i, end := segIndex(seg, s, pos, !more)
		if i < 0 {
			return false
		}
		if !more {
			return true
		}
		pat, pos = rest, end
	}
}

// matchEnd reports whether seg matches s at its very end, at or after pos.
func matchEnd(seg []byte, s []byte, pos int) bool {
	start := len(s) - len(seg)
	if start < pos {
		return false
	}
	end, ok := segMatchAt(seg, s, start, false)
	return ok && end == len(s)
}

func cutStar(pat []byte) (seg, rest []byte, more bool) {
	if i := bytes.IndexByte(pat, '*'); i >= 0 {
		return pat[:i], pat[i+1:], true
	}
	return pat, nil, false
}

// segMatchAt matches a segment (no '*') at s[at:] and returns where the
// match ends. last: the segment ends the pattern, so trailing '^' may match
// the end of s.
func segMatchAt(seg []byte, s []byte, at int, last bool) (int, bool) {
	for j := 0; j < len(seg); j++ {
		c := seg[j]
		if at+j >= len(s) {
			if c == '^' && last && len(bytes.Trim(seg[j:], "^")) == 0 {
				return len(s), true
			}
			return 0, false
		}
		if c == '^' {
			if !isSeparator(s[at+j]) {
				return 0, false
			}
		} else if s[at+j] != c {
			return 0, false
		}
	}
	return at + len(seg), true
}

// segIndex finds the leftmost match of seg in s at or after from and
// returns its start and end, or -1.
func segIndex(seg []byte, s []byte, from int, last bool) (int, int) {
	if from > len(s) {
		return -1, 0
	}
	k := bytes.IndexByte(seg, '^')
	if k < 0 {
		i := bytes.Index(s[from:], seg)
		if i < 0 {
			return -1, 0
		}
		return from + i, from + i + len(seg)
	}
	// Search for the longest literal piece, then check the whole segment
	// around each occurrence.
	lit, off := longestLiteral(seg)
	if len(lit) == 0 {
		for i := from; i <= len(s); i++ {
			if end, ok := segMatchAt(seg, s, i, last); ok {
				return i, end
			}
		}
		return -1, 0
	}
	for p := from + off; p <= len(s); {
		j := bytes.Index(s[p:], lit)
		if j < 0 {
			return -1, 0
		}
		start := p + j - off
		if end, ok := segMatchAt(seg, s, start, last); ok {
			return start, end
		}
		p += j + 1
	}
	return -1, 0
}

// longestLiteral returns the longest run of seg without '^' and its offset.
func longestLiteral(seg []byte) ([]byte, int) {
	var best []byte
	off := 0
	for i := 0; i < len(seg); {
		for i < len(seg) && seg[i] == '^' {
			i++
		}
		j := i
		for j < len(seg) && seg[j] != '^' {
			j++
		}
		if j-i > len(best) {
			best, off = seg[i:j], i
		}
		i = j
	}
	return best, off
}

// matchHostAnchored matches a "||" pattern: it must start where the host
// starts or right after a dot inside the host.
func matchHostAnchored(pat []byte, s []byte, hostStart, hostEnd int, anchorEnd bool) bool {
	for i := hostStart; i < hostEnd; i++ {
		if i > hostStart && s[i-1] != '.' {
			continue
		}
		if matchFrom(pat, s, i, true, anchorEnd) {
			return true
		}
	}
	return false
}
