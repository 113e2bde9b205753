// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"strings"

	"polaris/internal/settings"
)

// Categories are indexed 1..len(settings.Categories) in a rule; 0 means the
// rule has no category and always applies.

// catIndex returns the index of a category name, 0 for "" and -1 for an
// unknown name.
func catIndex(name string) int {
	if name == "" {
		return 0
	}
	for i, c := range settings.Categories {
		if strings.EqualFold(string(c), name) {
			return i + 1
		}
	}
	return -1
}

// catName returns the name of a category index ("" for 0).
func catName(i uint8) string {
	if i == 0 || int(i) > len(settings.Categories) {
		return ""
	}
	return string(settings.Categories[i-1])
}

// catMask is a set of category indexes; bit 0 (no category) is always set.
type catMask uint16

var allCategories = catMask(1<<(len(settings.Categories)+1) - 1)

func (m catMask) has(i uint8) bool { return m&(1<<i) != 0 }

// disconnectCategory maps Disconnect's categories onto Polaris's.
func disconnectCategory(c string) settings.Category {
	switch c {
	case "Advertising":
		return settings.CatAdvertising
	case "Analytics":
		return settings.CatAnalytics
	case "Social", "Disconnect":
		return settings.CatSocial
	case "FingerprintingInvasive", "FingerprintingGeneral":
		return settings.CatFingerprinting
	case "Cryptomining":
		return settings.CatCryptomining
	case "Email", "EmailAggressive", "EmailStrict":
		return settings.CatEmail
	case "Content":
		return settings.CatContent
	}
	return settings.CatOther
}

// tdsCategory maps a Tracker Radar tracker's categories onto one of
// Polaris's: social before analytics before advertising before content, so
// that a social widget that also advertises is switched with "social", and
// an analytics service that also serves ads with "analytics". A tracker
// without categories gets "" (its list's category applies).
func tdsCategory(cats []string) settings.Category {
	rank := func(c string) (settings.Category, int) {
		switch c {
		case "Social Network", "Social - Share", "Social - Comment", "Federated Login", "SSO", "Badge":
			return settings.CatSocial, 5
		case "Session Replay", "Analytics", "Audience Measurement", "Third-Party Analytics Marketing", "Tag Manager":
			return settings.CatAnalytics, 4
		case "Advertising", "Ad Motivated Tracking", "Action Pixels", "Ad Fraud":
			return settings.CatAdvertising, 3
		case "Embedded Content", "Content Delivery", "Support Chat Widget", "Online Payment", "CDN":
			return settings.CatContent, 2
		case "Malware", "Obscure Ownership", "Unknown High Risk Behavior":
			return settings.CatOther, 1
		}
		return "", 0
	}
	best, bestRank := settings.Category(""), 0
	for _, c := range cats {
		if cat, r := rank(c); r > bestRank {
			best, bestRank = cat, r
		}
	}
	return best
}
