// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import "strings"

// ResourceType is the kind of resource a request fetches, as browsers and
// filter lists name them. The zero value, TypeUnknown, is a request whose
// type the caller does not know: only rules without a positive type option
// apply to it.
type ResourceType uint8

// The resource types.
const (
	TypeUnknown     ResourceType = iota
	TypeDocument                 // a top-level page load (main_frame)
	TypeSubdocument              // a frame (sub_frame, iframe)
	TypeScript
	TypeImage
	TypeStylesheet
	TypeXHR // xmlhttprequest and fetch
	TypeFont
	TypeMedia
	TypeObject
	TypePing // ping, beacon
	TypeWebSocket
	TypeOther
	TypePopup // a popup window; never a proxied request, only for rules
	numTypes
)

var typeNames = [numTypes]string{
	"unknown", "document", "subdocument", "script", "image", "stylesheet", "xmlhttprequest",
	"font", "media", "object", "ping", "websocket", "other", "popup",
}

// String returns the canonical filter-list name of t ("script",
// "xmlhttprequest", ...).
func (t ResourceType) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return "unknown"
}

// typeAliases maps every name a filter option, a browser API or a test
// vector uses for a type onto it.
var typeAliases = map[string]ResourceType{
	"":                  TypeUnknown,
	"unknown":           TypeUnknown,
	"main_frame":        TypeDocument,
	"document":          TypeDocument,
	"doc":               TypeDocument,
	"sub_frame":         TypeSubdocument,
	"subdocument":       TypeSubdocument,
	"frame":             TypeSubdocument,
	"iframe":            TypeSubdocument,
	"script":            TypeScript,
	"image":             TypeImage,
	"img":               TypeImage,
	"imageset":          TypeImage,
	"stylesheet":        TypeStylesheet,
	"css":               TypeStylesheet,
	"style":             TypeStylesheet,
	"xmlhttprequest":    TypeXHR,
	"xhr":               TypeXHR,
	"font":              TypeFont,
	"font_resource":     TypeFont,
	"media":             TypeMedia,
	"audio":             TypeMedia,
	"video":             TypeMedia,
	"object":            TypeObject,
	"object_subrequest": TypeObject,
	"object-subrequest": TypeObject,
	"embed":             TypeObject,
	"ping":              TypePing,
	"beacon":            TypePing,
	"csp_report":        TypePing,
	"websocket":         TypeWebSocket,
	"other":             TypeOther,
	"popup":             TypePopup,
}

// ParseResourceType maps a type name onto a ResourceType. It accepts the
// names of filter options (script, xhr, css, frame, doc...), of browser
// webRequest APIs (main_frame, sub_frame, beacon, csp_report, ...) and of the
// test vectors, in any case. The empty string and "unknown" give
// TypeUnknown; any other name ("fetch", "speculative", "xslt"...) gives
// TypeOther, as adblock-rust and the browsers' "other" type do.
func ParseResourceType(s string) ResourceType {
	if t, ok := typeAliases[s]; ok {
		return t
	}
	if t, ok := typeAliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return t
	}
	return TypeOther
}

// ResourceTypeFromFetchDest maps a Sec-Fetch-Dest request header value onto
// a ResourceType, the way a proxy learns the type of a request. An empty or
// unrecognised value gives TypeUnknown, and "empty" (fetch, XHR) gives
// TypeXHR.
func ResourceTypeFromFetchDest(dest string) ResourceType {
	switch strings.ToLower(dest) {
	case "document":
		return TypeDocument
	case "iframe", "frame", "fencedframe":
		return TypeSubdocument
	case "script", "worker", "sharedworker", "serviceworker", "audioworklet", "paintworklet", "xslt":
		return TypeScript
	case "image":
		return TypeImage
	case "style":
		return TypeStylesheet
	case "empty":
		return TypeXHR
	case "font":
		return TypeFont
	case "audio", "video", "track":
		return TypeMedia
	case "object", "embed":
		return TypeObject
	case "report":
		return TypePing
	case "manifest", "webidentity":
		return TypeOther
	}
	return TypeUnknown
}

