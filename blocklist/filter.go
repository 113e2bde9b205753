// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
)

// filter is one compiled network rule: an Adblock Plus rule, or a hosts,
// domain-list or Disconnect entry expressed as one. It is kept small (56
// bytes): a Matcher holds one per rule, about a hundred thousand for
// EasyList and EasyPrivacy. The rule's text is not in it but in its List's
// (then its Matcher's) texts, and its pattern bytes share one array per
// Matcher.
type filter struct {
	// Fields a candidate check reads come first, to share a cache line.
	flags   uint32
	types   typeMask
	list    uint16    // index of the list in the Matcher
	cat     uint8     // category index (0: none)
	hostLen uint8     // pat[:hostLen] is the host of a "||host^..." pattern (fHostSplit)
	textLen uint16    // the rule as the list wrote it: texts[textOff:][:textLen]
	bg      [4]uint16 // bigrams+1 the URL must hold (0: none)
	textOff uint32
	pat     []byte      // the host part (fHostSplit), then the pattern to match after it
	opt     *filterOpts // options most rules lack; nil if none
}

// maxRuleText bounds a rule's text (filter.textLen); a longer rule is
// reported and skipped.
const maxRuleText = 1<<16 - 1

// maxHost bounds the host part a rule is indexed by (filter.hostLen); a
// "||host^" rule with a longer host (no real host is longer than 253) is
// matched as a pattern.
const maxHost = 1<<8 - 1

// host is the host part of a "||host^..." pattern (fHostSplit), or nil.
func (f *filter) host() []byte { return f.pat[:f.hostLen] }

// rest is the pattern to match: after the host part when fHostSplit.
func (f *filter) rest() []byte { return f.pat[f.hostLen:] }

const (
	fException    uint32 = 1 << iota // @@ rule
	fImportant                       // $important
	fMatchCase                       // $match-case: pat keeps its case
	fAnchorStart                     // |pattern
	fAnchorHost                      // ||pattern
	fAnchorEnd                       // pattern|
	fRegex                           // /regex/: opt.re
	fParty1                          // applies to first-party requests
	fParty3                          // applies to third-party requests
	fStrictParty                     // $strict1p/$strict3p: party by host, not domain
	fBadfilter                       // $badfilter: cancels the identical rule
	fRedirect                        // $redirect=: blocks, and redirects to opt.redirect
	fRedirectRule                    // $redirect-rule=: redirects if something else blocks
	fRemoveParam                     // $removeparam: strips opt.param from the URL
	fHostSplit                       // host holds the host, pat the rest, anchored at the host's end
	fHostOnly                        // fHostSplit and nothing after the host but "^"
	fOpts                            // opt carries domain, to, denyallow or method conditions
	fPlain                           // pat has neither '*' nor '^'
	fDocOption                       // $document (or $all) given: on an exception, the whole page is excepted
	fHostsEntry                      // a name from a hosts file or domain list: the rule "||host^"
	fCSP                             // $csp=: adds opt.csp to the pages it matches
)

// filterOpts holds the options few rules have.
type filterOpts struct {
	domIn, domOut hashSet // $domain= / $from=: source host suffixes and entities
	toIn, toOut   hashSet // $to= and $denyallow=: request host suffixes and entities
	re            *regexp.Regexp
	reLits        [][]byte // literals every match contains (lower case, longest first), to skip the regex
	redirect      string   // resource name of $redirect= / $redirect-rule=
	param         string   // $removeparam= value (empty: all parameters)
	csp           string   // $csp= value (empty, on an exception: every $csp)
	methods       methodBits
	notMethods    methodBits
}

// matches reports whether f applies to the prepared request r. party is 1
// (first), 3 (third) or 0 (no source). hostPos is where the matched host
// suffix starts when f came out of the host index, -1 otherwise.
func (f *filter) matches(r *Request, party uint8, hostPos int) bool {
	if f.types&r.Type.bit() == 0 {
		return false
	}
	switch party {
	case 1:
		if f.flags&fParty1 == 0 {
			return false
		}
	case 3:
		if f.flags&fParty3 == 0 {
			return false
		}
	}
	if f.flags&fStrictParty != 0 && !f.strictPartyOK(r) {
		return false
	}
	if !r.hasBigrams(&f.bg) {
		return false
	}
	if !f.patternMatches(r, hostPos) {
		return false
	}
	if f.flags&fOpts != 0 && !f.opt.conditionsHold(r) {
		return false
	}
	return true
}

func (f *filter) strictPartyOK(r *Request) bool {
	if r.srcHost == "" {
		return true
	}
	same := r.host == r.srcHost
	if f.flags&fParty1 != 0 {
		return same
	}
	return !same
}

