// SPDX-License-Identifier: GPL-3.0-or-later

package status

import (
	"strings"
	"time"
)

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

// Trust is what a client's TLS handshakes with Polaris showed about
// Polaris's certificate authority.
type Trust int

// Trust values.
const (
	// TrustUnknown: no handshake with a certificate from Polaris yet.
	TrustUnknown Trust = iota
	// TrustYes: the client accepted a certificate from Polaris's CA.
	TrustYes
	// TrustNo: the client refused Polaris's certificate and never accepted
	// one: it does not trust the CA, and its HTTPS passes through
	// untouched (unfiltered) so that it keeps working.
	TrustNo
)

// Client is one kind of client seen in Polaris's traffic: a browser family
// and major version, or another program. Clients of one kind cannot be told
// apart by the proxy (two profiles of one Firefox are one Client).
type Client struct {
	Family  Family
	Version string // major version, "" when unknown
	// Name is set for OtherClient: the program's name from its User-Agent
	// ("curl"), or "TLS client" and a fingerprint of its TLS hello when it
	// sends no User-Agent.
	Name      string
	FirstSeen time.Time
	LastSeen  time.Time
	// Requests counts its plain HTTP requests and HTTPS connections.
	Requests uint64
	Trust    Trust
	// LastHTTPS is when it last opened an HTTPS connection (zero: never);
	// Filtered says whether Polaris looked inside that one.
	LastHTTPS time.Time
	Filtered  bool
	// Pinned are sites this client refused Polaris's certificate for while
	// it trusts the CA elsewhere (certificate pinning): they pass through
	// untouched for this client alone.
	Pinned []string
	// Check is what Polaris's check page (http://polaris.invalid/check)
	// found when it last ran in this browser; nil when it never ran.
	Check *ClientCheck
}

// ClientCheck is what the check page found in a browser.
type ClientCheck struct {
	Time time.Time
	// Secure: the page came over HTTPS with Polaris's certificate, which
	// the browser accepted (it trusts Polaris's CA).
	Secure bool
	// WebRTC is "hidden" (no address of the computer given to pages),
	// "exposed" (WebRTC tells pages the computer's own addresses) or
	// "unavailable" (WebRTC is off, or the check could not run).
	WebRTC string
	// SentDNT and SentGPC are what the browser itself sent (before
	// Polaris's signals): "" for nothing.
	SentDNT, SentGPC string
}

// Words names the client for people: "Firefox 153", "Chromium / Chrome
// 156", "curl".
func (c Client) Words() string {
	name := c.Family.Words()
	if c.Family == OtherClient && c.Name != "" {
		name = c.Name
	}
	if c.Version != "" {
		name += " " + c.Version
	}
	return name
}
