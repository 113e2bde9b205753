// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// DNS is how Polaris looks host names up in direct mode. In Tor mode
// nothing here applies: Tor resolves every name at the exit.
type DNS struct {
	// Encrypted sends every name Polaris looks up to the chosen resolver
	// over DNS over HTTPS or DNS over TLS instead of the system's resolver.
	// It fails closed: while that resolver cannot be reached, requests get
	// a page saying so and nothing is looked up in the clear. Off by
	// default: sending every name to a third party is the user's decision.
	Encrypted bool
	// Resolver is the id of a well-known resolver (WellKnownResolvers) or
	// DNSCustom.
	Resolver string
	// Protocol is how a well-known resolver is reached.
	Protocol DNSProtocol
	// Custom is the custom resolver's address: "https://host[:port]/path"
	// (DNS over HTTPS) or "tls://host[:port]" (DNS over TLS); "" for none.
	Custom string
	// Bootstrap are the custom resolver's own IP addresses. With them its
	// name is never looked up; without them it is looked up once with the
	// system's resolver, the only name that ever is.
	Bootstrap []string
}

// DNSProtocol is how an encrypted resolver is reached.
type DNSProtocol string

// Protocols.
const (
	DNSOverHTTPS DNSProtocol = "https" // RFC 8484, port 443: looks like any HTTPS
	DNSOverTLS   DNSProtocol = "tls"   // RFC 7858, port 853
)

// DNSCustom is the Resolver value of the user's own resolver (DNS.Custom).
const DNSCustom = "custom"

// DefaultDNSResolver is the resolver offered first.
const DefaultDNSResolver = "quad9"

// WellKnownResolver is an encrypted resolver offered by name.
type WellKnownResolver struct {
	ID   string
	Name string
	// About says in a few words who runs it and what it does to answers.
	About string
	// HTTPS and TLS are its DNS-over-HTTPS URL and DNS-over-TLS address.
	HTTPS, TLS string
	// Addrs are its published IP addresses (no name lookup is needed).
	Addrs []string
}

var wellKnownResolvers = []WellKnownResolver{
	{ID: "quad9", Name: "Quad9", About: "a Swiss non-profit; blocks sites known to spread malware",
		HTTPS: "https://dns.quad9.net/dns-query", TLS: "tls://dns.quad9.net",
		Addrs: []string{"9.9.9.9", "149.112.112.112", "2620:fe::fe", "2620:fe::9"}},
	{ID: "mullvad", Name: "Mullvad", About: "a Swedish VPN company; no filtering",
		HTTPS: "https://dns.mullvad.net/dns-query", TLS: "tls://dns.mullvad.net",
		Addrs: []string{"194.242.2.2", "2a07:e340::2"}},
	{ID: "cloudflare", Name: "Cloudflare", About: "a US company; no filtering",
		HTTPS: "https://cloudflare-dns.com/dns-query", TLS: "tls://cloudflare-dns.com",
		Addrs: []string{"1.1.1.1", "1.0.0.1", "2606:4700:4700::1111", "2606:4700:4700::1001"}},
	{ID: "google", Name: "Google Public DNS", About: "a US company; no filtering",
		HTTPS: "https://dns.google/dns-query", TLS: "tls://dns.google",
		Addrs: []string{"8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844"}},
}

// WellKnownResolvers returns the resolvers offered by name, in the order
// they are offered.
func WellKnownResolvers() []WellKnownResolver {
	out := slices.Clone(wellKnownResolvers)
	for i := range out {
		out[i].Addrs = slices.Clone(out[i].Addrs)
	}
	return out
}

// Server returns the address of the chosen encrypted resolver and its own
// IP addresses ("" when Resolver is custom and Custom is empty).
func (d DNS) Server() (address string, addrs []string) {
	if d.Resolver == DNSCustom {
		return d.Custom, slices.Clone(d.Bootstrap)
	}
	for _, r := range wellKnownResolvers {
		if r.ID == d.Resolver {
			if d.Protocol == DNSOverTLS {
				return r.TLS, slices.Clone(r.Addrs)
			}
			return r.HTTPS, slices.Clone(r.Addrs)
		}
	}
	return "", nil
}

// ResolverName is the chosen resolver's name for people ("Quad9", or the
// custom address's host).
func (d DNS) ResolverName() string {
	if d.Resolver == DNSCustom {
		if u, err := url.Parse(d.Custom); err == nil && u.Host != "" {
			return u.Hostname()
		}
		return d.Custom
	}
	for _, r := range wellKnownResolvers {
		if r.ID == d.Resolver {
			return r.Name
		}
	}
	return d.Resolver
}

// CheckDNSAddress checks the address of a custom encrypted resolver.
func CheckDNSAddress(v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want https://host/dns-query (DNS over HTTPS) or tls://host (DNS over TLS)")
	}
	switch u.Scheme {
	case "https":
	case "tls":
		if u.Path != "" && u.Path != "/" {
			return errors.New("a tls:// address has no path: want tls://host or tls://host:853")
		}
	default:
		return errors.New("want https://host/dns-query (DNS over HTTPS) or tls://host (DNS over TLS); plain DNS is what the system already does")
	}
	return nil
}

func checkIP(v string) (string, error) {
	a, err := netip.ParseAddr(strings.Trim(v, "[]"))
	if err != nil || a.Zone() != "" {
		return "", errors.New("want an IP address such as 192.0.2.1 or 2001:db8::1")
	}
	return a.Unmap().String(), nil
}

func resolverIDs() []string {
	ids := make([]string, 0, len(wellKnownResolvers)+1)
	for _, r := range wellKnownResolvers {
		ids = append(ids, r.ID)
	}
	return append(ids, DNSCustom)
}

var dnsKeys = []Key{
	boolKey("dns.encrypted", "look names up with an encrypted resolver (dns.resolver) instead of your network's DNS; requests are refused while it cannot be reached; not used with Tor (on|off)",
		func(s *Settings) *bool { return &s.DNS.Encrypted }),
	{
		Name: "dns.resolver",
		Help: "the encrypted DNS resolver: " + strings.Join(resolverIDs(), ", ") + " (dns.custom)",
		get:  func(s *Settings) string { return s.DNS.Resolver },
		set: func(s *Settings, v string) error {
			v = strings.ToLower(v)
			if !slices.Contains(resolverIDs(), v) {
				return errors.New("want one of " + strings.Join(resolverIDs(), ", "))
			}
			s.DNS.Resolver = v
			return nil
		},
	},
	{
		Name: "dns.protocol",
		Help: "how a well-known resolver is reached: https (DNS over HTTPS, looks like any web traffic) or tls (DNS over TLS, port 853)",
		get:  func(s *Settings) string { return string(s.DNS.Protocol) },
		set: func(s *Settings, v string) error {
			switch p := DNSProtocol(strings.ToLower(v)); p {
			case DNSOverHTTPS, DNSOverTLS:
				s.DNS.Protocol = p
				return nil
			}
			return errors.New("want https or tls")
		},
	},
	{
		Name: "dns.custom",
		Help: `your own encrypted resolver: https://host/dns-query or tls://host[:port], or ""`,
		get:  func(s *Settings) string { return s.DNS.Custom },
		set: func(s *Settings, v string) error {
			if v != "" {
				if err := CheckDNSAddress(v); err != nil {
					return err
				}
			}
			s.DNS.Custom = v
			return nil
		},
	},
	listKey("dns.bootstrap", "your own resolver's IP addresses, comma-separated (without them its name is looked up with your network's DNS, the only name that is)",
		checkIP, func(s *Settings) *[]string { return &s.DNS.Bootstrap }),
}
