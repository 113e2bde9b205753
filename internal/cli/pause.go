// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"fmt"
	"strings"
	"time"

	"polaris/internal/status"
)

// pauses are the lengths a pause may have, as the window offers them;
// a negative one lasts until Polaris restarts.
var pauses = map[string]time.Duration{"5m": 5 * time.Minute, "30m": 30 * time.Minute, "1h": time.Hour, "restart": -1}

func cmdPause(e *Env, o Options, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(e.Stderr, "usage: polaris pause 5m|30m|1h|restart   (end it early with: polaris resume)")
		return ExitUsage
	}
	d, ok := pauses[strings.ToLower(args[0])]
	if !ok {
		fmt.Fprintf(e.Stderr, "polaris: pause for 5m, 30m, 1h or restart, not %q\n", args[0])
		return ExitUsage
	}
	return askPause(e, o, func(b Backend) (status.Blocking, error) { return b.RunningPause(d) })
}

func cmdResume(e *Env, o Options, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(e.Stderr, "usage: polaris resume")
		return ExitUsage
	}
	return askPause(e, o, Backend.RunningResume)
}

// askPause sends a pause or resume to the running Polaris: a pause lives
// in the running proxy only (it ends at a restart at the latest).
func askPause(e *Env, o Options, ask func(Backend) (status.Blocking, error)) int {
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	st, err := ask(b)
	if err != nil {
		if strings.Contains(err.Error(), "no Polaris is running") {
			fmt.Fprintln(e.Stderr, "polaris: Polaris is not running, so there is nothing to pause; start it with polaris run")
		} else {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		}
		return ExitError
	}
	switch {
	case st.PausedUntilRestart:
		fmt.Fprintln(e.Stdout, "Tracker blocking is paused until Polaris restarts (polaris resume ends it). Privacy signals are still sent.")
	case !st.PausedUntil.IsZero():
		fmt.Fprintf(e.Stdout, "Tracker blocking is paused until %s (polaris resume ends it). Privacy signals are still sent.\n", st.PausedUntil.Local().Format("15:04"))
	default:
		fmt.Fprintln(e.Stdout, "Tracker blocking is on.")
	}
	return ExitOK
}
