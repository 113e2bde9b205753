// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import "sync"

// Match decides one request. It prepares r first if r is new or was changed
// (see Request). Match takes no lock and allocates nothing once r's buffers
// have grown to the size of the URL and the process has seen the request's
// host and source host: the first request to or from a host costs up to
// three allocations (its public suffix is computed and cached, see
// psCache), and a host name in Unicode is converted to punycode, which
// allocates every time. It is safe to call from many goroutines on the same
// Matcher, each with its own Request.
//
// The decision, in order: a site on the user's allowlist gets Exception;
// an $important rule blocks; otherwise the first blocking rule (Adblock
// Plus rules, then the DuckDuckGo request blocklist, then the Tracker Data
// Set) blocks unless an exception rule (@@) matches; rules in switched-off
// categories are skipped. DuckDuckGo's tracker allowlist and site
// exceptions apply to the DuckDuckGo lists.
func (m *Matcher) Match(r *Request) Verdict {
	r.ensure()
	party, reqEnt := m.party(r)
	var v Verdict
	if reqEnt >= 0 {
		v.Owner = m.entNames[reqEnt]
	}
	site := r.srcHost
	if site == "" {
		site = r.host
	}
	if p, ok := m.allow.match(site); ok {
		v.Action, v.Reason, v.Rule = Exception, ReasonSiteAllowlisted, p
		return v
	}

	off := int32(-1) // first match in a switched-off category
	if id, o := m.first(&m.imp, r, party); id >= 0 {
		m.setRule(&v, id)
		v.Action, v.Reason = Block, ReasonImportant
		m.redirect(&v, r, party, id)
		return v
	} else if o >= 0 {
		off = o
	}
	blk, o := m.first(&m.blk, r, party)
	if off < 0 {
		off = o
	}
	// A CNAME-cloaked host: the rules apply to its canonical name too.
	var u *Request
	var uParty uint8
	if blk < 0 && len(m.cnames) > 0 {
		if u, uParty = m.uncloaked(r); u != nil {
			if id, _ := m.first(&m.imp, u, uParty); id >= 0 {
				m.setRule(&v, id)
				v.Action, v.Reason, v.CNAME = Block, ReasonImportant, u.host
				return v
			}
			if blk, _ = m.first(&m.blk, u, uParty); blk >= 0 {
				v.CNAME = u.host
			}
		}
	}

	var dv ddgVerdict
	if len(m.trackers) > 0 || m.ddg.blocked != nil {
		dv = m.matchDDG(r, site)
		v.Tracker = dv.tracker
	}
	switch {
	case blk >= 0:
		m.setRule(&v, blk)
		v.Action, v.Reason = Block, ReasonRule
		if v.CNAME == "" {
			m.redirect(&v, r, party, blk)
		}
		if v.Action == Block && dv.action == Redirect {
			// Both block; the Tracker Data Set's surrogate keeps the page working.
			v.Action, v.Redirect = Redirect, dv.surrogate
		}
	case dv.action.Blocked():
		v.Action, v.Reason, v.Rule, v.List, v.Category, v.Redirect = dv.action, ReasonRule, dv.rule, m.listName(dv.list), catName(dv.cat), dv.surrogate
	}
	if v.Action.Blocked() {
		exc, _ := m.first(&m.exc, r, party)
		if exc < 0 && v.CNAME != "" {
			exc, _ = m.first(&m.exc, u, uParty)
		}
		if exc < 0 {
			exc = m.pageException(r)
		}
		if exc >= 0 {
			v = Verdict{Owner: v.Owner, Tracker: v.Tracker, CNAME: v.CNAME}
			m.setRule(&v, exc)
			v.Action, v.Reason = Exception, ReasonExceptionRule
		}
		return v
	}
	switch {
	case dv.reason != ReasonNone:
		v.Action, v.Reason, v.Rule, v.List, v.Category = dv.action, dv.reason, dv.rule, m.listName(dv.list), catName(dv.cat)
	case off >= 0:
		m.setRule(&v, off)
		v.Reason = ReasonCategoryOff
	}
	if !v.Tracker && party == 1 && r.domain != r.srcDomain {
		v.Tracker = m.ownerExempted(r)
	}
	return v
}

