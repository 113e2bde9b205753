// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// DataBackend is what `polaris data` needs.
type DataBackend interface {
	Inventory(ctx context.Context) (status.Inventory, error)
	ExportData(ctx context.Context, path string) error
	// CheckImport validates an export and lists the settings in it that
	// widen exposure; ImportData applies those only when confirmed is the
	// check's Digest.
	CheckImport(ctx context.Context, path string) (settings.ImportCheck, error)
	ImportData(ctx context.Context, path, confirmed string) error
	DeleteAllData(ctx context.Context) error
	// DeleteAllDataAnyway also deletes when the system proxy or the
	// certificate cannot be undone (reporting it).
	DeleteAllDataAnyway(ctx context.Context) error
}

func cmdData(e *Env, o Options, args []string) int {
	usage := func() int {
		fmt.Fprintln(e.Stderr, "usage: polaris data inventory | data export FILE | data import FILE [--yes] | data delete [--yes] [--force]")
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
	case "export":
		if len(args) != 2 {
			return usage()
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		defer b.Close()
		if err := b.ExportData(ctx, args[1]); err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			return ExitError
		}
		fmt.Fprintf(e.Stdout, "exported to: %s\n", args[1])
		return ExitOK
	case "import":
		var path string
		yes := false
		for _, a := range args[1:] {
			switch {
			case a == "--yes" || a == "-yes" || a == "-y":
				yes = true
			case path == "" && !strings.HasPrefix(a, "-"):
				path = a
			default:
				return usage()
			}
		}
		if path == "" {
			return usage()
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		defer b.Close()
		return importData(ctx, e, b, path, yes)
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

// importData imports an export; the settings in it that widen exposure
// are shown and applied only when the user confirms them (--yes, or on the
// terminal), otherwise they keep their current values.
func importData(ctx context.Context, e *Env, b DataBackend, path string, yes bool) int {
	chk, err := b.CheckImport(ctx, path)
	if err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		return ExitUsage
	}
	confirmed := ""
	if len(chk.Widening) > 0 {
		w := e.Stdout
		if !yes && !isTerminal(e.Stdin) {
			w = e.Stderr
		}
		fmt.Fprintln(w, "This file also changes settings that open Polaris, this computer or your traffic to others:")
		for _, c := range chk.Widening {
			fmt.Fprintf(w, "  %s: %s -> %s\n      %s\n", c.Key, shown(c.From), shown(c.To), c.Why)
		}
		switch {
		case yes:
			confirmed = chk.Digest
		case isTerminal(e.Stdin):
			fmt.Fprint(e.Stdout, `Type "yes" to apply these too; anything else imports the rest without them: `)
			line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
			if strings.TrimSpace(line) == "yes" {
				confirmed = chk.Digest
			}
		default:
			fmt.Fprintln(e.Stderr, "There is no terminal to confirm them on: they are not applied (add --yes to apply them).")
		}
	}
	if err := b.ImportData(ctx, path, confirmed); err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		return ExitUsage
	}
	fmt.Fprintf(e.Stdout, "imported from: %s\n", path)
	if len(chk.Widening) > 0 && confirmed == "" {
		var keys []string
		for _, c := range chk.Widening {
			keys = append(keys, c.Key)
		}
		fmt.Fprintf(e.Stdout, "kept as they were: %s\n", strings.Join(keys, ", "))
	}
	return ExitOK
}

func shown(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
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