func (o *filterOpts) conditionsHold(r *Request) bool {
	if len(o.domIn) > 0 && !o.domIn.hasAny(r.srcHashes) && !o.domIn.hasAny(r.srcEntity) {
		return false
	}
	if len(o.domOut) > 0 && (o.domOut.hasAny(r.srcHashes) || o.domOut.hasAny(r.srcEntity)) {
		return false
	}
	if len(o.toIn) > 0 && !o.toIn.hasAny(r.hostHashes) {
		return false
	}
	if len(o.toOut) > 0 && o.toOut.hasAny(r.hostHashes) {
		return false
	}
	if o.methods != 0 && o.methods&r.method == 0 {
		return false
	}
	if o.notMethods != 0 && o.notMethods&r.method != 0 {
		return false
	}
	return true
}

func (f *filter) patternMatches(r *Request, hostPos int) bool {
	s := r.lower
	if f.flags&fMatchCase != 0 {
		s = r.norm
	}
	switch {
	case f.flags&fRegex != 0:
		for _, lit := range f.opt.reLits {
			if !bytes.Contains(r.lower, lit) {
				return false
			}
		}
		return f.opt.re.Match(s)
	case f.flags&fHostSplit != 0:
		if hostPos < 0 {
			hostPos = f.findHost(r)
			if hostPos < 0 {
				return false
			}
		} else if !bytes.Equal(r.lower[hostPos:r.hostEnd], f.host()) {
			return false
		}
		if f.flags&fHostOnly != 0 {
			return true
		}
		return matchFrom(f.rest(), s, r.hostEnd, true, f.flags&fAnchorEnd != 0)
	case f.flags&fAnchorHost != 0:
		return matchHostAnchored(f.pat, s, r.hostStart, r.hostEnd, f.flags&fAnchorEnd != 0)
	case f.flags&fPlain != 0:
		switch f.flags & (fAnchorStart | fAnchorEnd) {
		case 0:
			return bytes.Index(s, f.pat) >= 0
		case fAnchorStart:
			return bytes.HasPrefix(s, f.pat)
		case fAnchorEnd:
			return bytes.HasSuffix(s, f.pat)
		}
		return bytes.Equal(s, f.pat)
	default:
		return matchFrom(f.pat, s, 0, f.flags&fAnchorStart != 0, f.flags&fAnchorEnd != 0)
	}
}

// findHost returns where f's host matches the request host as a domain
// suffix, or -1.
func (f *filter) findHost(r *Request) int {
	h, fh := r.lower[r.hostStart:r.hostEnd], f.host()
	if len(fh) > len(h) {
		return -1
	}
	i := len(h) - len(fh)
	if !bytes.Equal(h[i:], fh) || i > 0 && h[i-1] != '.' {
		return -1
	}
	return r.hostStart + i
}

// setBigrams picks up to four distinct bigrams, spread along the literal
// parts of the rule's pattern (the runs between '*' and '^', or a regex's
// literal runs). What the index already guarantees is left out: the host
// of a host-indexed rule and the token a rule is indexed by.
func (f *filter) setBigrams(indexToken string) {
	f.bg = [4]uint16{}
	var runs []string
	if f.flags&fRegex != 0 {
		for _, l := range f.opt.reLits {
			runs = append(runs, string(l))
		}
	} else {
		runs = strings.FieldsFunc(lowerASCII(string(f.rest())), func(c rune) bool { return c == '*' || c == '^' })
	}
	var parts []string
	for _, run := range runs {
		parts = append(parts, splitOut(run, indexToken)...)
	}
	f.bg = pickBigrams(parts)
}

// pickBigrams returns up to four distinct bigrams (+1) spread along parts.
func pickBigrams(parts []string) (bg [4]uint16) {
	var grams []uint16
	for _, part := range parts {
		for i := 0; i+1 < len(part); i++ {
			g := uint16(bigram(uint32(part[i]), uint32(part[i+1]))) + 1
			if !slices.Contains(grams, g) {
				grams = append(grams, g)
			}
		}
	}
	n := min(len(grams), len(bg))
	for i := 0; i < n; i++ {
		bg[i] = grams[i*len(grams)/n]
	}
	return bg
}

// splitOut splits s around the whole-token occurrences of tok ("" keeps s).
func splitOut(s, tok string) []string {
	if tok == "" {
		return []string{s}
	}
	var out []string
	for {
		i := strings.Index(s, tok)
		for i >= 0 && !(i == 0 || !isTokenChar(s[i-1])) || i >= 0 && i+len(tok) < len(s) && isTokenChar(s[i+len(tok)]) {
			j := strings.Index(s[i+1:], tok)
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+len(tok):]
	}
}
