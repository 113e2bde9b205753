// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// lineClass says what a list line turned out to be.
type lineClass uint8

const (
	lineBlank    lineClass = iota // empty or a comment
	lineNetwork                   // a network rule the engine applies
	lineCosmetic                  // an element-hiding or scriptlet rule: counted, skipped
	lineIgnored                   // a rule with a known option a proxy does not apply ($csp, $popup...)
	lineInert                     // a rule with an unknown option: inert, reported
	lineBad                       // malformed: reported
)

// ErrUnknownOption marks a rule made inert by an option the engine does not
// know, as uBlock Origin does with such rules.
var ErrUnknownOption = errors.New("unknown option")

// cosmeticSeparators are the markers of element-hiding, scriptlet and HTML
// filtering rules (Adblock Plus, uBlock Origin, AdGuard).
var cosmeticSeparators = []string{"##", "#@#", "#?#", "#@?#", "#$#", "#@$#", "#%#", "#@%#", "#$?#", "#@$?#", "#+js", "#@+js", "$$", "$@$"}

func isCosmetic(s string) bool {
	i := strings.IndexByte(s, '#')
	if i < 0 {
		i = strings.Index(s, "$$")
		if i < 0 {
			i = strings.Index(s, "$@$")
		}
		if i < 0 {
			return false
		}
	}
	for ; i >= 0 && i < len(s); i++ {
		for _, sep := range cosmeticSeparators {
			if strings.HasPrefix(s[i:], sep) {
				return true
			}
		}
		j := strings.IndexAny(s[i+1:], "#$")
		if j < 0 {
			break
		}
		i += j
	}
	return false
}

// parseABPLine parses one line of an Adblock Plus list.
func parseABPLine(line string) (filter, lineClass, error) {
	s := strings.TrimSpace(line)
	switch {
	case s == "", s[0] == '!', s[0] == '[' && strings.HasSuffix(s, "]"):
		return filter{}, lineBlank, nil
	case s[0] == '#' && !isCosmetic(s):
		return filter{}, lineBlank, nil
	case isCosmetic(s):
		return filter{}, lineCosmetic, nil
	}
	return parseNetworkRule(s)
}

// parseNetworkRule parses a network rule (trimmed, not a comment).
func parseNetworkRule(s string) (filter, lineClass, error) {
	if len(s) > maxRuleText {
		return filter{}, lineBad, fmt.Errorf("rule longer than %d characters", maxRuleText)
	}
	f := filter{flags: fParty1 | fParty3}
	body := s
	if strings.HasPrefix(body, "@@") {
		f.flags |= fException
		body = body[2:]
	}
	pattern, options := splitOptions(body)
	cls := lineNetwork
	if options != "" {
		var err error
		if cls, err = parseOptions(&f, options); cls != lineNetwork {
			return f, cls, err
		}
		if f.flags&fMatchCase != 0 && !isRegexPattern(pattern) {
			// uBlock Origin supports match-case on regex rules only and
			// drops the others.
			return f, lineInert, fmt.Errorf("%w: match-case on a rule that is not a regular expression", ErrUnknownOption)
		}
	} else {
		f.types = maskAllTypes
	}
	if err := setPattern(&f, pattern); err != nil {
		return f, lineBad, err
	}
	if f.flags&fCSP != 0 && f.types == maskAllTypes {
		f.types = TypeDocument.bit() | TypeSubdocument.bit() // a policy is for pages and frames
	}
	if f.flags&fRemoveParam != 0 && f.types == maskAllTypes {
		f.types |= TypeDocument.bit() // URL cleaning matters most for page loads
	}
	if f.flags&fHostOnly != 0 && f.opt == nil && f.types == maskAllTypes && f.flags&(fRedirectRule|fRemoveParam) == 0 {
		// A plain "||host^" rule also applies to top-level page loads, as
		// uBlock Origin's strict blocking does.
		f.types |= TypeDocument.bit()
	}
	return f, cls, nil
}

// isRegexPattern reports whether a rule's pattern is a "/regex/".
func isRegexPattern(p string) bool {
	return len(p) > 2 && p[0] == '/' && p[len(p)-1] == '/'
}

// splitOptions splits "pattern$options". As in uBlock Origin, the options
// start after the last '$' that is followed by a list of known options, so
// a pattern or an option value ("$removeparam=/^utm$/") may hold '$'. When
// no '$' qualifies, the last one starts the options (the rule is then
// reported for its unknown option), except that a "/regex/" keeps its '$'s
// and takes options only after its closing slash.
func splitOptions(s string) (pattern, options string) {
	i := strings.LastIndexByte(s, '$')
	if i < 0 {
		return s, ""
	}
	regex := isRegexPattern(s)
	if regex || strings.IndexByte(s, '$') < i {
		for j := i; j >= 0; j = strings.LastIndexByte(s[:j], '$') {
			if isOptionList(s[j+1:]) {
				return s[:j], s[j+1:]
			}
		}
	}
	if regex {
		return s, ""
	}
	if len(s) > 1 && s[0] == '/' {
		if j := strings.Index(s, "/$"); j > 0 {
			return s[:j+1], s[j+2:]
		}
	}
	return s[:i], s[i+1:]
}

