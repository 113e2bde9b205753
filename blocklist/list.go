// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Format is the syntax of a list.
type Format uint8

// The formats Parse reads.
const (
	FormatAuto               Format = iota // detect from the content
	FormatABP                              // Adblock Plus / EasyList / uBlock Origin filters
	FormatHosts                            // hosts file: "0.0.0.0 host [host...]"
	FormatDomains                          // one host name per line
	FormatDisconnectServices               // Disconnect services.json (categories of tracker domains)
	FormatDisconnectEntities               // Disconnect entities.json (owner of each domain)
	FormatTDS                              // DuckDuckGo Tracker Data Set (tds.json)
	FormatDDGConfig                        // DuckDuckGo privacy-configuration (requestBlocklist, trackerAllowlist, exceptions)
	FormatResources                        // surrogate resources: "name mime-type" then the body, blank line between
)

var formatNames = [...]string{"auto", "abp", "hosts", "domains", "disconnect-services", "disconnect-entities", "tds", "ddg-config", "resources"}

// String returns the short name of the format ("abp", "hosts", ...).
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// ParseFormat maps a short name from Format.String back onto the format.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if strings.EqualFold(s, n) {
			return Format(i), nil
		}
	}
	return FormatAuto, fmt.Errorf("unknown list format %q", s)
}

// ListMeta describes a list. It travels with every rule of the list, so a
// verdict can name its list and category.
type ListMeta struct {
	Name    string
	Source  string // where it came from (URL or file), for the user
	License string
	// Category (one of Categories) applies to the list's rules
	// that have none of their own; "" leaves them uncategorised (always
	// applied).
	Category string
	Format   Format // FormatAuto: detect
}

// ParseError is one line of a list that was skipped.
type ParseError struct {
	Line int // 1-based (for JSON lists, the line the entry starts on); 0 if unknown
	Text string
	Err  error
}

// Error implements error.
func (e ParseError) Error() string {
	text := e.Text
	if len(text) > 120 {
		text = text[:117] + "..."
	}
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v: %q", e.Line, e.Err, text)
	}
	return fmt.Sprintf("%v: %q", e.Err, text)
}

// Unwrap returns the cause.
func (e ParseError) Unwrap() error { return e.Err }

// ListStats counts what a list held.
type ListStats struct {
	Lines      int // lines (or JSON entries) read
	Rules      int // usable rules, exceptions included (hosts, trackers, entries...)
	Exceptions int // of which exception rules
	Cosmetic   int // element-hiding and scriptlet rules: skipped
	Ignored    int // rules with options a proxy does not apply ($csp, $popup...): skipped
	Inert      int // rules with an unknown option: skipped and reported in Errors
	Bad        int // malformed lines: skipped and reported in Errors
	Entities   int // owner entities (entity maps)
	Resources  int // surrogate resources
}

// maxErrors bounds List.Errors; Stats still counts every bad line.
const maxErrors = 1000

// ErrNoRules is returned (wrapped) by Parse for a list with nothing usable.
var ErrNoRules = errors.New("no usable rules")

// List is a parsed list: its rules in a form Compile indexes. A List is
// immutable once parsed and may be compiled into several Matchers.
type List struct {
	Meta   ListMeta // Meta.Format is the detected format
	Stats  ListStats
	Errors []ParseError // the first maxErrors skipped lines

	src string // the text being parsed, during parsing only

	filters   []filter
	texts     []string // the rules' texts, filters[i]'s is texts[i]
	entities  []entityDef
	tds       *tdsData
	ddg       *ddgConfig
	resources []resource
}

// entityDef is one owner and the domains it owns.
type entityDef struct {
	name    string
	domains []string
}

// Parse reads a list. Bad lines are skipped and reported in List.Errors
// with their line numbers. A list with nothing usable gives an error
// wrapping ErrNoRules together with the List, so its errors can be shown.
func Parse(r io.Reader, meta ListMeta) (*List, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading list %q: %w", meta.Name, err)
	}
	return parseText(string(data), meta)
}

// ParseString parses a list held in a string, such as the user's own rules.
// The List keeps references into text (rule texts are slices of it).
func ParseString(text string, meta ListMeta) (*List, error) {
	return parseText(text, meta)
}

