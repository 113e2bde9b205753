// SPDX-License-Identifier: GPL-3.0-or-later

package status

import (
	"errors"
	"time"
)

// ErrNotDownloaded is returned (wrapped, with the reason) when a list was
// subscribed to but could not be downloaded yet because its server could
// not be reached: the subscription stays and Polaris downloads it later.
var ErrNotDownloaded = errors.New("the list was added, but it could not be downloaded yet")

// Verdict is what the proxy did with a request.
type Verdict string

// Verdicts.
const (
	Allowed    Verdict = "allow"
	Blocked    Verdict = "block"
	Excepted   Verdict = "exception" // allowed by an exception rule or allowlist
	Redirected Verdict = "redirect"  // answered with a surrogate or a redirect
)

// Decision is one request decision, for the live log. It holds no more than
// the user needs to understand it.
type Decision struct {
	Time time.Time
	// URL is what was requested: the full URL for plain HTTP and filtered
	// HTTPS, "https://host/" for an unfiltered CONNECT.
	URL string
	// Host is the requested host.
	Host string
	// Site is the first-party site (registrable domain) the request came
	// from, or "".
	Site    string
	Type    string
	Verdict Verdict
	// Rule is the matching rule's text, List its list's name, Category its
	// category; empty when no rule matched.
	Rule     string
	List     string
	Category string
	// Reason says in words why, when no rule did (e.g. "site allowlisted",
	// "protection paused").
	Reason string
	// CNAMEs is the chain of canonical names Host is an alias of, when it
	// was looked at (CNAME uncloaking); CNAME is the one of them the rule
	// matched, "" when the decision is about Host itself.
	CNAMEs []string
	CNAME  string
}

// SiteAnswer is what one site answered to DNT/GPC.
type SiteAnswer struct {
	Site string
	// Tk is the last Tk response header value seen ("" if none).
	Tk string
	// TrackingStatus is the tracking status value from /.well-known/dnt/.
	TrackingStatus string
	// HonorsDNT: the site claims to honour DNT (EFF policy or tracking status).
	HonorsDNT bool
	// EFFPolicy: /.well-known/dnt-policy.txt is a published EFF DNT policy.
	EFFPolicy bool
	// HonorsGPC: /.well-known/gpc.json says "gpc": true.
	HonorsGPC bool
	Checked   time.Time
}