// ownerExempted reports whether a request that is first party only by
// owner (Options.OwnerParties) would be blocked as a third party: a
// tracker its owner's sites load, which cookie protections still treat as
// another site's.
func (m *Matcher) ownerExempted(r *Request) bool {
	if id, _ := m.first(&m.imp, r, 3); id >= 0 {
		return true
	}
	id, _ := m.first(&m.blk, r, 3)
	return id >= 0
}

// uncloaked returns the request with its host replaced by its canonical
// name when the TDS cnames map knows the host as an alias of another site
// (uBlock Origin does this with DNS; the map stands in for it), or nil. An
// alias within the same registrable domain is left alone.
func (m *Matcher) uncloaked(r *Request) (*Request, uint8) {
	target, ok := m.cnameOf(r)
	if !ok || registrable(target) == r.domain {
		return nil, 0
	}
	u := r.uncloak(target)
	party, _ := m.party(u)
	return u, party
}

// pageException returns an exception rule with $document that matches the
// page the request comes from ("@@||example.com^$document" lifts blocking
// on example.com's pages, as in Adblock Plus), or -1.
func (m *Matcher) pageException(r *Request) int32 {
	if m.docExc.size == 0 || r.SourceURL == "" || r.Type == TypeDocument {
		return -1
	}
	if len(m.docExc.tokens.keys) == 0 && len(m.docExc.sites.keys) == 0 && len(m.docExc.generic) == 0 {
		hit := false // only host rules: look the page's host up first
		for _, h := range r.srcHashes {
			if len(m.docExc.hosts.get(h)) > 0 {
				hit = true
				break
			}
		}
		if !hit {
			return -1
		}
	}
	if r.page == nil {
		r.page = &Request{}
	}
	if !r.page.ready || r.page.URL != r.SourceURL {
		r.page.Reset(r.SourceURL, "", TypeDocument)
	}
	id, _ := m.first(&m.docExc, r.page, 1)
	return id
}

// party returns 1 (first party), 3 (third party) or 0 (no source known),
// and the owner of the requested host (-1 if unknown).
func (m *Matcher) party(r *Request) (uint8, int32) {
	ent := int32(-1)
	if id, ok := m.entities.longest(r.host, r.hostHashes, r.hostPos, int32(r.hostStart)); ok {
		ent = id
	}
	switch {
	case r.srcHost == "":
		return 0, ent
	case r.domain == r.srcDomain:
		return 1, ent
	case m.owners && ent >= 0:
		if src, ok := m.entities.longest(r.srcHost, r.srcHashes, r.srcPos, 0); ok && src == ent {
			return 1, ent
		}
	}
	return 3, ent
}

// first returns the first rule of ix that applies to r with its category
// on, and the first one that applies with its category off (-1 if none).
func (m *Matcher) first(ix *index, r *Request, party uint8) (hit, off int32) {
	off = -1
	if ix.size == 0 {
		return -1, -1
	}
	if ix.needTokens {
		r.ensureTokens()
	}
	try := func(ids []uint32, pos int) int32 {
		for _, id := range ids {
			f := &m.filters[id]
			if !f.matches(r, party, pos) {
				continue
			}
			if ix.always || m.cats.has(f.cat) {
				return int32(id)
			}
			if off < 0 {
				off = int32(id)
			}
		}
		return -1
	}
	if len(ix.hosts.keys) > 0 {
		for i, h := range r.hostHashes {
			if !hasKey(ix.hostBits, ix.hostMask, h) {
				continue
			}
			if id := try(ix.hosts.get(h), int(r.hostPos[i])); id >= 0 {
				return id, off
			}
		}
	}
	if len(ix.tokens.keys) > 0 {
		for _, t := range r.tokens {
			if !hasKey(ix.tokBits, ix.tokMask, uint64(t)) {
				continue
			}
			if id := try(ix.tokens.get(uint64(t)), -1); id >= 0 {
				return id, off
			}
		}
	}
	if len(ix.sites.keys) > 0 {
		for _, h := range r.srcHashes {
			if id := try(ix.sites.get(h), -1); id >= 0 {
				return id, off
			}
		}
		for _, h := range r.srcEntity {
			if id := try(ix.sites.get(h), -1); id >= 0 {
				return id, off
			}
		}
	}
	return try(ix.generic, -1), off
}

