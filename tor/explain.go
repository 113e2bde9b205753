// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Explanations of Tor's failures in plain words, for status.Tor.Err. Each
// says what happened and what the user can do.

// minVersion is the oldest tor Polaris runs: older series are no longer
// maintained by the Tor Project.
var minVersion = []int{0, 4, 8}

// bootstrapWarning explains a STATUS_CLIENT WARN BOOTSTRAP event.
func bootstrapWarning(ev statusEvent, bridges bool) string {
	reason := ev.Args["REASON"]
	var what string
	switch reason {
	case "PT_MISSING":
		return "The bridge program did not start, so Tor cannot reach its bridges. Check that obfs4proxy (or snowflake-client) is installed and works."
	case "CONNECTREFUSED":
		what = "the connection was refused"
	case "TIMEOUT":
		what = "the connection timed out"
	case "NOROUTE":
		what = "there is no route to the network"
	case "CONNECTRESET":
		what = "the connection was reset"
	case "IDENTITY":
		if bridges {
			return "A bridge answered with the wrong identity: the bridge line may be wrong or out of date, or the network may be tampering with the connection. Try other bridges."
		}
		return "A Tor relay answered with the wrong identity: the network may be tampering with connections. Try bridges."
	case "CLOCK_SKEW":
		s, _ := parseClockSkew(ev)
		return s.explain(false)
	case "RESOURCELIMIT":
		return "Tor ran out of resources (too many open connections or too little memory) while connecting. Close some programs and try again."
	case "IOERROR", "MISC", "DONE", "":
		what = "the connection failed"
		if w := ev.Args["WARNING"]; w != "" && reason != "DONE" {
			what += " (" + w + ")"
		}
	default:
		what = "the connection failed (" + strings.ToLower(reason) + ")"
	}
	if bridges {
		return fmt.Sprintf("Tor cannot reach its bridges: %s. The bridges may be blocked or offline: try other bridges, or snowflake.", what)
	}
	return fmt.Sprintf("Tor cannot reach the Tor network: %s. Check that this computer is online; if Tor is blocked where you are, turn on bridges.", what)
}

// clockSkew is how far tor finds this computer's clock off.
type clockSkew struct {
	// secs has tor's sign: negative when this computer's clock is behind,
	// positive when it is ahead (control-spec, CLOCK_SKEW: "if we're an
	// hour in the past, the value is -3600"); 0 when tor did not say.
	secs int
	// least is true when secs is a lower bound (MIN_SKEW).
	least bool
}

// parseClockSkew reads the clock skew of a STATUS_GENERAL CLOCK_SKEW event
// (SKEW, or the lower bound MIN_SKEW) or of a bootstrap problem with
// REASON=CLOCK_SKEW (WARNING="Clock skew -10800 in NETINFO cell from OR"),
// and reports whether ev is one of those.
func parseClockSkew(ev statusEvent) (clockSkew, bool) {
	switch {
	case ev.Action == "CLOCK_SKEW":
		if n, err := strconv.Atoi(ev.Args["SKEW"]); err == nil {
			return clockSkew{secs: n}, true
		}
		n, _ := strconv.Atoi(ev.Args["MIN_SKEW"])
		return clockSkew{secs: n, least: true}, true
	case ev.Action == "BOOTSTRAP" && ev.Args["REASON"] == "CLOCK_SKEW":
		var s clockSkew
		if rest, ok := strings.CutPrefix(ev.Args["WARNING"], "Clock skew "); ok {
			n, _, _ := strings.Cut(rest, " ")
			s.secs, _ = strconv.Atoi(n)
		}
		return s, true
	}
	return clockSkew{}, false
}

// explain says what the skew means for the user: while bootstrapping that
// Tor cannot connect, once ready (Tor connected despite it) that Tor works
// but may stop.
func (s clockSkew) explain(ready bool) string {
	what := "This computer's clock is wrong"
	if s.secs != 0 {
		dir, d := "ahead", time.Duration(s.secs)*time.Second
		if d < 0 {
			dir, d = "behind", -d
		}
		about := "about"
		if s.least {
			about = "at least"
		}
		what = fmt.Sprintf("This computer's clock is %s %s %s", about, fmtDuration(d), dir)
	}
	if ready {
		return what + ". Tor is connected anyway, but may stop working until you set the correct date, time and time zone."
	}
	return what + ", so Tor may fail to connect. Set the correct date, time and time zone."
}

// fmtDuration says d in its largest whole unit, rounded (tor's "2 hours, 59
// minutes" is "3 hours").
func fmtDuration(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, " days"}, {time.Hour, " hours"}, {time.Minute, " minutes"}} {
		if d >= 2*u.d-u.d/2 { // rounds to 2 or more
			return strconv.Itoa(int(d.Round(u.d)/u.d)) + u.name
		}
	}
	return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + " seconds"
}

