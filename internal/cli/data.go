// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"polaris/internal/status"
)

// DataBackend is what `polaris data` needs.
type DataBackend interface {
	Inventory(ctx context.Context) (status.Inventory, error)
	ExportData(ctx context.Context, path string) error
	ImportData(ctx context.Context, path string) error
	DeleteAllData(ctx context.Context) error
	// DeleteAllDataAnyway also deletes when the system proxy or the
	// certificate cannot be undone (reporting it).
	DeleteAllDataAnyway(ctx context.Context) error
}

func cmdData(e *Env, o Options, args []string) int {
	usage := func() int {
		fmt.Fprintln(e.Stderr, "usage: polaris data inventory | data export FILE | data import FILE | data delete [--yes] [--force]")
		return ExitUsage
	}
	if len(args) == 0 {
		return usage()
	}
	ctx := context.Background()
	switch args[0] {
	case "inventory":
		if len(args) != 1 {
			return usage()
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		defer b.Close()
		inv, err := b.Inventory(ctx)
		if err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
			return ExitError
		}
		printInventory(e, inv)
		return ExitOK
	case "export", "import":
		if len(args) != 2 {
			return usage()
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		defer b.Close()
		var err error
		if args[0] == "export" {
			err = b.ExportData(ctx, args[1])
		} else {
			err = b.ImportData(ctx, args[1])
		}
		if err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			if args[0] == "import" {
				return ExitUsage
			}
			return ExitError
		}
		fmt.Fprintf(e.Stdout, "%s: %s\n", map[string]string{"export": "exported to", "import": "imported from"}[args[0]], args[1])
		return ExitOK
	case "delete":
		yes, force := false, false
		for _, f := range args[1:] {
			switch f {
			case "--yes", "-yes", "-y":
				yes = true
			case "--force", "-force":
				force = true
			default:
				return usage()
			}
		}
		if !yes {
			if !isTerminal(e.Stdin) {
				fmt.Fprintln(e.Stderr, "polaris: data delete removes everything Polaris stored; run it on a terminal to confirm, or add --yes")
				return ExitUsage
			}
			fmt.Fprintf(e.Stdout, "This restores your system proxy settings, removes the Polaris certificate from your browsers and system, and deletes everything in %s.\nType \"delete\" to go on: ", o.DataDir)
			line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
			if strings.TrimSpace(line) != "delete" {
				fmt.Fprintln(e.Stdout, "Nothing was deleted.")
				return ExitError
			}
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		del := b.DeleteAllData
		if force {
			del = b.DeleteAllDataAnyway
		}
		err := del(ctx)
		b.Close()
		if err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			return ExitError
		}
		os.Remove(o.DataDir) // the folder itself, if empty
		fmt.Fprintln(e.Stdout, "Everything Polaris stored is deleted.")
		return ExitOK
	}
	return usage()
}

// isTerminal reports whether r is an interactive terminal (not a pipe,
// a file or /dev/null).
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && isTerminalFd(f.Fd())
}

func printInventory(e *Env, inv status.Inventory) {
	fmt.Fprintf(e.Stdout, "Polaris keeps its data in %s\n\nDatabase tables:\n", inv.Dir)
	for _, t := range inv.Tables {
		fmt.Fprintf(e.Stdout, "  %s (%d rows)\n    what: %s\n    why:  %s\n    kept: %s\n", t.Name, t.Rows, t.What, t.Why, t.Retention)
	}
	fmt.Fprintln(e.Stdout, "\nFiles:")
	for _, f := range inv.Files {
		fmt.Fprintf(e.Stdout, "  %-28s %10s  %s\n", f.Path, humanBytes(f.Bytes), f.What)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
