// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Options tune a Matcher. The zero value is valid: parties by registrable
// domain, no allowlist, every category blocked.
type Options struct {
	// OwnerParties treats a request as first party when its host and its
	// site belong to the same owner in a loaded entity map (Disconnect
	// entities, TDS entities): facebook.com loading fbcdn.net is first
	// party. It applies to $third-party/$first-party rules, to Disconnect
	// services and to TDS trackers. Entity maps that share a domain are
	// merged, so an owner is the union of what the maps say it owns.
	OwnerParties bool
	// Allowlist holds site patterns where protections are off: "example.com"
	// (the site and its subdomains) or "*.example.com" (subdomains only).
	// Requests from such a site (or to it, when the site is unknown) get an
	// Exception verdict.
	Allowlist []string
	// Categories are the categories to block (Categories names).
	// nil blocks every category; an empty slice blocks none. Rules without a
	// category always apply. See also Matcher.WithCategories.
	Categories []string
}

// Matcher decides requests against compiled lists. It is immutable and
// safe for concurrent use; Match takes no lock and does not allocate.
type Matcher struct {
	lists   []ListMeta
	filters []filter
	texts   string // the rules' texts (filter.textOff)
	imp     index  // important blocking rules
	blk     index  // blocking rules
	exc     index  // exception rules
	docExc  index  // exception rules with $document: they except whole pages
	rdr     index  // $redirect and $redirect-rule directives
	rdrExc  index  // exceptions to redirect directives
	rmp     index  // $removeparam rules
	rmpExc  index  // exceptions to them
	csp     index  // $csp rules
	cspExc  index  // exceptions to them

	trackers  []*tdsTracker // the TDS trackers of all lists (the first list wins a domain)
	trackerAt hostMap       // tracker domain -> index in trackers
	cnameAt   hostMap       // CNAME alias host -> index in cnames
	cnames    []string      // canonical names, from the TDS lists
	ddg       ddgRules
	entities  hostMap // domain -> owner id
	entNames  []string
	allow     allowlist
	resources map[string]resource
	cats      catMask
	owners    bool
	stats     Stats
}

// Stats describes a compiled Matcher.
type Stats struct {
	Lists       int
	Rules       int // network rules, exceptions included, after $badfilter
	Exceptions  int
	Badfiltered int // rules cancelled by $badfilter (the $badfilter rules themselves not counted)
	Trackers    int // TDS trackers
	Entities    int // owner entities after merging
	Resources   int // surrogate resources (built-in ones included)
	// MemoryBytes estimates the heap the Matcher holds.
	MemoryBytes int64
}

// Compile builds a Matcher from parsed lists. It fails on an invalid option
// (unknown category, bad allowlist pattern) or when no list is given.
func Compile(lists []*List, opts Options) (*Matcher, error) {
	if len(lists) == 0 {
		return nil, errors.New("compiling matcher: no lists")
	}
	if len(lists) > 1<<16-1 {
		return nil, errors.New("compiling matcher: too many lists")
	}
	m := &Matcher{owners: opts.OwnerParties, resources: maps.Clone(builtinResources())}
	cats, err := categoryMask(opts.Categories)
	if err != nil {
		return nil, fmt.Errorf("compiling matcher: %w", err)
	}
	m.cats = cats
	if m.allow, err = newAllowlist(opts.Allowlist); err != nil {
		return nil, fmt.Errorf("compiling matcher: %w", err)
	}
	var entities [][]entityDef
	trackers := map[string]int32{}
	cnames := map[string]int32{}
	n := 0
	for _, l := range lists {
		n += len(l.filters)
	}
	m.filters = make([]filter, 0, n)
	texts := make([]string, 0, n)
	for i, l := range lists {
		if l == nil {
			return nil, fmt.Errorf("compiling matcher: list %d is nil", i)
		}
		m.lists = append(m.lists, l.Meta)
		listCat := catIndex(l.Meta.Category)
		if listCat < 0 {
			return nil, fmt.Errorf("compiling matcher: list %q: unknown category %q", l.Meta.Name, l.Meta.Category)
		}
		for j, f := range l.filters {
			f.list = uint16(i)
			if f.cat == 0 {
				f.cat = uint8(listCat)
			}
			m.filters = append(m.filters, f)
			texts = append(texts, l.texts[j])
		}
		if l.tds != nil {
			m.addTDS(l.tds.withList(uint16(i), uint8(listCat)), trackers, cnames)
		}
		if l.ddg != nil {
			m.ddg.add(l.ddg, uint16(i), uint8(listCat))
		}
		for _, r := range l.resources {
			m.resources[r.name] = r
			if j := strings.LastIndexByte(r.name, '/'); j >= 0 {
				m.resources[r.name[j+1:]] = r
			}
		}
		entities = append(entities, l.entities)
	}
	m.trackerAt, m.cnameAt = newHostMap(trackers), newHostMap(cnames)
	m.entities, m.entNames = mergeEntities(entities)
	m.pack(m.applyBadfilters(texts))
	m.buildIndexes()
	m.fillStats()
	return m, nil
}

