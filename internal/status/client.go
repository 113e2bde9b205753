// SPDX-License-Identifier: GPL-3.0-or-later

package status

import "strings"

// Family is a browser family as its User-Agent names it: browsers of one
// family send the same User-Agent shape (Chromium, Chrome and Brave all say
// "Chrome/N"; LibreWolf says "Firefox/N").
type Family string

// Families.
const (
	Firefox Family = "Firefox"
	Chrome  Family = "Chrome" // Chromium, Google Chrome, Brave, Vivaldi
	Edge    Family = "Edge"
	Opera   Family = "Opera"
	Safari  Family = "Safari"
	// OtherClient is a program that is not a known browser (or sends no
	// User-Agent).
	OtherClient Family = "other"
)

// Words names the family for people: "Chromium / Chrome" rather than
// "Chrome", since the Chromium of a Linux distribution says "Chrome" too.
func (f Family) Words() string {
	switch f {
	case Chrome:
		return "Chromium / Chrome"
	case OtherClient, "":
		return "Other program"
	}
	return string(f)
}

// ClientOf reads a User-Agent header: the browser family and its major
// version ("" when absent). Order matters: Edge and Opera also say
// "Chrome/", Chrome also says "Safari/".
func ClientOf(ua string) (Family, string) {
	for _, t := range []struct {
		token  string
		family Family
	}{
		{"Edg/", Edge}, {"EdgA/", Edge}, {"EdgiOS/", Edge}, {"Edge/", Edge},
		{"OPR/", Opera}, {"Firefox/", Firefox}, {"FxiOS/", Firefox},
		{"Chrome/", Chrome}, {"Chromium/", Chrome}, {"CriOS/", Chrome},
	} {
		if i := strings.Index(ua, t.token); i >= 0 {
			return t.family, majorVersion(ua[i+len(t.token):])
		}
	}
	if strings.Contains(ua, "Safari/") {
		if i := strings.Index(ua, "Version/"); i >= 0 {
			return Safari, majorVersion(ua[i+len("Version/"):])
		}
	}
	return OtherClient, ""
}

// majorVersion is the leading digits of s ("156" of "156.0.0.0 Safari").
func majorVersion(s string) string {
	n := 0
	for n < len(s) && n < 6 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}
