// SPDX-License-Identifier: GPL-3.0-or-later

package settings

import (
	"errors"
	"slices"
	"strings"

	"polaris/blocklist"
)

// Category is a kind of tracker: the engine's categories
// (blocklist.Category), named here for the settings' users (the window, the
// command line), which do not import the engine.
type Category = blocklist.Category

// The categories, in display order.
const (
	CatAdvertising    = blocklist.CatAdvertising
	CatAnalytics      = blocklist.CatAnalytics
	CatSocial         = blocklist.CatSocial
	CatFingerprinting = blocklist.CatFingerprinting
	CatCryptomining   = blocklist.CatCryptomining
	CatEmail          = blocklist.CatEmail
	CatContent        = blocklist.CatContent
	CatOther          = blocklist.CatOther
)

// Categories lists every category in display order (blocklist.Categories).
var Categories = blocklist.Categories

// Preset is a protection level.
type Preset string

// Presets. Standard blocks trackers without breaking embedded content;
// Strict also blocks embedded third-party content; Custom uses
// Blocking.Categories as the user set them.
const (
	PresetStandard Preset = "standard"
	PresetStrict   Preset = "strict"
	PresetCustom   Preset = "custom"
)

// PresetCategories returns the categories a preset blocks (nil for Custom).
func PresetCategories(p Preset) []Category {
	switch p {
	case PresetStandard:
		return []Category{CatAdvertising, CatAnalytics, CatSocial, CatFingerprinting, CatCryptomining, CatEmail}
	case PresetStrict:
		return slices.Clone(Categories)
	}
	return nil
}

// Blocking are the tracker-blocking choices.
type Blocking struct {
	Preset Preset
	// Categories blocked. For Standard and Strict it always equals
	// PresetCategories(Preset); setting it directly switches to Custom.
	Categories []Category
	// Allowlist holds site patterns where protections are off: "example.com"
	// (and its subdomains) or "*.example.com".
	Allowlist []string
	// CustomRules are the user's own rules in Adblock Plus syntax, one per line.
	CustomRules string
	// HoldUntilLoaded holds traffic at start-up until lists are loaded (fail closed).
	HoldUntilLoaded bool
	// OwnerParties treats domains of the same owner (entity) as first party.
	OwnerParties bool
	// HonorDNTPolicy does not block third parties that post the EFF DNT
	// policy, as Privacy Badger does.
	HonorDNTPolicy bool
	// UncloakCNAMEs decides a request also on the canonical names its host
	// is an alias of (CNAME cloaking), in direct mode, as uBlock Origin does
	// on Firefox. With Tor no name is looked up locally: there the
	// catalogue's list of cloaked trackers does what it can.
	UncloakCNAMEs bool
}

// Blocks reports whether category c is blocked.
func (b Blocking) Blocks(c Category) bool { return slices.Contains(b.Categories, c) }

func parseCategory(v string) (string, error) {
	c := Category(strings.ToLower(v))
	if !slices.Contains(Categories, c) {
		names := make([]string, len(Categories))
		for i, c := range Categories {
			names[i] = string(c)
		}
		return "", errors.New("want one of " + strings.Join(names, ", "))
	}
	return string(c), nil
}

// CheckSitePattern validates and normalises an allowlist pattern: a host
// name, optionally starting with "*." (the engine's syntax,
// blocklist.CheckSitePattern).
func CheckSitePattern(v string) (string, error) { return blocklist.CheckSitePattern(v) }

var blockingKeys = []Key{
	{
		Name: "blocking.preset",
		Help: "protection level: standard, strict or custom",
		get:  func(s *Settings) string { return string(s.Blocking.Preset) },
		set: func(s *Settings, v string) error {
			p := Preset(strings.ToLower(v))
			switch p {
			case PresetStandard, PresetStrict:
				s.Blocking.Categories = PresetCategories(p)
			case PresetCustom:
			default:
				return errors.New("want standard, strict or custom")
			}
			s.Blocking.Preset = p
			return nil
		},
	},
	{
		Name: "blocking.categories",
		Help: "categories blocked, comma-separated (setting it makes the preset custom): " + categoryNames(),
		get: func(s *Settings) string {
			parts := make([]string, len(s.Blocking.Categories))
			for i, c := range s.Blocking.Categories {
				parts[i] = string(c)
			}
			return strings.Join(parts, ",")
		},
		set: func(s *Settings, v string) error {
			var out []Category
			for _, item := range splitList(v) {
				c, err := parseCategory(item)
				if err != nil {
					return err
				}
				if !slices.Contains(out, Category(c)) {
					out = append(out, Category(c))
				}
			}
			// Keep display order so equal sets compare equal.
			slices.SortFunc(out, func(a, b Category) int {
				return slices.Index(Categories, a) - slices.Index(Categories, b)
			})
			if p := s.Blocking.Preset; p != PresetCustom && !slices.Equal(out, PresetCategories(p)) {
				s.Blocking.Preset = PresetCustom
			}
			s.Blocking.Categories = out
			return nil
		},
	},
	listKey("blocking.allowlist", "sites where protections are off, comma-separated: example.com or *.example.com",
		CheckSitePattern, func(s *Settings) *[]string { return &s.Blocking.Allowlist }),
	{
		Name: "blocking.custom-rules",
		Help: "your own blocking rules in Adblock Plus syntax, one per line",
		get:  func(s *Settings) string { return s.Blocking.CustomRules },
		set: func(s *Settings, v string) error {
			if len(v) > 1<<20 {
				return errors.New("custom rules are limited to 1 MiB")
			}
			s.Blocking.CustomRules = v
			return nil
		},
	},
	boolKey("blocking.hold-until-loaded", "hold traffic at start-up until the lists are loaded (fail closed) (on|off)",
		func(s *Settings) *bool { return &s.Blocking.HoldUntilLoaded }),
	boolKey("blocking.owner-parties", "treat sites of the same owner as first party, e.g. facebook.com and fbcdn.net (on|off)",
		func(s *Settings) *bool { return &s.Blocking.OwnerParties }),
	boolKey("blocking.honor-dnt-policy", "do not block third parties that post the EFF DNT policy (on|off)",
		func(s *Settings) *bool { return &s.Blocking.HonorDNTPolicy }),
	boolKey("blocking.cname-uncloaking", "also block a tracker hidden behind a site's own name (a CNAME, e.g. metrics.site.example -> a tracker); direct mode only (on|off)",
		func(s *Settings) *bool { return &s.Blocking.UncloakCNAMEs }),
}

func categoryNames() string {
	names := make([]string, len(Categories))
	for i, c := range Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}
