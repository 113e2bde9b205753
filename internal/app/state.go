// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/proxy"
)

// The proxy's state (proxy.State: what a request reads from the settings)
// is built here, whole, from one version of the settings, and put in force
// with one SetState: a request never meets half of a change.

// publish puts the state of the current settings, with the lists' matcher,
// in force in p. Publishes are serialised: the last one is of the newest
// settings and the newest matcher.
func (a *App) publish(p *proxy.Proxy) {
	a.blk.publishMu.Lock()
	defer a.blk.publishMu.Unlock()
	s := a.Settings()
	st := proxy.State{
		Policy:  policyFrom(s),
		HTTPS:   httpsPolicyFrom(s, a.passThrough()),
		Matcher: a.view(s),
		Route:   a.routeFor(s),
	}
	before := p.Route()
	if err := p.SetState(st); err != nil { // settings are validated: a bug
		a.noticef(status.Error, "The new settings could not be applied, the ones in force stay: %v", err)
		return
	}
	switch {
	case st.Route.Name == before.Name:
	case st.Route.Tor:
		a.log.Printf("Tor mode on: every connection now goes through Tor")
	default:
		a.log.Printf("Tor mode off: connections go direct")
	}
}

// publishServing publishes to the serving proxy, if any (the lists were
// compiled anew).
func (a *App) publishServing() {
	if p := a.blk.proxy.Load(); p != nil {
		a.publish(p)
		return
	}
	a.view(a.Settings()) // what the status shows
}

// view puts the settings' categories and allowlist on top of the compiled
// matcher (instant) and returns it; it is also what the status counts.
func (a *App) view(s settings.Settings) *blocklist.Matcher {
	cats := make([]string, 0, len(s.Blocking.Categories))
	for _, c := range s.Blocking.Categories {
		cats = append(cats, string(c))
	}
	var m *blocklist.Matcher
	if base := a.lists.Base(); base != nil {
		var err error
		if m, err = base.WithCategories(cats); err == nil {
			m, err = m.WithAllowlist(s.Blocking.Allowlist)
		}
		if err != nil { // settings are validated; this is a bug
			a.log.Printf("applying categories and allowlist: %v", err)
			m = base
		}
	}
	a.blk.mu.Lock()
	a.blk.active = m
	a.blk.mu.Unlock()
	return m
}

// policyFrom converts settings into the proxy's policy.
func policyFrom(s settings.Settings) proxy.Policy {
	pol := proxy.Policy{
		Protection:     s.Protection,
		DNT:            s.Signals.DNT,
		GPC:            s.Signals.GPC,
		Exceptions:     s.Signals.Exceptions,
		Stealth:        s.Stealth,
		HonorDNTPolicy: s.Blocking.HonorDNTPolicy,
		PreferOnion:    s.Tor.Enabled && s.Tor.PreferOnion,
	}
	if s.Tor.Enabled && s.Tor.EnglishLanguage {
		pol.AcceptLanguage = settings.TorBrowserAcceptLanguage
	}
	return pol
}
