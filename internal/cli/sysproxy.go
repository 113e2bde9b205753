// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"polaris/internal/status"
)

// SystemBackend is what `polaris sysproxy` needs.
type SystemBackend interface {
	// SystemProxyStatus reads whether the system points at Polaris.
	SystemProxyStatus(ctx context.Context) (status.System, error)
	// RestoreSystemProxy restores saved system settings, if any.
	RestoreSystemProxy(ctx context.Context) (restored bool, err error)
	// RunningElsewhere reports whether a Polaris is running on the data dir.
	RunningElsewhere() bool
}

func cmdSysproxy(e *Env, o Options, args []string) int {
	if len(args) != 1 || (args[0] != "on" && args[0] != "off" && args[0] != "status") {
		fmt.Fprintln(e.Stderr, "usage: polaris sysproxy on|off|status")
		return ExitUsage
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	ctx := context.Background()
	running := b.RunningElsewhere()
	switch args[0] {
	case "status":
		st, err := b.SystemProxyStatus(ctx)
		if err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
			return ExitError
		}
		printSystem(e, st, running)
		return ExitOK
	case "on", "off":
		if err := b.Set(ctx, "system.proxy", args[0]); err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			return ExitError
		}
		if !running {
			if args[0] == "on" {
				fmt.Fprintln(e.Stdout, "Saved. Polaris is not running: it will set itself as the system proxy when it starts (polaris run).")
				return ExitOK
			}
			restored, err := b.RestoreSystemProxy(ctx)
			if err != nil {
				fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
				return ExitError
			}
			if restored {
				fmt.Fprintln(e.Stdout, "Your previous system proxy settings are restored.")
			} else {
				fmt.Fprintln(e.Stdout, "Polaris is not the system proxy.")
			}
			return ExitOK
		}
		// The running Polaris applies the change; wait for it.
		want := args[0] == "on"
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, err := b.SystemProxyStatus(ctx)
			if err == nil && st.SystemProxy == want {
				printSystem(e, st, running)
				return ExitOK
			}
			if time.Now().After(deadline) {
				fmt.Fprintln(e.Stderr, "polaris: the running Polaris did not apply the change within 5 s; see its window or log")
				return ExitError
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return ExitUsage
}

func printSystem(e *Env, st status.System, running bool) {
	state := "no"
	if st.SystemProxy {
		state = "yes"
	}
	fmt.Fprintf(e.Stdout, "system proxy points at Polaris: %s\n", state)
	if len(st.Backends) > 0 {
		fmt.Fprintf(e.Stdout, "settings changed in: %s\n", strings.Join(st.Places, ", "))
	}
	if !running {
		fmt.Fprintln(e.Stdout, "Polaris is not running")
	}
	for _, w := range st.Warnings {
		fmt.Fprintf(e.Stdout, "note: %s\n", w)
	}
}
