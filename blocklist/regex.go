// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// literalRuns returns the literal strings every match of expr contains, in
// lower case: the runs of plain characters in its top-level sequence. They
// let the matcher skip a regular expression when a run is missing from the
// URL, and index the rule by a token inside a run.
func literalRuns(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	var nodes []*syntax.Regexp
	var flatten func(*syntax.Regexp)
	flatten = func(r *syntax.Regexp) {
		switch r.Op {
		case syntax.OpConcat:
			for _, s := range r.Sub {
				flatten(s)
			}
		case syntax.OpCapture:
			flatten(r.Sub[0])
		default:
			nodes = append(nodes, r)
		}
	}
	flatten(re)
	var runs []string
	var cur strings.Builder
	end := func() {
		if cur.Len() > 0 {
			runs = append(runs, cur.String())
			cur.Reset()
		}
	}
	for _, n := range nodes {
		if n.Op != syntax.OpLiteral {
			end()
			continue
		}
		for _, r := range n.Rune {
			if r >= 0x80 {
				end()
				continue
			}
			cur.WriteByte(lowerByte(byte(r)))
		}
	}
	end()
	return runs
}

// requiredLiteral returns the longest literal run of expr, or "".
func requiredLiteral(expr string) string {
	best := ""
	for _, r := range literalRuns(expr) {
		if len(r) > len(best) {
			best = r
		}
	}
	return best
}

// innerTokens returns the tokens of a literal run that are bounded by
// non-token characters on both sides inside the run: such a token is a
// whole token of every URL the run occurs in.
func innerTokens(run string) []string {
	var out []string
	for i := 0; i < len(run); {
		if !isTokenChar(run[i]) {
			i++
			continue
		}
		j := i
		for j < len(run) && isTokenChar(run[j]) {
			j++
		}
		if i > 0 && j < len(run) {
			out = append(out, run[i:j])
		}
		i = j
	}
	return out
}

// compileLower compiles a case-insensitive regular expression for input
// that is already in lower case: its literals are lower-cased and the
// case-folding flag dropped, which spares the matcher Unicode case folding
// on every character.
func compileLower(expr string) (*regexp.Regexp, error) {
	re, err := syntax.Parse(expr, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil, err
	}
	lowerLiterals(re)
	return regexp.Compile(re.String())
}

func lowerLiterals(re *syntax.Regexp) {
	re.Flags &^= syntax.FoldCase
	if re.Op == syntax.OpLiteral {
		for i, r := range re.Rune {
			re.Rune[i] = unicode.ToLower(r)
		}
	}
	for _, s := range re.Sub {
		lowerLiterals(s)
	}
}
