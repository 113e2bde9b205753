// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
)

// The DuckDuckGo Tracker Data Set: trackers by domain, each with a default
// action and ordered rules (regular expressions on the URL, with options
// and exceptions by site and type, an action and a surrogate), plus the
// owner entities, the domain-to-entity map and CNAME cloaks. The matching
// algorithm is DuckDuckGo's (blocklists/ddg-tds/EXAMPLES.md).

type tdsData struct {
	trackers map[string]*tdsTracker
	cnames   map[string]string
}

type tdsTracker struct {
	domain    string
	owner     string
	block     bool // default action: block (else ignore)
	rules     []tdsRule
	cat       uint8
	list      uint16
	text      string // "domain (default block)" for verdicts
	ignoreTxt string
}

type tdsRule struct {
	text      string         // the rule's regular expression as written
	lit       []byte         // the rule as a lower-case literal when it is one
	re        *regexp.Regexp // otherwise
	prefilter []byte         // a literal every match contains
	ignore    bool           // action "ignore"
	surrogate string
	options   *tdsCond
	except    *tdsCond
	bg        [4]uint16 // bigrams (+1) of the rule's literals, outside the tracker's domain
}

// tdsCond is a rule's "options" or "exceptions": sites (each with its
// subdomains) and request types; an empty part matches anything.
type tdsCond struct {
	domains []string
	types   typeMask
}

type tdsJSON struct {
	Trackers map[string]struct {
		Domain string `json:"domain"`
		Owner  struct {
			Name string `json:"name"`
		} `json:"owner"`
		Default    string   `json:"default"`
		Categories []string `json:"categories"`
		Rules      []struct {
			Rule       string       `json:"rule"`
			Action     string       `json:"action"`
			Surrogate  string       `json:"surrogate"`
			Options    *tdsCondJSON `json:"options"`
			Exceptions *tdsCondJSON `json:"exceptions"`
		} `json:"rules"`
	} `json:"trackers"`
	Entities map[string]struct {
		Domains []string `json:"domains"`
	} `json:"entities"`
	Domains map[string]string `json:"domains"`
	CNAMEs  map[string]string `json:"cnames"`
}

type tdsCondJSON struct {
	Domains []string `json:"domains"`
	Types   []string `json:"types"`
}

func parseTDS(l *List, text string) error {
	var doc tdsJSON
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("tracker data set: %w", jsonError(l.src, err))
	}
	d := &tdsData{trackers: make(map[string]*tdsTracker, len(doc.Trackers)), cnames: map[string]string{}}
	keys := make([]string, 0, len(doc.Trackers))
	for k := range doc.Trackers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		jt := doc.Trackers[k]
		l.Stats.Lines++
		dom := strings.ToLower(k)
		if !isHostname(dom) {
			l.Stats.Bad++
			l.addError(jsonLine(l.src, "trackers", k), k, errors.New("tracker key is not a host name"))
			continue
		}
		t := &tdsTracker{domain: dom, owner: jt.Owner.Name, block: jt.Default != "ignore"}
		if jt.Default != "block" && jt.Default != "ignore" {
			l.addError(jsonLine(l.src, "trackers", k, "default"), k, fmt.Errorf("default action %q: treated as block", jt.Default))
		}
		t.cat = uint8(max(0, catIndex(string(tdsCategory(jt.Categories)))))
		t.text = dom + " (tracker, default " + map[bool]string{true: "block", false: "ignore"}[t.block] + ")"
		for _, jr := range jt.Rules {
			r, err := compileTDSRule(jr.Rule, jr.Action, jr.Surrogate, jr.Options, jr.Exceptions)
			if err != nil {
				l.Stats.Bad++
				l.addError(jsonLine(l.src, "trackers", k, jr.Rule), dom+": "+jr.Rule, err)
				continue
			}
			r.setBigrams(dom)
			t.rules = append(t.rules, r)
		}
		d.trackers[dom] = t
		l.Stats.Rules++
	}
	for alias, target := range doc.CNAMEs {
		a, tg := strings.ToLower(alias), strings.ToLower(target)
		if isHostname(a) && isHostname(tg) {
			d.cnames[a] = tg
		}
	}
	l.entities = append(l.entities, tdsEntities(doc)...)
	l.Stats.Entities = len(l.entities)
	l.tds = d
	return nil
}