// categoryMask turns a list of category names into a mask.
func categoryMask(names []string) (catMask, error) {
	if names == nil {
		return allCategories, nil
	}
	m := catMask(1) // uncategorised rules always apply
	for _, n := range names {
		i := catIndex(n)
		if i <= 0 {
			return 0, fmt.Errorf("unknown category %q", n)
		}
		m |= 1 << i
	}
	return m, nil
}

// WithCategories returns a Matcher that shares everything with m but blocks
// only the given categories (nil: all). It is instant: nothing is rebuilt.
func (m *Matcher) WithCategories(names []string) (*Matcher, error) {
	cats, err := categoryMask(names)
	if err != nil {
		return nil, err
	}
	c := *m
	c.cats = cats
	return &c, nil
}

// WithAllowlist returns a Matcher that shares everything with m but has
// patterns as the user's allowlist (see Options.Allowlist). It is instant:
// nothing is rebuilt. It fails on a bad pattern and leaves m as it is.
func (m *Matcher) WithAllowlist(patterns []string) (*Matcher, error) {
	a, err := newAllowlist(patterns)
	if err != nil {
		return nil, err
	}
	c := *m
	c.allow = a
	return &c, nil
}

// applyBadfilters drops the rules a $badfilter rule cancels, and the
// $badfilter rules themselves. A rule is cancelled when it equals the
// $badfilter rule without that option in the form badfilterKey gives, so
// option order, case and aliases do not matter (as in uBlock Origin).
// A hosts-file or domain-list entry is the rule "||host^" (as uBlock Origin
// reads it), so "||host^$badfilter" cancels it too.
// Stats.Badfiltered counts the cancelled rules.
// texts are the rules' texts (texts[i] is m.filters[i]'s); the texts of
// the rules kept are returned, in the same order.
func (m *Matcher) applyBadfilters(texts []string) []string {
	bad := map[string]bool{}
	patterns := map[string]bool{} // the patterns of bad, to skip most rules cheaply
	badHosts := map[string]bool{} // H of every "||H^$badfilter": cancels hosts entries
	for i := range m.filters {
		if f := &m.filters[i]; f.flags&fBadfilter != 0 {
			pattern, options := splitRule(texts[i])
			key := badfilterKey(pattern, options)
			bad[key] = true
			patterns[pattern] = true
			if host := string(f.host()); f.flags&fHostOnly != 0 && key == pattern && strings.EqualFold(pattern, "||"+host+"^") {
				badHosts[strings.ToLower(host)] = true
			}
		}
	}
	if len(bad) == 0 {
		return texts
	}
	out, outTexts := m.filters[:0], texts[:0]
	for i, f := range m.filters {
		if f.flags&fBadfilter != 0 {
			continue
		}
		if f.flags&fHostsEntry != 0 && badHosts[string(f.host())] {
			m.stats.Badfiltered++
			continue
		}
		if pattern, options := splitRule(texts[i]); f.flags&fHostsEntry == 0 && patterns[pattern] && bad[badfilterKey(pattern, options)] {
			m.stats.Badfiltered++
			continue
		}
		out, outTexts = append(out, f), append(outTexts, texts[i])
	}
	m.filters = out
	return outTexts
}

// pack copies the rules' texts (texts[i] is m.filters[i]'s) into one
// string and their patterns into one array, so that the Matcher keeps
// neither its lists' whole texts (comments, element-hiding rules) nor an
// allocation per pattern.
func (m *Matcher) pack(texts []string) {
	nt, np := 0, 0
	for i := range m.filters {
		nt += len(texts[i])
		np += len(m.filters[i].pat)
	}
	var b strings.Builder
	b.Grow(nt)
	pats := make([]byte, 0, np)
	for i := range m.filters {
		f := &m.filters[i]
		f.textOff, f.textLen = uint32(b.Len()), uint16(len(texts[i]))
		b.WriteString(texts[i])
		if len(f.pat) == 0 {
			f.pat = nil
			continue
		}
		start := len(pats)
		pats = append(pats, f.pat...)
		f.pat = pats[start:len(pats):len(pats)]
	}
	m.texts = b.String()
}

