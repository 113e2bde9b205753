// SPDX-License-Identifier: GPL-3.0-or-later

// Package blocklist is Polaris's tracker-blocking engine: it parses lists,
// compiles them into an immutable Matcher and decides requests. It does no
// I/O: lists come in as readers or strings, verdicts go out as values.
//
// # Lists
//
// Parse reads Adblock Plus / EasyList / uBlock Origin network rules, hosts
// files, plain domain lists, Disconnect's services.json and entities.json,
// DuckDuckGo's Tracker Data Set (tds.json) and privacy configuration
// (request blocklist, tracker allowlist, site exceptions), and surrogate
// resources. The format is detected from the content unless ListMeta sets
// it. Bad lines become ParseErrors with their line numbers and are
// skipped; cosmetic rules and rules with page-level options are counted and
// skipped; a rule with an unknown option is inert and reported, as uBlock
// Origin does. A list with nothing usable is an error (ErrNoRules).
//
// # Matching
//
// Compile indexes the rules of all lists together: "||host^" rules by the
// hash of their host (looked up for every domain suffix of the requested
// host), other rules by their rarest whole token (looked up for every token
// of the URL), rules with nothing but a $domain= to go by by their sites,
// and the few left in a list checked every time. A bitmap in front of each
// table rejects most absent keys without touching the table, and a set of
// the URL's character pairs rejects most candidate rules before their
// pattern is searched. Match allocates nothing once a reused Request's
// buffers have grown and its hosts have been seen (a host's first request
// costs up to three allocations, to cache its public suffix), takes no
// lock, and gives the same verdicts as uBlock
// Origin and Ghostery on the shared real-world vectors.
//
// Parties are by registrable domain (public suffix list, private section
// included) and, with Options.OwnerParties, by owner where an entity map is
// loaded. Categories can be switched at match time (Matcher.WithCategories)
// without recompiling.
//
// # Semantics worth knowing
//
//   - A request without a source is neither first nor third party: rules of
//     both kinds apply, rules with a positive $domain= do not. A bare host
//     (MatchHost, for an unfiltered CONNECT) is "https://host/" with no
//     source and no type. Both agree with every verdict uBlock Origin and
//     Ghostery share on the realworld vectors.
//   - A page load (TypeDocument) is its own site. Plain "||host^" rules
//     (and hosts-file entries) block page loads, as uBlock Origin's strict
//     blocking does; other rules need $document.
//   - "@@...$document" lifts blocking on the pages it matches (Adblock
//     Plus semantics); the source URL stands for the page.
//   - Exception rules (@@) lift blocks from every list, the Tracker Data
//     Set's included; $important blocks cannot be lifted. The user's
//     allowlist comes first of all.
//   - DuckDuckGo's tracker allowlist and site exceptions (contentBlocking,
//     unprotectedTemporary) apply to the DuckDuckGo lists, whose breakage
//     they exist to fix, not to Adblock Plus lists.
//   - A TDS "ignore" still marks the request as a tracker (Verdict.Tracker)
//     so that cookie and referrer protections can apply to it.
//   - CNAME aliases from the TDS cnames map are uncloaked for the Adblock
//     Plus rules too (Verdict.CNAME).
package blocklist