// isOptionList reports whether s is a list of options the parser knows,
// whatever their values.
func isOptionList(s string) bool {
	for _, o := range splitOptionList(s) {
		name, _, _ := strings.Cut(strings.TrimSpace(o), "=")
		if !knownOption(strings.TrimPrefix(strings.ToLower(name), "~")) {
			return false
		}
	}
	return true
}

// knownOption reports whether name (lower case, without '~') is an option
// the parser applies or knowingly ignores.
func knownOption(name string) bool {
	_, typ := typeOptions[name]
	return typ || ignoredOptions[name] || ruleOptions[name] || name != "" && strings.Trim(name, "_") == ""
}

// setPattern normalises and stores the pattern part of a rule.
func setPattern(f *filter, p string) error {
	if isRegexPattern(p) {
		return setRegex(f, p[1:len(p)-1])
	}
	if strings.HasPrefix(p, "||") {
		f.flags |= fAnchorHost
		p = p[2:]
	} else if strings.HasPrefix(p, "|") {
		f.flags |= fAnchorStart
		p = p[1:]
	}
	if strings.HasSuffix(p, "|") {
		f.flags |= fAnchorEnd
		p = p[:len(p)-1]
	}
	for strings.Contains(p, "**") {
		p = strings.ReplaceAll(p, "**", "*")
	}
	if strings.HasPrefix(p, "*") {
		f.flags &^= fAnchorHost | fAnchorStart
		p = p[1:]
	}
	if strings.HasSuffix(p, "*") {
		f.flags &^= fAnchorEnd
		p = p[:len(p)-1]
	}
	p = lowerASCII(p) // $match-case applies to regex rules only
	if f.flags&(fAnchorHost|fAnchorStart) != 0 {
		var err error
		if p, err = punycodePattern(p, f.flags&fAnchorHost != 0); err != nil {
			return err
		}
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c >= 0x7f {
			return errors.New("pattern has a control or non-ASCII character (write host names in punycode)")
		}
	}
	host := ""
	if f.flags&fAnchorHost != 0 {
		host, p = splitHost(f, p)
	}
	if !strings.ContainsAny(p, "*^") {
		f.flags |= fPlain
	}
	if f.flags&fHostOnly != 0 {
		p = ""
	}
	f.pat, f.hostLen = append(append(make([]byte, 0, len(host)+len(p)), host...), p...), uint8(len(host))
	return nil
}

// splitHost splits the host part off a "||host^..." pattern p, so the rule
// can be indexed by host: it returns the host ("" if p has none to index
// by) and the rest of the pattern.
func splitHost(f *filter, p string) (host, rest string) {
	n := 0
	for n < len(p) && isHostChar(p[n]) {
		n++
	}
	if n == 0 || n > maxHost || p[0] == '.' || p[n-1] == '.' || n == len(p) {
		return "", p
	}
	switch p[n] {
	case '^', '/', ':':
	default:
		return "", p
	}
	host, rest = p[:n], p[n:]
	f.flags |= fHostSplit
	if (rest == "^" || rest == "") && f.flags&fAnchorEnd == 0 {
		f.flags |= fHostOnly
	}
	return host, rest
}

func isHostChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c >= 'A' && c <= 'Z'
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func setRegex(f *filter, expr string) error {
	var re *regexp.Regexp
	var err error
	if f.flags&fMatchCase != 0 {
		re, err = regexp.Compile(expr)
	} else {
		re, err = compileLower(expr) // matched against the lower-case URL
	}
	if err != nil {
		return fmt.Errorf("regular expression: %w", err)
	}
	f.flags |= fRegex
	f.ensureOpt().re = re
	lits := literalRuns(expr)
	slices.SortFunc(lits, func(a, b string) int { return len(b) - len(a) })
	for _, l := range lits {
		f.opt.reLits = append(f.opt.reLits, []byte(l))
	}
	f.pat = []byte(expr)
	return nil
}

func (f *filter) ensureOpt() *filterOpts {
	if f.opt == nil {
		f.opt = &filterOpts{}
	}
	return f.opt
}

// splitOptionList splits options at commas not escaped with '\'.
func splitOptionList(s string) []string {
	if !strings.Contains(s, `\,`) {
		return strings.Split(s, ",")
	}
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == ',' {
			i++
			continue
		}
		if s[i] == ',' {
			out = append(out, strings.ReplaceAll(s[start:i], `\,`, ","))
			start = i + 1
		}
	}
	return append(out, strings.ReplaceAll(s[start:], `\,`, ","))
}