// ruleText is the text of f, one of m's rules, as its list wrote it.
func (m *Matcher) ruleText(f *filter) string {
	return m.texts[f.textOff : f.textOff+uint32(f.textLen)]
}

// splitRule splits a rule's text into its pattern (with any "@@") and its
// options, as the parser does.
func splitRule(text string) (pattern, options string) {
	body, exception := strings.CutPrefix(text, "@@")
	pattern, options = splitOptions(body)
	if exception {
		pattern = text[:2+len(pattern)]
	}
	return pattern, options
}

// canonicalOptions maps option aliases onto the names badfilterKey uses.
var canonicalOptions = map[string]string{
	"3p": "third-party", "1p": "first-party", "css": "stylesheet", "xhr": "xmlhttprequest",
	"frame": "subdocument", "doc": "document", "from": "domain", "beacon": "ping",
	"object-subrequest": "object", "queryprune": "removeparam",
}

// setOptions are the options whose value is a '|'-separated set.
var setOptions = map[string]bool{"domain": true, "to": true, "denyallow": true, "method": true}

// badfilterKey is the form in which a $badfilter rule and the rule it
// cancels compare equal, as in uBlock Origin: the pattern as written, then
// the options without badfilter, lower-cased, aliases mapped onto their
// canonical names, sorted, duplicates removed, and the values of set
// options (domain=, to=, denyallow=, method=) lower-cased and sorted.
func badfilterKey(pattern, options string) string {
	var opts []string
	for _, raw := range splitOptionList(options) {
		name, value, hasValue := strings.Cut(strings.TrimSpace(raw), "=")
		name = strings.ToLower(name)
		not := strings.HasPrefix(name, "~")
		name = strings.TrimPrefix(name, "~")
		if c, ok := canonicalOptions[name]; ok {
			name = c
		}
		if name == "badfilter" || name == "" {
			continue
		}
		if setOptions[name] {
			values := strings.Split(strings.ToLower(value), "|")
			slices.Sort(values)
			value = strings.Join(slices.Compact(values), "|")
		}
		if not {
			name = "~" + name
		}
		if hasValue {
			name += "=" + value
		}
		opts = append(opts, name)
	}
	if len(opts) == 0 {
		return pattern
	}
	slices.Sort(opts)
	return pattern + "$" + strings.Join(slices.Compact(opts), ",")
}

func (m *Matcher) buildIndexes() {
	var imp, blk, exc, docExc, rdr, rdrExc, rmp, rmpExc, csp, cspExc []uint32
	for i := range m.filters {
		f := &m.filters[i]
		id := uint32(i)
		exception := f.flags&fException != 0
		switch {
		case f.flags&fCSP != 0 && exception:
			cspExc = append(cspExc, id)
		case f.flags&fCSP != 0:
			csp = append(csp, id)
		case f.flags&fRemoveParam != 0 && exception:
			rmpExc = append(rmpExc, id)
		case f.flags&fRemoveParam != 0:
			rmp = append(rmp, id)
		case f.flags&(fRedirect|fRedirectRule) != 0 && exception:
			rdrExc = append(rdrExc, id)
		case exception:
			exc = append(exc, id)
			if f.flags&fDocOption != 0 {
				docExc = append(docExc, id)
			}
		case f.flags&fRedirectRule != 0:
			rdr = append(rdr, id)
		default:
			if f.flags&fRedirect != 0 {
				rdr = append(rdr, id)
			}
			if f.flags&fImportant != 0 {
				imp = append(imp, id)
			} else {
				blk = append(blk, id)
			}
		}
	}
	m.imp = buildIndex(m.filters, imp)
	m.blk = buildIndex(m.filters, blk)
	m.exc = buildIndex(m.filters, exc)
	m.docExc = buildIndex(m.filters, docExc)
	m.rdr = buildIndex(m.filters, rdr)
	m.rdrExc = buildIndex(m.filters, rdrExc)
	m.rmp = buildIndex(m.filters, rmp)
	m.rmpExc = buildIndex(m.filters, rmpExc)
	m.csp = buildIndex(m.filters, csp)
	m.cspExc = buildIndex(m.filters, cspExc)
	for _, ix := range []*index{&m.exc, &m.docExc, &m.rdr, &m.rdrExc, &m.rmpExc, &m.cspExc} {
		ix.always = true
	}
}

