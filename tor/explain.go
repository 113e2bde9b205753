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

// clockSkew explains a STATUS_GENERAL WARN CLOCK_SKEW event, or returns ""
// for any other event.
func clockSkew(ev statusEvent) string {
	if ev.Action != "CLOCK_SKEW" {
		return ""
	}
	skew, err := strconv.Atoi(ev.Args["SKEW"])
	if err != nil || skew == 0 {
		return "This computer's clock is wrong, so Tor cannot connect. Set the correct date, time and time zone."
	}
	dir := "behind"
	if skew < 0 {
		dir, skew = "ahead", -skew
	}
	d := time.Duration(skew) * time.Second
	if d >= 2*time.Minute {
		d = d.Round(time.Minute)
	}
	return fmt.Sprintf("This computer's clock is about %s %s, so Tor cannot connect. Set the correct date, time and time zone.", fmtDuration(d), dir)
}

func fmtDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d >= 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d >= 2*time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return strconv.Itoa(int(d/time.Second)) + " seconds"
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
