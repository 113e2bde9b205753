// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import "bytes"

// ddgVerdict is the outcome of the DuckDuckGo lists for one request.
type ddgVerdict struct {
	action    Action
	reason    Reason // set when the request is a known tracker or excepted
	rule      string
	list      uint16
	cat       uint8
	surrogate string
	tracker   bool
}

// tdsOutcome is the Tracker Data Set's decision.
type tdsOutcome struct {
	tracker   *tdsTracker
	block     bool
	reason    Reason // why not blocked
	action    Action // Allow or Exception when not blocked
	text      string
	surrogate string
}

// matchDDG applies the Tracker Data Sets, the request blocklist and their
// allowlists. site is the site used for exceptions (the source host, or the
// requested host when there is no source).
func (m *Matcher) matchDDG(r *Request, site string) ddgVerdict {
	var dv ddgVerdict
	t := m.matchTDS(r)
	dv.tracker = t.tracker != nil
	var rb *rbRule
	if r.Type != TypeDocument {
		rb = m.matchRB(r)
	}
	if rb == nil && !t.block {
		if t.tracker != nil {
			dv.action, dv.reason, dv.rule, dv.list, dv.cat = t.action, t.reason, t.text, t.tracker.list, t.tracker.cat
		}
		return dv
	}
	if ref, ok := siteIn(m.ddg.siteExc, site); ok {
		dv.action, dv.reason, dv.rule, dv.list = Exception, ReasonSiteException, ref.text, ref.list
		return dv
	}
	var rbExc *siteRef
	if rb != nil {
		if ref, ok := siteIn(m.ddg.rbExc, site); ok {
			rb, rbExc = nil, &ref
		}
	}
	if ta := m.trackerAllowed(r); ta != nil {
		dv.action, dv.reason, dv.rule, dv.list = Exception, ReasonTrackerAllowlisted, ta.text, ta.list
		return dv
	}
	switch {
	case rb != nil:
		dv.action, dv.reason, dv.rule, dv.list, dv.cat = Block, ReasonRule, rb.text, rb.list, rb.cat
	case t.block && !m.cats.has(t.tracker.cat):
		dv.action, dv.reason, dv.rule, dv.list, dv.cat = Allow, ReasonCategoryOff, t.text, t.tracker.list, t.tracker.cat
	case t.block:
		dv.action, dv.reason, dv.rule, dv.list, dv.cat = Block, ReasonRule, t.text, t.tracker.list, t.tracker.cat
		if dv.surrogate = t.surrogate; dv.surrogate != "" {
			if _, ok := m.resources[dv.surrogate]; ok {
				dv.action = Redirect
			}
		}
	case rbExc != nil:
		dv.action, dv.reason, dv.rule, dv.list = Exception, ReasonSiteException, rbExc.text, rbExc.list
	}
	return dv
}

// matchTDS finds the request's tracker (uncloaking a CNAME when the host
// itself is not one) and applies its rules.
func (m *Matcher) matchTDS(r *Request) (o tdsOutcome) {
	if len(m.trackers) == 0 || r.host == "" {
		return o
	}
	trHost := r.host
	var tr *tdsTracker
	if i, ok := m.trackerAt.longest(r.host, r.hostHashes, r.hostPos, int32(r.hostStart)); ok {
		tr = m.trackers[i]
	}
	url := r.portlessLower()
	if tr == nil {
		if target, ok := m.cnameOf(r); ok {
			if i, ok := m.trackerAt.longestOf(target); ok {
				tr, trHost, url = m.trackers[i], target, r.withHost(target)
			}
		}
	}
	if tr == nil {
		return o
	}
	o.tracker = tr
	site := r.srcHost
	if site != "" && m.sameParty(trHost, site) {
		o.reason, o.text = ReasonFirstParty, tr.text
		return o
	}
	var bigrams *Request // the bigram set describes url when url is the URL as is
	if r.tokensReady && trHost == r.host && r.pathStart == r.hostEnd {
		bigrams = r
	}
	rule := tr.findRule(url, site, r.Type, bigrams)
	switch {
	case rule != nil && rule.except != nil && rule.except.matches(site, r.Type):
		o.action, o.reason, o.text = Exception, ReasonExceptionRule, rule.text
	case rule != nil && rule.ignore:
		o.action, o.reason, o.text = Exception, ReasonExceptionRule, rule.text
	case rule == nil && !tr.block:
		o.reason, o.text = ReasonTrackerIgnored, tr.text
	case rule == nil:
		o.block, o.text = true, tr.text
	default:
		o.block, o.text, o.surrogate = true, rule.text, rule.surrogate
	}
	return o
}

// cnameOf returns the canonical name of the request's host when the TDS
// cnames map has it (exact host only, as DuckDuckGo's clients do).
func (m *Matcher) cnameOf(r *Request) (string, bool) {
	if len(m.cnames) == 0 || len(r.hostHashes) == 0 {
		return "", false
	}
	i, ok := m.cnameAt.get(r.host, r.hostHashes[len(r.hostHashes)-1])
	if !ok {
		return "", false
	}
	return m.cnames[i], true
}

// SameParty reports whether two host names are the same party: they share
// a registrable domain, or (with Options.OwnerParties) an owner in the
// loaded entity maps, e.g. facebook.com and fbcdn.net. Safe for concurrent
// use.
func (m *Matcher) SameParty(a, b string) bool { return m.sameParty(a, b) }

// sameParty reports whether two hosts share a registrable domain, or an
// owner when Options.OwnerParties is on.
func (m *Matcher) sameParty(a, b string) bool {
	if registrable(a) == registrable(b) {
		return true
	}
	if !m.owners {
		return false
	}
	ea := m.entityOf(a)
	return ea >= 0 && ea == m.entityOf(b)
}

// matchRB finds a request blocklist rule for r.
func (m *Matcher) matchRB(r *Request) *rbRule {
	rules := m.ddg.blocked[r.domain]
	for i := range rules {
		rb := &rules[i]
		if !m.cats.has(rb.cat) || !domainsMatch(rb.all, rb.domains, r.srcHost) {
			continue
		}
		if matchHostAnchored(rb.pattern, r.norm, r.hostStart, r.hostEnd, false) {
			return rb
		}
	}
	return nil
}

// trackerAllowed finds a trackerAllowlist rule for r.
func (m *Matcher) trackerAllowed(r *Request) *taRule {
	rules := m.ddg.allowed[r.domain]
	if len(rules) == 0 {
		return nil
	}
	url := r.allowlistURL()
	for i := range rules {
		ta := &rules[i]
		if !domainsMatch(ta.all, ta.domains, r.srcHost) {
			continue
		}
		if len(ta.lit) > 0 && !bytes.Contains(url, ta.lit) {
			continue
		}
		if ta.re.Match(url) {
			return ta
		}
	}
	return nil
}