func (m *Matcher) setRule(v *Verdict, id int32) {
	f := &m.filters[id]
	v.Rule, v.List, v.Category = m.ruleText(f), m.listName(f.list), catName(f.cat)
}

func (m *Matcher) listName(i uint16) string {
	if int(i) < len(m.lists) {
		return m.lists[i].Name
	}
	return ""
}

// redirect turns a Block by filter id into a Redirect when the filter, or a
// $redirect-rule directive, names a loaded resource and no exception
// cancels it.
func (m *Matcher) redirect(v *Verdict, r *Request, party uint8, id int32) {
	name := ""
	if f := &m.filters[id]; f.flags&fRedirect != 0 {
		name = f.opt.redirect
	} else if d, _ := m.first(&m.rdr, r, party); d >= 0 {
		name = m.filters[d].opt.redirect
	}
	if name == "" {
		return
	}
	if e, _ := m.first(&m.rdrExc, r, party); e >= 0 {
		if rn := m.filters[e].opt.redirect; rn == "" || rn == name {
			return
		}
	}
	v.Redirect = name
	if _, ok := m.resources[name]; ok {
		v.Action = Redirect
	}
}

// RemoveParams returns the $removeparam values that apply to r: "" means
// every query parameter, "/re/" a regular expression on "name=value", any
// other value a parameter name. It allocates; it is meant for the
// URL-cleaning path, not for every request.
func (m *Matcher) RemoveParams(r *Request) []string {
	r.ensure()
	if m.rmp.size == 0 {
		return nil
	}
	party, _ := m.party(r)
	var out []string
	seen := map[int32]bool{}
	for {
		id, _ := m.firstExcept(&m.rmp, r, party, seen)
		if id < 0 {
			break
		}
		seen[id] = true
		p := m.filters[id].opt.param
		if !m.paramExcepted(r, party, p) {
			out = append(out, p)
		}
	}
	return out
}

// firstExcept is first, skipping ids already seen.
func (m *Matcher) firstExcept(ix *index, r *Request, party uint8, seen map[int32]bool) (int32, int32) {
	r.ensureTokens()
	all := make([]uint32, 0, 8)
	collect := func(ids []uint32) {
		for _, id := range ids {
			if !seen[int32(id)] {
				all = append(all, id)
			}
		}
	}
	for _, h := range r.hostHashes {
		collect(ix.hosts.get(h))
	}
	for _, t := range r.tokens {
		collect(ix.tokens.get(uint64(t)))
	}
	for _, h := range append(append([]uint64(nil), r.srcHashes...), r.srcEntity...) {
		collect(ix.sites.get(h))
	}
	collect(ix.generic)
	for _, id := range all {
		if f := &m.filters[id]; f.matches(r, party, -1) && m.cats.has(f.cat) {
			return int32(id), -1
		}
	}
	return -1, -1
}

func (m *Matcher) paramExcepted(r *Request, party uint8, p string) bool {
	seen := map[int32]bool{}
	for {
		id, _ := m.firstExcept(&m.rmpExc, r, party, seen)
		if id < 0 {
			return false
		}
		seen[id] = true
		if e := m.filters[id].opt.param; e == "" || e == p {
			return true
		}
	}
}

var hostRequests = sync.Pool{New: func() any { return &Request{} }}

// MatchHost decides a bare host, as a proxy sees an HTTPS CONNECT it does
// not intercept: the request "https://host/" with no source and no type,
// which is how the realworld vectors define a host-only verdict. host may
// carry a port. Like Match, it allocates nothing once host has been seen.
func (m *Matcher) MatchHost(host string) Verdict {
	r := hostRequests.Get().(*Request)
	r.ResetHost(host)
	v := m.Match(r)
	hostRequests.Put(r)
	return v
}
