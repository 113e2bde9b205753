// SPDX-License-Identifier: GPL-3.0-or-later

// Package status holds the plain value types that flow from the engine to
// its clients (GUI, CLI): the status Snapshot, decision events, and the
// records shown on screens. Pure: no I/O, no behaviour beyond formatting.
package status

import "time"

// Snapshot is the whole state of a running Polaris at one instant. It is a
// value: receivers may keep it; slices in it are not shared with the engine.
type Snapshot struct {
	Time     time.Time
	Proxy    Proxy
	Blocking Blocking
	HTTPS    HTTPS
	Tor      Tor
	// Snowflake is the "give back" Snowflake proxy.
	Snowflake Snowflake
	// Onions are the sites that announced an onion address (Onion-Location)
	// in Tor mode since Polaris started, the latest first.
	Onions []OnionSite
	// WebRTC is what Polaris set in the browsers' profiles to keep WebRTC
	// behind the proxy.
	WebRTC WebRTC
	DNS    DNS
	System System
	Data   Data
	// Notices are messages for the user (e.g. "the database was corrupt
	// and has been rebuilt; the old file is at ..."), newest last.
	Notices []Notice
}

// Severity of a notice.
type Severity int

// Severities.
const (
	Info Severity = iota
	Warning
	Error
)

// Notice is one message for the user, in plain words.
type Notice struct {
	Time     time.Time
	Severity Severity
	// Text is complete and readable on its own.
	Text string
}

// Proxy is the state of the local proxy.
type Proxy struct {
	Running bool
	// Listen is the address the proxy listens on ("" when not running).
	Listen string
	// Requests is the number of requests handled since start.
	Requests uint64
	// Active is the number of client connections open now.
	Active int64
	// Err is why the proxy is not running, if it failed.
	Err string
	// Clients are the kinds of clients seen since the proxy started
	// (browser family and version, or program), most recently seen first.
	Clients []Client
	// Reach counts the requests of the last 24 hours and those of them
	// that carried the user's privacy signals. An HTTPS connection Polaris
	// does not look inside counts once, as a request without them.
	Reach Reach
}

// Reach is how many requests carried the user's signals.
type Reach struct {
	Requests, Signalled uint64
}

// Blocking is the state of tracker blocking.
type Blocking struct {
	Enabled bool
	// PausedUntil is the end of a timed pause; zero when not paused.
	// PausedUntilRestart is a pause with no end time.
	PausedUntil        time.Time
	PausedUntilRestart bool
	// Loading is true while lists are being loaded at start-up.
	Loading bool
	// Rules is the number of rules in the active matcher.
	Rules int
	Lists []List
	// BlockedToday counts requests blocked since local midnight.
	BlockedToday int64
	// Daily holds blocked counts per day for the last 30 days, oldest first.
	Daily []DayCount
	// LogSeq grows with every new decision in the live log; a client
	// re-reads the log when it changes.
	LogSeq uint64
	// RequestsToday counts requests decided since local midnight.
	RequestsToday int64
	// TopTrackers are the tracker domains blocked most over the last 30
	// days, most blocked first (at most 20).
	TopTrackers []TrackerCount
	// CustomErrors are the lines of the user's own rules that were skipped.
	CustomErrors []RuleError
	// Catalogue holds the well-known lists one can subscribe to.
	Catalogue []CatalogueEntry
}

// TrackerCount is how often requests to one tracker domain were blocked.
type TrackerCount struct {
	Domain  string
	Blocked int64
}

// RuleError is one skipped line of a list or of the user's rules.
type RuleError struct {
	Line int
	Text string
	Err  string
}

// CatalogueEntry is a well-known list Polaris can subscribe to.
type CatalogueEntry struct {
	ID       string // short name, e.g. "easyprivacy"
	Name     string
	URL      string // "builtin:NAME" for a list embedded in Polaris
	Format   string
	Category string
	License  string
	// NonCommercial marks a licence that forbids commercial use: show it.
	NonCommercial bool
	Homepage      string
	// Default lists are subscribed on a fresh install.
	Default     bool
	Interval    time.Duration
	Description string
}

// List is one subscribed list.
type List struct {
	ID       int64
	Name     string
	URL      string // source URL, or "" for built-in / local copies
	Format   string
	Category string
	License  string
	// NonCommercial marks a licence that forbids commercial use.
	NonCommercial bool
	Enabled       bool
	Rules         int
	// Errors is the number of lines that could not be parsed.
	Errors      int
	LastTry     time.Time
	LastSuccess time.Time
	// LastError is the last update problem in plain words, or "".
	LastError string
	// Interval between automatic updates; 0 is off.
	Interval time.Duration
	// Updating is true while an update is running.
	Updating bool
	// Catalogue is the catalogue id of the list, or "".
	Catalogue string
	// Builtin marks the list embedded in Polaris (it has no URL).
	Builtin bool
	// Source is the local file a copied list was read from, or "".
	Source string
	// NextUpdate is when the list will be updated next; zero when updates
	// are off.
	NextUpdate time.Time
}

