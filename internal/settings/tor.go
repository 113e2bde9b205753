// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"path/filepath"
	"strings"
)

// BridgeMode chooses how Tor reaches the network.
type BridgeMode string

// Bridge modes.
const (
	BridgesNone      BridgeMode = "none"      // connect to the Tor network directly
	BridgesObfs4     BridgeMode = "obfs4"     // built-in obfs4 bridges
	BridgesSnowflake BridgeMode = "snowflake" // snowflake
	BridgesCustom    BridgeMode = "custom"    // the bridge lines the user pasted
)

// Tor are the Tor routing choices.
type Tor struct {
	// Enabled routes every upstream connection through Polaris's own Tor
	// client, failing closed while Tor is not ready.
	Enabled bool
	// Binary is the tor executable; "" finds "tor" on PATH.
	Binary string
	// Torrc is a file of extra torrc lines appended to Polaris's own, or "".
	Torrc string
	// Isolate gives each first-party site its own circuits (as Tor Browser).
	Isolate bool
	Bridges BridgeMode
	// BridgeLines are "Bridge" lines the user pasted (without the keyword
	// or with it), used when Bridges is custom.
	BridgeLines []string
	// ExitCountries restricts exits to these ISO 3166 two-letter codes
	// (advanced; the Tor Project advises against it).
	ExitCountries []string
	// PreferOnion: in Tor mode a page whose answer names the site's onion
	// service (the Onion-Location header) is loaded from the onion address
	// instead (as Tor Browser's "prioritise .onion sites"). Off: the onion
	// address is only recorded and shown.
	PreferOnion bool
	// WebRTCAlways keeps WebRTC behind the proxy in the browsers' profiles
	// also while Tor is off (with Tor on it always is).
	WebRTCAlways bool
	// EnglishLanguage: in Tor mode every request says Tor Browser's
	// Accept-Language (TorBrowserAcceptLanguage) instead of the browser's
	// own languages, so it looks like other Tor users'. Only where Polaris
	// sees the request: plain HTTP, and HTTPS with filtering on.
	EnglishLanguage bool
}

// TorBrowserAcceptLanguage is the Accept-Language Tor Browser sends (its
// default, "spoof English").
const TorBrowserAcceptLanguage = "en-US,en;q=0.5"

func checkPath(v string) error {
	if v != "" && !filepath.IsAbs(v) {
		return errors.New("want an absolute path, or \"\"")
	}
	return nil
}

func checkBridgeLine(v string) (string, error) {
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "Bridge "))
	f := strings.Fields(v)
	if len(f) == 0 {
		return "", errors.New("empty bridge line")
	}
	// "[transport] IP:port [fingerprint] [args...]"
	addr := f[0]
	if !strings.Contains(addr, ":") && len(f) > 1 {
		addr = f[1]
	}
	if !strings.Contains(addr, ":") {
		return "", errors.New("want a bridge line such as \"obfs4 192.0.2.1:443 FINGERPRINT cert=... iat-mode=0\"")
	}
	return strings.Join(f, " "), nil
}

func checkCountry(v string) (string, error) {
	c := strings.ToLower(strings.Trim(v, "{} "))
	if len(c) != 2 || strings.Trim(c, "abcdefghijklmnopqrstuvwxyz") != "" {
		return "", errors.New("want a two-letter country code such as de")
	}
	return c, nil
}

var torKeys = []Key{
	boolKey("tor", "route all traffic through Tor; requests are refused while Tor is not connected (on|off)",
		func(s *Settings) *bool { return &s.Tor.Enabled }),
	{
		Name: "tor.binary",
		Help: "absolute path of the tor executable, or \"\" to use tor from PATH",
		get:  func(s *Settings) string { return s.Tor.Binary },
		set: func(s *Settings, v string) error {
			if err := checkPath(v); err != nil {
				return err
			}
			s.Tor.Binary = v
			return nil
		},
	},
	{
		Name: "tor.torrc",
		Help: "absolute path of a file of extra torrc lines appended to Polaris's own, or \"\"",
		get:  func(s *Settings) string { return s.Tor.Torrc },
		set: func(s *Settings, v string) error {
			if err := checkPath(v); err != nil {
				return err
			}
			s.Tor.Torrc = v
			return nil
		},
	},
	boolKey("tor.isolate", "use separate Tor circuits for each site (on|off)",
		func(s *Settings) *bool { return &s.Tor.Isolate }),
	boolKey("tor.webrtc-always", "keep WebRTC in your browsers behind the proxy also without Tor (on|off; with Tor it always is)",
		func(s *Settings) *bool { return &s.Tor.WebRTCAlways }),
	boolKey("tor.english-language", "in Tor mode, send Tor Browser's Accept-Language (en-US,en;q=0.5) instead of your browser's languages (on|off)",
		func(s *Settings) *bool { return &s.Tor.EnglishLanguage }),
	boolKey("tor.prefer-onion", "in Tor mode, open a site's onion address when it announces one (Onion-Location) (on|off)",
		func(s *Settings) *bool { return &s.Tor.PreferOnion }),
	{
		Name: "tor.bridges",
		Help: "how to reach Tor: none, obfs4, snowflake or custom (tor.bridge-lines)",
		get:  func(s *Settings) string { return string(s.Tor.Bridges) },
		set: func(s *Settings, v string) error {
			switch m := BridgeMode(strings.ToLower(v)); m {
			case BridgesNone, BridgesObfs4, BridgesSnowflake, BridgesCustom:
				s.Tor.Bridges = m
				return nil
			}
			return errors.New("want none, obfs4, snowflake or custom")
		},
	},
	listKey("tor.bridge-lines", "your bridge lines, separated by ';' or newlines",
		checkBridgeLine, func(s *Settings) *[]string { return &s.Tor.BridgeLines }),
	listKey("tor.exit-countries", "advanced: only use exits in these countries, e.g. de,nl (weakens anonymity)",
		checkCountry, func(s *Settings) *[]string { return &s.Tor.ExitCountries }),
}