// StartError is a failure to start Tor, explained for the user. Permanent
// failures (tor missing or too old, a configuration Tor rejects, a bridge
// program missing) are not retried by the watchdog: they need the user.
type StartError struct {
	// Msg is the explanation in plain words.
	Msg string
	// Permanent is true when retrying cannot help.
	Permanent bool
	// Err is the underlying error, if any.
	Err error
}

func (e *StartError) Error() string { return e.Msg }

func (e *StartError) Unwrap() error { return e.Err }

func permanent(msg string, err error) *StartError {
	return &StartError{Msg: msg, Permanent: true, Err: err}
}

// explainLaunch turns a failure to launch tor, with the tail of tor's own
// output, into a StartError.
func explainLaunch(err error, output, extraTorrc string) *StartError {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return permanent(fmt.Sprintf("Tor could not be run (%v). Install the tor package, or set the path of the tor program in Polaris's settings.", ee.Err), err)
	}
	line := lastMatching(output, "Failed to parse/validate config:", "Failed to validate", "Unknown option", "Error while parsing configuration", "Could not open configuration file", "Unable to open configuration file")
	if line != "" {
		line = strings.TrimPrefix(line, "Failed to parse/validate config: ")
		line = strings.TrimRight(strings.TrimSuffix(line, "Failing"), ". ")
		msg := "Tor rejected its configuration: " + line + "."
		if strings.Contains(line, "Bridge line") {
			msg = "Tor rejected a bridge line: check the bridge lines in Polaris's settings."
		} else if extraTorrc != "" {
			msg += " Check the extra torrc file " + extraTorrc + "."
		}
		return permanent(msg, err)
	}
	if strings.Contains(output, "another Tor process is running with the same data directory") {
		return &StartError{Msg: "Another Tor program is using Polaris's Tor data folder. Close it; Polaris keeps trying.", Err: err}
	}
	if l := lastMatching(output, "Permission denied", "is not owned by this user", "Couldn't create private data directory", "Failed to create data directory"); l != "" {
		return permanent("Tor cannot use its data folder: "+l+".", err)
	}
	if l := lastMatching(output, "[err]", "[warn]"); l != "" {
		return &StartError{Msg: "Tor stopped while starting: " + l + ".", Err: err}
	}
	return &StartError{Msg: fmt.Sprintf("Tor could not be started (%v).", err), Err: err}
}

// lastMatching returns the last line of out holding one of subs, with tor's
// log prefix ("Nov 21 18:03:19.000 [warn] ") removed and the end trimmed.
func lastMatching(out string, subs ...string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		for _, s := range subs {
			if strings.Contains(l, s) {
				if j := strings.Index(l, "] "); j >= 0 && strings.Contains(l[:j], "[") {
					l = l[j+2:]
				}
				return strings.TrimRight(strings.TrimSpace(l), ". ")
			}
		}
	}
	return ""
}

// waitingFor says in words what tor is waiting for when bootstrap stands
// still in the phase tagged tag (control-spec, "Bootstrap phases").
func waitingFor(tag string, bridges bool) string {
	reach := "Tor is waiting to reach a first Tor relay. This computer may be offline, or the Tor network may be blocked on this network: then bridges help."
	if bridges {
		reach = "Tor is waiting to reach one of its bridges. They may be blocked or offline: try other bridges, or snowflake."
	}
	switch tag {
	case "starting", "":
		return "Tor is starting and has not begun to connect yet."
	case "conn_pt", "conn_done_pt":
		return "Tor is waiting for the bridge program (obfs4proxy or snowflake-client) to connect. Check that it is installed."
	case "conn_proxy", "conn_done_proxy":
		return "Tor is waiting for the proxy it was told to use to connect."
	case "conn", "conn_or":
		return reach
	case "conn_done", "conn_done_or", "handshake", "handshake_done", "handshake_or", "handshake_done_or":
		return "Tor reached a relay and is waiting for it to answer the secure handshake. The network may be interfering with Tor: bridges help then."
	case "onehop_create", "requesting_status", "loading_status":
		return "Tor is waiting for the list of Tor relays (the consensus) to download. On a slow or filtered network this takes long; if it never ends, bridges may help."
	case "loading_keys":
		return "Tor is waiting for the keys of the Tor directory authorities to download."
	case "requesting_descriptors", "loading_descriptors", "enough_dirinfo":
		return "Tor is waiting for the details of enough Tor relays to download before it can build a path through the network."
	case "ap_conn", "ap_conn_done", "ap_conn_pt", "ap_conn_done_pt", "ap_conn_proxy", "ap_conn_done_proxy",
		"ap_handshake", "ap_handshake_done", "circuit_create":
		return "Tor is waiting to build its first path (circuit) through the Tor network. Relays may be slow to answer; if it never ends, bridges may help."
	}
	return "Tor has not made progress for a while: " + tag + "."
}