// ignoredOptions are known options whose effect a network proxy does not
// apply (page-level modifiers, cosmetic switches, header and body
// rewriting): a rule carrying one is counted and skipped.
var ignoredOptions = map[string]bool{
	"permissions": true, "header": true, "inline-script": true, "inline-font": true,
	"popunder": true, "generichide": true, "ghide": true, "elemhide": true, "ehide": true,
	"specifichide": true, "shide": true, "genericblock": true, "cname": true, "ipaddress": true,
	"replace": true, "urltransform": true, "uritransform": true, "urlskip": true, "webrtc": true,
	"webbundle": true, "responseheader": true,
}

// parseOptions applies the options of a rule. It returns lineNetwork for a
// usable rule, lineIgnored for one a proxy does not apply, lineInert (with
// an error) for an unknown option and lineBad for a malformed one.
func parseOptions(f *filter, options string) (lineClass, error) {
	var pos, neg typeMask
	ignored, hasDomain, hasDenyallow := false, false, false
	for _, raw := range splitOptionList(options) {
		opt := strings.TrimSpace(raw)
		name, value, hasValue := strings.Cut(opt, "=")
		name = strings.ToLower(name)
		not := strings.HasPrefix(name, "~")
		name = strings.TrimPrefix(name, "~")
		if t, ok := optionType(name); ok {
			if hasValue {
				return lineBad, fmt.Errorf("option %q takes no value", name)
			}
			if not {
				neg |= t
			} else {
				pos |= t
			}
			continue
		}
		if ignoredOptions[name] {
			ignored = true
			continue
		}
		if not && !negatable[name] {
			return lineBad, fmt.Errorf("option %q cannot be negated", name)
		}
		cls, err := applyOption(f, name, value, not)
		if cls != lineNetwork {
			return cls, err
		}
		hasDomain = hasDomain || name == "domain" || name == "from"
		hasDenyallow = hasDenyallow || name == "denyallow"
	}
	if hasDenyallow && !hasDomain {
		// uBlock Origin drops such a rule: denyallow= needs domain=.
		return lineInert, fmt.Errorf("%w: denyallow without domain=", ErrUnknownOption)
	}
	if pos&TypeDocument.bit() != 0 && neg&TypeDocument.bit() == 0 {
		f.flags |= fDocOption
	}
	switch {
	case pos != 0:
		f.types = pos &^ neg
	default:
		f.types = maskAllTypes &^ neg
	}
	if ignored {
		return lineIgnored, nil
	}
	if f.types&^TypePopup.bit() == 0 && f.flags&(fRemoveParam) == 0 {
		return lineIgnored, nil // popup-only rules never see a proxied request
	}
	return lineNetwork, nil
}

// ruleOptions are the options other than types that applyOption handles.
var ruleOptions = map[string]bool{
	"third-party": true, "3p": true, "first-party": true, "1p": true, "strict1p": true, "strict3p": true,
	"important": true, "match-case": true, "badfilter": true, "domain": true, "from": true, "to": true,
	"denyallow": true, "method": true, "redirect": true, "redirect-rule": true, "rewrite": true, "empty": true,
	"mp4": true, "removeparam": true, "queryprune": true, "reason": true, "csp": true,
}

var negatable = map[string]bool{"third-party": true, "3p": true, "first-party": true, "1p": true, "match-case": true, "method": true}

// typeOptions maps the type options onto type bits.
var typeOptions = map[string]typeMask{
	"all":               maskEvery,
	"document":          TypeDocument.bit(),
	"doc":               TypeDocument.bit(),
	"subdocument":       TypeSubdocument.bit(),
	"frame":             TypeSubdocument.bit(),
	"script":            TypeScript.bit(),
	"image":             TypeImage.bit(),
	"stylesheet":        TypeStylesheet.bit(),
	"css":               TypeStylesheet.bit(),
	"xmlhttprequest":    TypeXHR.bit(),
	"xhr":               TypeXHR.bit(),
	"font":              TypeFont.bit(),
	"media":             TypeMedia.bit(),
	"object":            TypeObject.bit(),
	"object-subrequest": TypeObject.bit(),
	"ping":              TypePing.bit(),
	"beacon":            TypePing.bit(),
	"websocket":         TypeWebSocket.bit(),
	"other":             TypeOther.bit(),
	"popup":             TypePopup.bit(),
}

// optionType maps a type option onto its type bits.
func optionType(name string) (typeMask, bool) {
	t, ok := typeOptions[name]
	return t, ok
}

