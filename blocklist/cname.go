// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

// CNAME uncloaking with DNS: a site may give a tracker one of its own names
// (metrics.news.example, a CNAME of news.example.tracker.example), which no
// third-party rule about the name itself can see. A caller that resolved the
// host (a proxy does, to connect) passes its CNAME chain, and the request is
// decided again on each canonical name, as uBlock Origin does on Firefox:
// for that host alone ("https://name/", its default of not replaying the
// path), from the same page and of the same type.

// MatchCNAMEs decides r on the canonical names its host is an alias of
// (names: the CNAME chain in order, as a resolver answered it). Call it when
// Match let r through without an exception. A name is skipped when it is in
// the requested host's own registrable domain (a site's own aliases), or of
// the same party as the site (the page's host, or the requested host when
// r has no source): a company's own CDN names are not third parties. The
// first name a rule blocks gives the verdict, with CNAME set to it; ok is
// false when no name is blocked. Page loads are not uncloaked (the user
// asked for that address). It allocates nothing for a chain whose names are
// all skipped, and is safe for concurrent use.
func (m *Matcher) MatchCNAMEs(r *Request, names []string) (v Verdict, ok bool) {
	r.ensure()
	if r.Type == TypeDocument || len(names) == 0 {
		return Verdict{}, false
	}
	source := r.SourceURL
	if r.srcHost == "" {
		source = ""
	}
	return m.matchCanonical(r.domain, r.srcHost, r.host, source, r.Type, r.Method, names)
}

// MatchHostCNAMEs is MatchCNAMEs for a bare host (see MatchHost): an HTTPS
// tunnel whose page is unknown. The host itself stands for the site.
func (m *Matcher) MatchHostCNAMEs(host string, names []string) (v Verdict, ok bool) {
	if len(names) == 0 {
		return Verdict{}, false
	}
	return m.matchCanonical(registrable(host), "", host, "", TypeUnknown, "", names)
}

// matchCanonical decides the canonical names of host (registrable domain
// domain) requested from site (srcHost, "" when unknown; source is its URL).
func (m *Matcher) matchCanonical(domain, srcHost, host, source string, typ ResourceType, method string, names []string) (Verdict, bool) {
	site := srcHost
	if site == "" {
		site = host
	}
	u := hostRequests.Get().(*Request)
	defer hostRequests.Put(u)
	for _, name := range names {
		if name == "" || registrable(name) == domain || m.sameParty(name, site) {
			continue
		}
		if source == "" {
			// No page known: the alias's own host is the site, so that a
			// third-party rule sees the tracker as the third party it is.
			source = "https://" + host + "/"
		}
		u.URL, u.SourceURL, u.Type, u.Method, u.hostOnly, u.alias = "", source, typ, method, name, ""
		u.prepare()
		if v := m.Match(u); v.Action.Blocked() {
			v.CNAME = name
			return v, true
		}
	}
	return Verdict{}, false
}
