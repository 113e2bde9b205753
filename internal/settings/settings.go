// SPDX-License-Identifier: GPL-3.0-or-later

// Package settings is the pure description of what the user chose: the
// Settings type, its defaults, validation, and the textual key/value form used
// by the CLI, the store and exports. It does no I/O.
//
// Settings flow one way (see STYLE.md): a caller copies the current value,
// edits the copy, and submits it; app validates it with Validate, persists it
// and only then applies it.
package settings

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// DefaultPort is Polaris's proxy port. It avoids Privoxy (8118), Tor
// (9050/9150), mitmproxy (8080) and the other usual proxy ports.
const DefaultPort = 8228

// DefaultListen is the default listen address: loopback only.
var DefaultListen = net.JoinHostPort("127.0.0.1", strconv.Itoa(DefaultPort))

// ReservedHost is the host name the proxy answers itself (status page, CA
// download, PAC file, block-page actions). It is under .invalid (RFC 6761), so it
// can never be a real site, and it is not localhost, which browsers send
// around the proxy.
const ReservedHost = "polaris.invalid"

// Settings is everything the user can choose. The zero value is not useful;
// start from Default(). A Settings value is plain data: copying it with Clone
// gives an independent value.
type Settings struct {
	// Listen is the proxy's listen address (host:port). A non-loopback host
	// requires ProxyAuth.
	Listen string
	// ProxyAuth is "user:password" for HTTP Basic proxy authentication, or "".
	ProxyAuth string

	// Protection is the master switch: off turns blocking, privacy signals
	// and URL cleaning off (Polaris then only forwards; Tor routing, when on,
	// stays on).
	Protection bool

	Signals  Signals
	Blocking Blocking
	HTTPS    HTTPS
	Stealth  Stealth
	Tor      Tor
	// Snowflake is the "give back" Snowflake proxy (off by default).
	Snowflake Snowflake
	DNS       DNS
	System    System
	Data      Data
}

// Default returns the settings of a fresh install.
func Default() Settings {
	return Settings{
		Listen:     DefaultListen,
		Protection: true,
		Signals: Signals{
			DNT:        DNTUnset,
			GPC:        true,
			CheckSites: true,
		},
		Blocking: Blocking{
			Preset:          PresetStandard,
			Categories:      PresetCategories(PresetStandard),
			HoldUntilLoaded: true,
			OwnerParties:    true,
			UncloakCNAMEs:   true,
		},
		HTTPS: HTTPS{
			SearchEngines:     true,
			DefaultExclusions: true,
			TrimReferrer:      true,
			StripParams:       true,
			SkipRedirectors:   true,
		},
		Stealth: Stealth{
			TrackerCookies:         true,
			ThirdPartyCookieMaxAge: 24 * time.Hour,
			ClientData:             true,
			CacheID:                true,
			Authorization:          true,
			ClientHints:            true,
			PageSignals:            true,
		},
		Tor: Tor{
			Isolate: true,
			Bridges: BridgesNone,
		},
		Snowflake: Snowflake{
			Capacity: SnowflakeDefaultCapacity,
		},
		DNS: DNS{
			Resolver: DefaultDNSResolver,
			Protocol: DNSOverHTTPS,
		},
		Data: Data{
			LogRetention:       LogRetentionDay,
			LogMaxRows:         100000,
			StatsRetentionDays: 90,
		},
	}
}

// Clone returns a deep copy of s.
func (s Settings) Clone() Settings {
	c := s
	c.Signals.Exceptions = slices.Clone(s.Signals.Exceptions)
	c.Blocking.Categories = slices.Clone(s.Blocking.Categories)
	c.Blocking.Allowlist = slices.Clone(s.Blocking.Allowlist)
	c.HTTPS.Exclusions = slices.Clone(s.HTTPS.Exclusions)
	c.Stealth.AuthorizationAllowed = slices.Clone(s.Stealth.AuthorizationAllowed)
	c.Stealth.Exceptions = slices.Clone(s.Stealth.Exceptions)
	c.Stealth.NoScript = slices.Clone(s.Stealth.NoScript)
	c.Tor.BridgeLines = slices.Clone(s.Tor.BridgeLines)
	c.Tor.ExitCountries = slices.Clone(s.Tor.ExitCountries)
	c.DNS.Bootstrap = slices.Clone(s.DNS.Bootstrap)
	return c
}

// Equal reports whether a and b hold the same settings.
func Equal(a, b Settings) bool {
	ka, kb := a.Map(), b.Map()
	if len(ka) != len(kb) {
		return false
	}
	for k, v := range ka {
		if kb[k] != v {
			return false
		}
	}
	return true
}

// IsLoopback reports whether the host part of a listen address is a loopback
// address (127.0.0.0/8 or ::1) or the name "localhost".
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