// typeMask is a set of resource types, one bit per ResourceType.
type typeMask uint16

const (
	// maskAllTypes is what a rule without type options applies to: every
	// type a request can have except documents (top-level page loads) and
	// popups.
	maskAllTypes typeMask = (1<<numTypes - 1) &^ (1<<TypeDocument | 1<<TypePopup)
	maskEvery    typeMask = 1<<numTypes - 1
)

func (t ResourceType) bit() typeMask { return 1 << t }

// Action is what to do with a request.
type Action uint8

// The actions.
const (
	// Allow: no rule blocks the request (also named NoMatch).
	Allow Action = iota
	// Block: a rule blocks the request.
	Block
	// Exception: a rule would block the request but an exception rule
	// (@@), a tracker allowlist, a site exception or the user's allowlist
	// lets it through.
	Exception
	// Redirect: the request is blocked and answered with the surrogate
	// resource named in Verdict.Redirect (see Matcher.Surrogate).
	Redirect
)

// NoMatch is Allow: nothing matched.
const NoMatch = Allow

var actionNames = [...]string{"allow", "block", "exception", "redirect"}

// String returns "allow", "block", "exception" or "redirect".
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "allow"
}

// Blocked reports whether the request must not reach its destination
// (Block or Redirect).
func (a Action) Blocked() bool { return a == Block || a == Redirect }

// Reason says why a Verdict came out as it did, for the user interface.
type Reason uint8

// The reasons.
const (
	ReasonNone               Reason = iota // no rule applied
	ReasonRule                             // a blocking rule matched
	ReasonImportant                        // an $important blocking rule matched; exceptions do not apply
	ReasonExceptionRule                    // an exception rule (@@, TDS "ignore" rule) overrode a block
	ReasonSiteAllowlisted                  // the site is on the user's allowlist
	ReasonSiteException                    // a list disables its protections on this site (DDG config)
	ReasonTrackerAllowlisted               // the tracker is allowlisted on this site (DDG trackerAllowlist)
	ReasonFirstParty                       // a known tracker, loaded first party (same site or same owner)
	ReasonTrackerIgnored                   // a known tracker its list does not block (TDS "ignore")
	ReasonCategoryOff                      // a rule matched, but its category is switched off
)

var reasonNames = [...]string{
	"", "rule", "important rule", "exception rule", "site allowlisted", "site exception",
	"tracker allowlisted", "first party", "tracker not blocked by its list", "category off",
}

// String describes the reason in a few words ("exception rule").
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return ""
}

// Verdict is the decision for one request and why. All strings point into
// the Matcher's memory; a Verdict stays valid as long as the caller keeps it.
type Verdict struct {
	Action Action
	Reason Reason
	// Rule is the text of the deciding rule: the blocking rule for Block
	// and Redirect, the exception rule or allowlist entry for Exception,
	// the rule that matched in a disabled category for ReasonCategoryOff.
	Rule string
	// List is the name of the list Rule comes from.
	List string
	// Category is the category of Rule (one of Categories) or ""
	// when the rule has none.
	Category string
	// Redirect names the surrogate resource for Action Redirect. For Block
	// it may name a resource the rule asked for that is not loaded.
	Redirect string
	// Owner is the entity owning the requested host ("Google LLC") when an
	// entity map knows it.
	Owner string
	// CNAME is the canonical name the requested host is an alias of, when
	// the deciding rule matched that name rather than the host (CNAME
	// cloaking, uncloaked with the Tracker Data Set's cnames map).
	CNAME string
	// Tracker is true when the requested host is a known tracker in a
	// Tracker Data Set, even when it is not blocked (first party,
	// "ignore"), or when a rule would block it as a third party but the
	// site's owner owns it too (Options.OwnerParties): other protections,
	// such as cookie and referrer trimming, still apply to it. A request
	// a rule blocks (Action Block or Redirect, or Exception by an exception
	// rule) is a tracker whatever Tracker says.
	Tracker bool
}