func (m *Matcher) fillStats() {
	s := &m.stats
	s.Lists = len(m.lists)
	s.Rules = len(m.filters)
	s.Exceptions = m.exc.size + m.rdrExc.size + m.rmpExc.size
	s.Trackers = len(m.trackers)
	s.Entities = len(m.entNames)
	s.Resources = len(m.resources)
	mem := int64(cap(m.filters))*int64(reflect.TypeFor[filter]().Size()) + int64(len(m.texts))
	for i := range m.filters {
		f := &m.filters[i]
		mem += int64(len(f.pat))
		if f.opt != nil {
			mem += 160 + int64(len(f.opt.domIn)+len(f.opt.domOut)+len(f.opt.toIn)+len(f.opt.toOut))*8
			if f.opt.re != nil {
				mem += 2048
			}
		}
	}
	for _, ix := range []*index{&m.imp, &m.blk, &m.exc, &m.docExc, &m.rdr, &m.rdrExc, &m.rmp, &m.rmpExc} {
		mem += ix.bytes()
	}
	mem += m.entities.bytes() + m.trackerAt.bytes() + m.cnameAt.bytes()
	for _, t := range m.trackers {
		mem += t.bytes()
	}
	for _, r := range m.resources {
		mem += int64(len(r.body)) + 64
	}
	s.MemoryBytes = mem
}

// Stats returns counts and a memory estimate.
func (m *Matcher) Stats() Stats { return m.stats }

// Lists returns the metadata of the compiled lists, in order.
func (m *Matcher) Lists() []ListMeta { return append([]ListMeta(nil), m.lists...) }

// mergeEntities builds the domain-to-owner map. Owners that share a domain
// are merged (union-find); a merged owner takes the name of its largest
// part.
func mergeEntities(lists [][]entityDef) (hostMap, []string) {
	var parent []int32
	var names []string
	var size []int // domains each original entity lists
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	byDomain := map[string]int32{}
	for _, defs := range lists {
		byName := map[string]int32{}
		for _, d := range defs {
			id, ok := byName[d.name]
			if !ok {
				id = int32(len(parent))
				parent = append(parent, id)
				names = append(names, d.name)
				size = append(size, 0)
				byName[d.name] = id
			}
			size[id] += len(d.domains)
			for _, dom := range d.domains {
				if other, ok := byDomain[dom]; ok {
					a, b := find(other), find(id)
					if a != b {
						if a < b {
							parent[b] = a
						} else {
							parent[a] = b
						}
					}
					continue
				}
				byDomain[dom] = id
			}
		}
	}
	if len(byDomain) == 0 {
		return hostMap{}, nil
	}
	// Name each merged owner after its largest part ("Google LLC" rather
	// than "Google Ads"), then renumber the roots densely.
	best := map[int32]int32{}
	for id := range parent {
		root := find(int32(id))
		if b, ok := best[root]; !ok || size[id] > size[b] || size[id] == size[b] && names[id] < names[b] {
			best[root] = int32(id)
		}
	}
	dense := make(map[int32]int32)
	var outNames []string
	for _, dom := range sortedKeys(byDomain) {
		root := find(byDomain[dom])
		d, ok := dense[root]
		if !ok {
			d = int32(len(outNames))
			dense[root] = d
			outNames = append(outNames, names[best[root]])
		}
		byDomain[dom] = d
	}
	return newHostMap(byDomain), outNames
}

// addTDS adds a Tracker Data Set's trackers and CNAMEs; a domain already
// known from an earlier list keeps its entry.
func (m *Matcher) addTDS(d *tdsData, trackers, cnames map[string]int32) {
	for _, dom := range sortedKeys(d.trackers) {
		if _, dup := trackers[dom]; !dup {
			trackers[dom] = int32(len(m.trackers))
			m.trackers = append(m.trackers, d.trackers[dom])
		}
	}
	for _, alias := range sortedKeys(d.cnames) {
		if _, dup := cnames[alias]; !dup {
			cnames[alias] = int32(len(m.cnames))
			m.cnames = append(m.cnames, d.cnames[alias])
		}
	}
}

// entityOf returns the owner id of host (looking at its parent domains
// too), or -1.
func (m *Matcher) entityOf(host string) int32 {
	if id, ok := m.entities.longestOf(host); ok {
		return id
	}
	return -1
}
