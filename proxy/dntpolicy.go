// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"sync/atomic"

	"polaris/blocklist"
)

// The EFF Do Not Track policy (Policy.HonorDNTPolicy): a third party a rule
// blocks is let through a request that leaves with "DNT: 1" when its site
// posts the policy at /.well-known/dnt-policy.txt, as Privacy Badger does.
// The proxy answers this on the request path from its own state: the flag
// in the policy, and the sites known to post the policy, which the app
// gives (SetDNTPolicySites, from what it stored) and the proxy's own site
// checks keep up to date.

// dntPolicySites is the set of sites known to post the policy; it is
// replaced, never changed (copy on write).
type dntPolicySites struct {
	sites atomic.Pointer[map[string]struct{}]
}

// SetDNTPolicySites replaces the sites (registrable domains) known to post
// the EFF Do Not Track policy. The proxy keeps its own copy.
func (p *Proxy) SetDNTPolicySites(sites []string) {
	m := make(map[string]struct{}, len(sites))
	for _, s := range sites {
		m[s] = struct{}{}
	}
	p.dntSites.sites.Store(&m)
}

// LearnDNTPolicy records whether site posts the EFF Do Not Track policy
// (the proxy's own site checks record it themselves).
func (p *Proxy) LearnDNTPolicy(site string, posts bool) { p.dntSites.learn(site, posts) }

// HonorsDNTPolicy reports whether the proxy lets a blocked third party of
// site through (the policy in force honours the EFF policy, and site was
// seen posting it). It takes no lock and allocates nothing.
func (p *Proxy) HonorsDNTPolicy(site string) bool {
	return p.state.Load().policy.HonorDNTPolicy && p.dntSites.posts(site)
}

func (d *dntPolicySites) posts(site string) bool {
	m := d.sites.Load()
	if m == nil {
		return false
	}
	_, ok := (*m)[site]
	return ok
}

// learn records what a site check found about site.
func (d *dntPolicySites) learn(site string, posts bool) {
	for {
		old := d.sites.Load()
		var cur map[string]struct{}
		if old != nil {
			cur = *old
		}
		if _, has := cur[site]; has == posts {
			return
		}
		m := make(map[string]struct{}, len(cur)+1)
		for k := range cur {
			m[k] = struct{}{}
		}
		if posts {
			m[site] = struct{}{}
		} else {
			delete(m, site)
		}
		if d.sites.CompareAndSwap(old, &m) {
			return
		}
	}
}

// dntPolicyExempt says why a blocked host is let through because it posts
// the EFF policy, or "" (then it is checked, once per session, so that a
// later request may pass).
func (p *Proxy) dntPolicyExempt(st *state, host string) string {
	if !st.policy.HonorDNTPolicy {
		return ""
	}
	if p.dntSites.posts(blocklist.Site(host)) {
		return "posts the EFF Do Not Track policy"
	}
	p.CheckSite(host)
	return ""
}