func parseText(text string, meta ListMeta) (*List, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	if meta.Format == FormatAuto {
		meta.Format = DetectFormat(text)
	}
	l := &List{Meta: meta, src: text}
	defer func() { l.src = "" }() // only for locating bad JSON entries
	var err error
	switch meta.Format {
	case FormatABP:
		parseABP(l, text)
	case FormatHosts, FormatDomains:
		parseHosts(l, text)
	case FormatDisconnectServices:
		err = parseDisconnectServices(l, text)
	case FormatDisconnectEntities:
		err = parseDisconnectEntities(l, text)
	case FormatTDS:
		err = parseTDS(l, text)
	case FormatDDGConfig:
		err = parseDDGConfig(l, text)
	case FormatResources:
		parseResources(l, text)
	default:
		err = fmt.Errorf("unknown format %d", meta.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing list %q: %w", meta.Name, err)
	}
	if l.Stats.Rules == 0 && l.Stats.Entities == 0 && l.Stats.Resources == 0 {
		return l, fmt.Errorf("parsing list %q (%s): %w", meta.Name, meta.Format, ErrNoRules)
	}
	return l, nil
}

func (l *List) addError(line int, text string, err error) {
	if len(l.Errors) < maxErrors {
		l.Errors = append(l.Errors, ParseError{Line: line, Text: text, Err: err})
	}
}

// eachLine calls fn for every line of text with its 1-based number.
func eachLine(text string, fn func(n int, line string)) {
	n := 0
	for len(text) > 0 {
		n++
		i := strings.IndexByte(text, '\n')
		var line string
		if i < 0 {
			line, text = text, ""
		} else {
			line, text = text[:i], text[i+1:]
		}
		fn(n, strings.TrimSuffix(line, "\r"))
	}
}

// parseABP reads an Adblock Plus list.
func parseABP(l *List, text string) {
	eachLine(text, func(n int, line string) {
		l.Stats.Lines++
		f, cls, err := parseABPLine(line)
		l.count(n, line, f, cls, err)
	})
}

// count files one parsed rule under its class.
func (l *List) count(n int, line string, f filter, cls lineClass, err error) {
	switch cls {
	case lineNetwork:
		l.addFilter(f, strings.TrimSpace(line))
		l.Stats.Rules++
		if f.flags&fException != 0 {
			l.Stats.Exceptions++
		}
	case lineCosmetic:
		l.Stats.Cosmetic++
	case lineIgnored:
		l.Stats.Ignored++
	case lineInert:
		l.Stats.Inert++
		l.addError(n, strings.TrimSpace(line), err)
	case lineBad:
		l.Stats.Bad++
		l.addError(n, strings.TrimSpace(line), err)
	}
}

// addFilter adds a rule and its text as the list wrote it.
func (l *List) addFilter(f filter, text string) {
	if len(text) > maxRuleText {
		text = text[:maxRuleText]
	}
	l.filters = append(l.filters, f)
	l.texts = append(l.texts, text)
}

// DetectFormat guesses the format of a list from its content.
func DetectFormat(text string) Format {
	t := strings.TrimLeft(text, " \t\r\n\ufeff")
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[{") {
		return detectJSON(t)
	}
	var abp, hosts, domains, seen int
	resources := false
	eachLine(t, func(_ int, line string) {
		if seen >= 400 || resources {
			return
		}
		s := strings.TrimSpace(line)
		switch {
		case s == "":
			return
		case strings.HasPrefix(s, "[Adblock") || strings.HasPrefix(s, "!"):
			abp += 3
			return
		case s[0] == '#' && !isCosmetic(s):
			return
		}
		if seen == 0 && isResourceHeader(s) {
			resources = true
			return
		}
		seen++
		fields := strings.Fields(stripComment(s))
		switch {
		case len(fields) >= 2 && isHostsAddress(fields[0]):
			hosts++
		case len(fields) == 1 && isHostname(strings.TrimPrefix(fields[0], "*.")):
			domains++
		default:
			abp++
		}
	})
	switch {
	case resources:
		return FormatResources
	case hosts > abp && hosts >= domains:
		return FormatHosts
	case domains > abp:
		return FormatDomains
	}
	return FormatABP
}

func detectJSON(t string) Format {
	var top map[string]json.RawMessage
	if err := json.NewDecoder(strings.NewReader(t)).Decode(&top); err != nil {
		return FormatABP // not JSON after all; the ABP parser will report it
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("trackers"):
		return FormatTDS
	case has("features") || has("unprotectedTemporary"):
		return FormatDDGConfig
	case has("settings") || has("state") && has("exceptions"):
		return FormatDDGConfig
	case has("categories"):
		return FormatDisconnectServices
	case has("entities") && has("domains"):
		return FormatTDS
	case has("entities"):
		return FormatDisconnectEntities
	}
	return FormatABP
}

func stripComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// isHostsAddress reports whether s is an address hosts files use to block
// or to name local hosts.
func isHostsAddress(s string) bool {
	switch s {
	case "0.0.0.0", "127.0.0.1", "::", "::1", "0", "::0", "0:0:0:0:0:0:0:0", "0:0:0:0:0:0:0:1":
		return true
	}
	return looksLikeIP(s)
}

func looksLikeIP(s string) bool {
	if strings.Count(s, ".") == 3 && strings.Trim(s, "0123456789.") == "" {
		return true
	}
	return strings.Count(s, ":") >= 2 && strings.Trim(strings.ToLower(s), "0123456789abcdef:.%lo") == ""
}

// isHostname reports whether s is a syntactically valid host name with at
// least two labels (letters, digits, '-' and '_' in labels, not starting
// or ending with '-').
func isHostname(s string) bool {
	return strings.Contains(s, ".") && isHostLabels(s)
}

// isHostLabels is isHostname without the two-label requirement: hosts
// files may name single-label hosts.
func isHostLabels(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
