// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"strings"
)

// Category is a kind of tracker. The engine tags every rule with one (or
// none: the rule always applies).
type Category string

// The categories, in display order.
const (
	CatAdvertising    Category = "advertising"
	CatAnalytics      Category = "analytics"
	CatSocial         Category = "social"
	CatFingerprinting Category = "fingerprinting"
	CatCryptomining   Category = "cryptomining"
	CatEmail          Category = "email"
	CatContent        Category = "content"
	CatOther          Category = "other"
)

// Categories lists every category in display order.
var Categories = []Category{CatAdvertising, CatAnalytics, CatSocial, CatFingerprinting, CatCryptomining, CatEmail, CatContent, CatOther}

// IsCategory reports whether name is one of the categories (exactly: lower
// case, as stored).
func IsCategory(name string) bool {
	for _, c := range Categories {
		if string(c) == name {
			return true
		}
	}
	return false
}

// CheckSitePattern validates and normalises an allowlist pattern: a host
// name, optionally starting with "*.".
func CheckSitePattern(v string) (string, error) {
	p := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v)), ".")
	host := strings.TrimPrefix(p, "*.")
	if host == "" || len(host) > 253 || strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789-._") != "" ||
		strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return "", errors.New("want a host name such as example.com or *.example.com")
	}
	return p, nil
}

// Categories are indexed 1..len(Categories) in a rule; 0 means the
// rule has no category and always applies.

// catIndex returns the index of a category name, 0 for "" and -1 for an
// unknown name.
func catIndex(name string) int {
	if name == "" {
		return 0
	}
	for i, c := range Categories {
		if strings.EqualFold(string(c), name) {
			return i + 1
		}
	}
	return -1
}

// catName returns the name of a category index ("" for 0).
func catName(i uint8) string {
	if i == 0 || int(i) > len(Categories) {
		return ""
	}
	return string(Categories[i-1])
}

// catMask is a set of category indexes; bit 0 (no category) is always set.
type catMask uint16

var allCategories = catMask(1<<(len(Categories)+1) - 1)

func (m catMask) has(i uint8) bool { return m&(1<<i) != 0 }

// disconnectCategory maps Disconnect's categories onto Polaris's.
func disconnectCategory(c string) Category {
	switch c {
	case "Advertising":
		return CatAdvertising
	case "Analytics":
		return CatAnalytics
	case "Social", "Disconnect":
		return CatSocial
	case "FingerprintingInvasive", "FingerprintingGeneral":
		return CatFingerprinting
	case "Cryptomining":
		return CatCryptomining
	case "Email", "EmailAggressive", "EmailStrict":
		return CatEmail
	case "Content":
		return CatContent
	}
	return CatOther
}

// tdsCategory maps a Tracker Radar tracker's categories onto one of
// Polaris's: social before analytics before advertising before content, so
// that a social widget that also advertises is switched with "social", and
// an analytics service that also serves ads with "analytics". A tracker
// without categories gets "" (its list's category applies).
func tdsCategory(cats []string) Category {
	rank := func(c string) (Category, int) {
		switch c {
		case "Social Network", "Social - Share", "Social - Comment", "Federated Login", "SSO", "Badge":
			return CatSocial, 5
		case "Session Replay", "Analytics", "Audience Measurement", "Third-Party Analytics Marketing", "Tag Manager":
			return CatAnalytics, 4
		case "Advertising", "Ad Motivated Tracking", "Action Pixels", "Ad Fraud":
			return CatAdvertising, 3
		case "Embedded Content", "Content Delivery", "Support Chat Widget", "Online Payment", "CDN":
			return CatContent, 2
		case "Malware", "Obscure Ownership", "Unknown High Risk Behavior":
			return CatOther, 1
		}
		return "", 0
	}
	best, bestRank := Category(""), 0
	for _, c := range cats {
		if cat, r := rank(c); r > bestRank {
			best, bestRank = cat, r
		}
	}
	return best
}
