// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"fmt"
	"io"
	"strings"

	"polaris/internal/status"
)

// SnowflakeBackend asks the running Polaris about its Snowflake proxy
// (which runs there, not in this process).
type SnowflakeBackend interface {
	RunningSnowflake() (status.Snowflake, error)
}

func cmdSnowflake(e *Env, o Options, args []string) int {
	if len(args) > 1 || len(args) == 1 && args[0] != "status" {
		fmt.Fprintln(e.Stderr, "usage: polaris snowflake [status]   (turn it on or off with: polaris config set snowflake.enabled on|off)")
		return ExitUsage
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	st, err := b.RunningSnowflake()
	if err != nil {
		if strings.Contains(err.Error(), "no Polaris is running") {
			on, _ := b.Settings().Get("snowflake.enabled")
			fmt.Fprintf(e.Stderr, "polaris: Polaris is not running (snowflake.enabled is %s in the settings); start it with polaris run\n", on)
			return ExitError
		}
		fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		return ExitError
	}
	printSnowflake(e.Stdout, st)
	return ExitOK
}

func printSnowflake(w io.Writer, st status.Snowflake) {
	if !st.Enabled {
		fmt.Fprintln(w, "Snowflake proxy: off (nobody connects through this computer)")
		return
	}
	switch st.State {
	case status.SnowflakeRunning:
		fmt.Fprintf(w, "Snowflake proxy: on, helping at most %d people at a time\n", st.Capacity)
	case status.SnowflakeRestarting:
		fmt.Fprintln(w, "Snowflake proxy: stopped unexpectedly; Polaris starts it again shortly")
	default:
		fmt.Fprintf(w, "Snowflake proxy: %s\n", st.State)
	}
	if st.Err != "" && st.State != status.SnowflakeRunning {
		fmt.Fprintf(w, "problem: %s\n", st.Err)
	}
	fmt.Fprintf(w, "helped people %d time(s) since Polaris started\n", st.Helped)
	if st.Restarts > 0 {
		fmt.Fprintf(w, "restarted %d time(s) after stopping unexpectedly\n", st.Restarts)
	}
}