// tdsEntities gathers the owners from "entities" and "domains".
func tdsEntities(doc tdsJSON) []entityDef {
	byName := map[string][]string{}
	for name, e := range doc.Entities {
		byName[name] = append(byName[name], e.Domains...)
	}
	for dom, name := range doc.Domains {
		byName[name] = append(byName[name], dom)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]entityDef, 0, len(names))
	for _, n := range names {
		def := entityDef{name: n}
		for _, d := range byName[n] {
			if d = strings.ToLower(d); isHostname(d) {
				def.domains = append(def.domains, d)
			}
		}
		if len(def.domains) > 0 {
			out = append(out, def)
		}
	}
	return out
}

// compileTDSRule validates and compiles one tracker rule. Rules with an
// action DuckDuckGo does not define are skipped, as its clients do; the
// click-to-load actions block (a proxy has no placeholder to click).
func compileTDSRule(rule, action, surrogate string, opts, excs *tdsCondJSON) (tdsRule, error) {
	r := tdsRule{text: rule, surrogate: surrogate}
	switch action {
	case "", "block", "block-ctl-fb", "block-ctl-yt", "block-ctl-tiktok":
	case "ignore":
		r.ignore = true
	default:
		return r, fmt.Errorf("unknown action %q: rule skipped", action)
	}
	if rule == "" {
		return r, errors.New("empty rule")
	}
	parsed, err := syntax.Parse(rule, syntax.Perl)
	if err != nil {
		return r, fmt.Errorf("regular expression: %w", err)
	}
	if parsed.Op == syntax.OpLiteral && isASCII(string(parsed.Rune)) {
		r.lit = []byte(strings.ToLower(string(parsed.Rune)))
	} else {
		if r.re, err = compileLower(rule); err != nil {
			return r, fmt.Errorf("regular expression: %w", err)
		}
		r.prefilter = []byte(requiredLiteral(rule))
	}
	r.options = tdsCondition(opts)
	r.except = tdsCondition(excs)
	return r, nil
}

func tdsCondition(c *tdsCondJSON) *tdsCond {
	if c == nil {
		return nil
	}
	out := &tdsCond{}
	for _, d := range c.Domains {
		out.domains = append(out.domains, strings.ToLower(d))
	}
	for _, t := range c.Types {
		out.types |= ParseResourceType(t).bit()
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// matches reports whether the condition holds for a request of type t from
// site (a host, "" when unknown).
func (c *tdsCond) matches(site string, t ResourceType) bool {
	if c.types != 0 && c.types&t.bit() == 0 {
		return false
	}
	if len(c.domains) == 0 {
		return true
	}
	for _, d := range c.domains {
		if hostWithin(site, d) {
			return true
		}
	}
	return false
}

// hostWithin reports whether host is domain or one of its subdomains.
func hostWithin(host, domain string) bool {
	if len(host) < len(domain) || host[len(host)-len(domain):] != domain {
		return false
	}
	return len(host) == len(domain) || host[len(host)-len(domain)-1] == '.'
}

// setBigrams picks bigrams of the rule's literal parts that lie outside the
// tracker's domain (which every URL the rule is tried on holds).
func (r *tdsRule) setBigrams(domain string) {
	runs := []string{string(r.lit)}
	if r.re != nil {
		runs = literalRuns(r.text)
	}
	var parts []string
	for _, run := range runs {
		parts = append(parts, strings.Split(run, domain)...)
	}
	r.bg = pickBigrams(parts)
}

// urlMatches reports whether the rule's expression matches url (lower
// case, no port).
func (r *tdsRule) urlMatches(url []byte) bool {
	if r.re == nil {
		return bytes.Contains(url, r.lit)
	}
	if len(r.prefilter) > 0 && !bytes.Contains(url, r.prefilter) {
		return false
	}
	return r.re.Match(url)
}

// findRule returns the first rule whose expression and options match. req,
// when not nil, is the request whose bigram set describes url.
func (t *tdsTracker) findRule(url []byte, site string, typ ResourceType, req *Request) *tdsRule {
	for i := range t.rules {
		r := &t.rules[i]
		if req != nil && !req.hasBigrams(&r.bg) || !r.urlMatches(url) {
			continue
		}
		if r.options != nil && !r.options.matches(site, typ) {
			continue
		}
		return r
	}
	return nil
}

// withList returns a copy of d whose trackers name list i and take the
// list's category when they have none.
func (d *tdsData) withList(i uint16, cat uint8) *tdsData {
	out := &tdsData{trackers: make(map[string]*tdsTracker, len(d.trackers)), cnames: d.cnames}
	for k, t := range d.trackers {
		c := *t
		c.list = i
		if c.cat == 0 {
			c.cat = cat
		}
		out.trackers[k] = &c
	}
	return out
}

func (t *tdsTracker) bytes() int64 {
	n := 160 + int64(len(t.rules))*120
	for _, r := range t.rules {
		if r.re != nil {
			n += 2048
		}
	}
	return n
}