// applyOption applies one non-type option.
func applyOption(f *filter, name, value string, not bool) (lineClass, error) {
	switch name {
	case "third-party", "3p":
		f.flags &^= partyFlag(!not)
	case "first-party", "1p":
		f.flags &^= partyFlag(not)
	case "strict1p", "strict3p":
		f.flags &^= partyFlag(name == "strict3p")
		f.flags |= fStrictParty
	case "important":
		f.flags |= fImportant
	case "match-case":
		if !not {
			f.flags |= fMatchCase
		}
	case "badfilter":
		f.flags |= fBadfilter
	case "domain", "from":
		return domainOption(f, value, false)
	case "to":
		return domainOption(f, value, true)
	case "denyallow":
		for _, d := range strings.Split(value, "|") {
			d = strings.ToLower(strings.TrimSpace(d))
			if d == "" || strings.HasPrefix(d, "~") || strings.HasPrefix(d, "/") {
				return lineBad, fmt.Errorf("bad denyallow entry %q", d)
			}
			d, err := punycode(d)
			if err != nil {
				return lineBad, err
			}
			o := f.ensureOpt()
			o.toOut = append(o.toOut, hostHash(d))
		}
		f.flags |= fOpts
	case "method":
		return methodOption(f, value)
	case "redirect", "redirect-rule", "rewrite", "empty", "mp4":
		return redirectOption(f, name, value)
	case "removeparam", "queryprune":
		if err := checkRemoveParam(value); err != nil {
			return lineBad, err
		}
		f.flags |= fRemoveParam
		f.ensureOpt().param = strings.Clone(value) // not a slice of the list's whole text
	case "csp":
		v := strings.TrimSpace(value)
		if v == "" && f.flags&fException == 0 {
			return lineBad, errors.New("csp needs a policy")
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 || c >= 0x7f {
				return lineBad, errors.New("csp policy with a control or non-ASCII character")
			}
		}
		f.flags |= fCSP
		f.ensureOpt().csp = strings.Clone(v)
	case "reason", "_", "__", "___":
		// documentation and no-op options
	default:
		if strings.Trim(name, "_") == "" {
			return lineNetwork, nil
		}
		return lineInert, fmt.Errorf("%w %q", ErrUnknownOption, name)
	}
	return lineNetwork, nil
}

// partyFlag returns the flag to clear: third-party rules (third true) do
// not apply to first-party requests.
func partyFlag(third bool) uint32 {
	if third {
		return fParty1
	}
	return fParty3
}

func domainOption(f *filter, value string, to bool) (lineClass, error) {
	if value == "" {
		return lineBad, errors.New("empty domain list")
	}
	o := f.ensureOpt()
	for _, d := range strings.Split(value, "|") {
		d = strings.ToLower(strings.TrimSpace(d))
		neg := strings.HasPrefix(d, "~")
		d = strings.TrimPrefix(d, "~")
		if d == "" {
			return lineBad, errors.New("empty entry in domain list")
		}
		if strings.HasPrefix(d, "/") {
			return lineInert, fmt.Errorf("%w: regular expression in domain list", ErrUnknownOption)
		}
		d, err := punycode(d)
		if err != nil {
			return lineBad, err
		}
		h := hostHash(d)
		switch {
		case to && neg:
			o.toOut = append(o.toOut, h)
		case to:
			o.toIn = append(o.toIn, h)
		case neg:
			o.domOut = append(o.domOut, h)
		default:
			o.domIn = append(o.domIn, h)
		}
	}
	for _, s := range []*hashSet{&o.domIn, &o.domOut, &o.toIn, &o.toOut} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	f.flags |= fOpts
	return lineNetwork, nil
}

func methodOption(f *filter, value string) (lineClass, error) {
	o := f.ensureOpt()
	for _, m := range strings.Split(value, "|") {
		neg := strings.HasPrefix(m, "~")
		b := parseMethod(strings.TrimPrefix(m, "~"))
		if b == 0 {
			return lineBad, fmt.Errorf("unknown method %q", m)
		}
		if neg {
			o.notMethods |= b
		} else {
			o.methods |= b
		}
	}
	f.flags |= fOpts
	return lineNetwork, nil
}

func redirectOption(f *filter, name, value string) (lineClass, error) {
	o := f.ensureOpt()
	switch name {
	case "empty":
		value = "empty"
	case "mp4":
		value = "noopmp4-1s"
	case "rewrite":
		v, ok := strings.CutPrefix(value, "abp-resource:")
		if !ok {
			return lineBad, fmt.Errorf("rewrite=%q: only abp-resource: is supported", value)
		}
		value = v
	}
	if i := strings.LastIndexByte(value, ':'); i > 0 { // "name:priority"
		value = value[:i]
	}
	if value == "" && f.flags&fException == 0 {
		return lineBad, fmt.Errorf("%s needs a resource name", name)
	}
	o.redirect = strings.Clone(value)
	if name == "redirect-rule" {
		f.flags |= fRedirectRule
	} else {
		f.flags |= fRedirect
	}
	return lineNetwork, nil
}