// DayCount is the number of blocked requests on one day, by category
// ("" for rules without one).
type DayCount struct {
	Day        time.Time // local midnight
	Total      int64
	ByCategory map[string]int64
	// Requests counts every request decided that day, blocked or not.
	Requests int64
}

// HTTPS is the state of HTTPS filtering and its CA.
type HTTPS struct {
	Filter bool
	// CA describes the per-install certificate authority.
	CA CA
	// PassThrough lists hosts that rejected our certificate (pinning) and
	// are now tunnelled untouched.
	PassThrough []string
}

// CA describes the per-install root certificate.
type CA struct {
	Present     bool
	Subject     string
	Fingerprint string // SHA-256, hex
	NotAfter    time.Time
	// Installed lists the trust stores that hold it (e.g. "Firefox profile
	// default-release", "system").
	Installed []string
}

// TorState is where the Tor client is in its life.
type TorState string

// Tor states.
const (
	TorOff           TorState = "off"
	TorStarting      TorState = "starting"
	TorBootstrapping TorState = "bootstrapping"
	TorReady         TorState = "ready"
	TorFailed        TorState = "failed"
)

// Tor is the state of Polaris's Tor client.
type Tor struct {
	Enabled bool
	State   TorState
	// Progress is the bootstrap percentage, 0-100.
	Progress int
	// Phase is the bootstrap phase in words ("Loading relay descriptors").
	Phase string
	// Err explains a failure in plain words (clock skew, no network, ...).
	// While State is TorReady it is at most a warning that says Tor works
	// (a wrong clock).
	Err string
	// Restarts counts watchdog restarts since Polaris started.
	Restarts int
	// Stalled is true while bootstrap has not moved for 30 seconds in one
	// phase; Waiting then says in words what tor is waiting for.
	Stalled bool
	Waiting string
	// Version is the tor version in use.
	Version string
}

// WebRTC says which browser profiles keep WebRTC behind the proxy.
type WebRTC struct {
	// On: Polaris keeps WebRTC behind the proxy (Tor is on, or the user
	// asked for it without Tor).
	On bool
	// Changed names the profiles set ("Firefox: default-release").
	Changed []string
	// NotChanged names the profiles Polaris could not set, with why.
	NotChanged []string
	// Restart names open profiles whose setting applies after a restart.
	Restart []string
	// Err is a failure in words ("" none).
	Err string
}

// OnionSite is a site's announced onion address.
type OnionSite struct {
	Site  string // registrable domain, "example.com"
	Onion string // "http://….onion/"
}

// DNS is how names are looked up for direct connections.
type DNS struct {
	// Encrypted: names go to Resolver over DNS over HTTPS or TLS (not in
	// Tor mode, where Tor resolves and none of this is used).
	Encrypted bool
	// Resolver names the encrypted resolver ("Quad9"), Address is its
	// address ("https://dns.quad9.net/dns-query"); both "" for the system's.
	Resolver, Address string
	// Err says why the encrypted resolver cannot be reached just now ("" when
	// it answers): requests are refused until it does.
	Err string
	// Queries counts the questions sent; Hits and Misses the cache lookups.
	Queries, Hits, Misses uint64
}

// Circuit is the Tor circuit in use for a site.
type Circuit struct {
	ID    string
	Site  string
	Hops  []Relay
	Built time.Time
}

// Relay is one hop of a circuit.
type Relay struct {
	Fingerprint string
	Nickname    string
	Country     string // two-letter code, "" if unknown
	Address     string
}

// System is the state of what Polaris changed on the system.
type System struct {
	// SystemProxy is true when the OS proxy settings point at Polaris.
	SystemProxy bool
	// Backends lists where the system proxy was set (e.g. "gnome", "kde",
	// "environment.d").
	Backends []string
	// Places are the same, in words for people ("GNOME", "KDE",
	// "programs started from a terminal, from your next login"), in the same order.
	Places    []string
	PACURL    string
	Autostart bool
	// Warnings are things the user should know (e.g. "Firefox profile X
	// uses its own proxy settings").
	Warnings []string
}

// Data is the state of Polaris's own storage.
type Data struct {
	Dir string
	// Degraded explains why settings are kept in memory only (database
	// locked, disk full, read-only data dir), or "".
	Degraded string
}

// Inventory is everything Polaris stores, for the user to read.
type Inventory struct {
	Dir    string
	Tables []TableInfo
	Files  []FileInfo
	// Export says what a data export holds (and that encrypting it
	// covers all of it).
	Export string
}

// TableInfo describes one table of the database.
type TableInfo struct {
	Name string
	// What it holds and Why it is kept, in plain words.
	What, Why string
	Rows      int64
	// Retention says how long rows are kept ("until you change it",
	// "90 days", ...).
	Retention string
}

// FileInfo describes one file in the data dir.
type FileInfo struct {
	Path  string // relative to the data dir
	Bytes int64
	What  string
}
