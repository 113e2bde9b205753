// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"fmt"
	"strings"
	"time"

	"polaris/internal/status"
)

// RunningBackend asks the Polaris running on the data dir (its Tor lives
// there, not in this process).
type RunningBackend interface {
	// RunningTor, RunningNewIdentity, RunningNewCircuit and RunningCircuit ask the running
	// Polaris about its Tor; RunningPause and RunningResume pause and
	// resume its blocking (d < 0: until it restarts) and return its
	// blocking status. Each fails with "no Polaris is running ..." when
	// none runs on the data dir.
	RunningTor() (status.Tor, error)
	RunningNewIdentity() error
	RunningNewCircuit(site string) (string, error)
	RunningCircuit(site string) (status.Circuit, error)
	RunningPause(d time.Duration) (status.Blocking, error)
	RunningResume() (status.Blocking, error)
}

func cmdTor(e *Env, o Options, args []string) int {
	usage := func() int {
		fmt.Fprintln(e.Stderr, "usage: polaris tor status | tor newnym | tor newcircuit SITE | tor circuit SITE   (turn Tor on or off with: polaris config set tor on|off)")
		return ExitUsage
	}
	if len(args) == 0 {
		args = []string{"status"}
	}
	switch {
	case args[0] == "status" && len(args) == 1,
		args[0] == "newnym" && len(args) == 1,
		args[0] == "newcircuit" && len(args) == 2,
		args[0] == "circuit" && len(args) == 2:
	default:
		return usage()
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	notRunning := func(err error) int {
		if strings.Contains(err.Error(), "no Polaris is running") {
			on, _ := b.Settings().Get("tor")
			fmt.Fprintf(e.Stderr, "polaris: Polaris is not running (tor is %s in the settings); start it with polaris run\n", on)
			return ExitError
		}
		fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		return ExitError
	}
	switch args[0] {
	case "status":
		st, err := b.RunningTor()
		if err != nil {
			return notRunning(err)
		}
		printTor(e, st)
	case "newnym":
		if err := b.RunningNewIdentity(); err != nil {
			return notRunning(err)
		}
		fmt.Fprintln(e.Stdout, "New circuits for every site: new connections use new Tor circuits. Sites can still recognise your browser by its cookies and logins.")
	case "newcircuit":
		site, err := b.RunningNewCircuit(args[1])
		if err != nil {
			return notRunning(err)
		}
		fmt.Fprintf(e.Stdout, "New circuits for %s: its new connections use new Tor circuits; other sites keep theirs. It can still recognise your browser by its cookies and logins.\n", site)
	case "circuit":
		c, err := b.RunningCircuit(args[1])
		if err != nil {
			return notRunning(err)
		}
		fmt.Fprintf(e.Stdout, "circuit %s for %s:\n", c.ID, c.Site)
		for i, h := range c.Hops {
			country := h.Country
			if country == "" {
				country = "??"
			}
			fmt.Fprintf(e.Stdout, "  %d. %-20s %s  %s  %s\n", i+1, h.Nickname, country, h.Address, h.Fingerprint)
		}
	}
	return ExitOK
}

func printTor(e *Env, st status.Tor) {
	if !st.Enabled {
		fmt.Fprintln(e.Stdout, "Tor: off (connections go directly to sites)")
		return
	}
	switch st.State {
	case status.TorReady:
		fmt.Fprintln(e.Stdout, "Tor: connected; every connection goes through Tor")
	case status.TorBootstrapping, status.TorStarting:
		fmt.Fprintf(e.Stdout, "Tor: connecting, %d%% (%s); requests are refused until it is connected\n", st.Progress, st.Phase)
	default:
		fmt.Fprintf(e.Stdout, "Tor: %s; requests are refused until it works\n", st.State)
	}
	if st.Err != "" {
		fmt.Fprintf(e.Stdout, "problem: %s\n", st.Err)
	}
	if st.Restarts > 0 {
		fmt.Fprintf(e.Stdout, "restarted %d time(s) after stopping unexpectedly\n", st.Restarts)
	}
	if st.Version != "" {
		fmt.Fprintf(e.Stdout, "tor version: %s\n", st.Version)
	}
}
