// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"polaris/internal/passphrase"
	"polaris/internal/settings"
	"polaris/internal/status"
)

// DataBackend is what `polaris data` needs.
type DataBackend interface {
	Inventory(ctx context.Context) (status.Inventory, error)
	// ExportData writes an export; with pass (not nil) encrypted to it.
	ExportData(ctx context.Context, path string, pass []byte) error
	// CheckImport validates an export and lists the settings in it that
	// widen exposure; ImportData applies those only when confirmed is the
	// check's Digest. An encrypted file needs pass (else an error that is
	// passphrase.ErrNeeded); pass given for a plain file is refused.
	CheckImport(ctx context.Context, path string, pass []byte) (settings.ImportCheck, error)
	ImportData(ctx context.Context, path, confirmed string, pass []byte) error
	DeleteAllData(ctx context.Context) error
	// DeleteAllDataAnyway also deletes when the system proxy or the
	// certificate cannot be undone (reporting it).
	DeleteAllDataAnyway(ctx context.Context) error
}

func cmdData(e *Env, o Options, args []string) int {
	usage := func() int {
		fmt.Fprintln(e.Stderr, "usage: polaris data inventory | data export FILE [--encrypt] [--passphrase-file P] | data import FILE [--yes] [--passphrase-file P] | data delete [--yes] [--force]")
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
		path, pfile, encrypt, ok := exportArgs(args[1:])
		if !ok {
			return usage()
		}
		var pass []byte
		if encrypt {
			p, err := newPassphrase(e, pfile)
			if err != nil {
				fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
				return ExitUsage
			}
			pass = p
			defer clear(pass)
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		defer b.Close()
		if err := b.ExportData(ctx, path, pass); err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			return ExitError
		}
		if encrypt {
			fmt.Fprintf(e.Stdout, "exported, encrypted with your passphrase, to: %s\n", path)
		} else {
			fmt.Fprintf(e.Stdout, "exported to: %s\n", path)
		}
		return ExitOK
	case "import":
		var path, pfile string
		yes := false
		rest := args[1:]
		for i := 0; i < len(rest); i++ {
			a := rest[i]
			switch {
			case a == "--yes" || a == "-yes" || a == "-y":
				yes = true
			case a == "--passphrase-file" || a == "-passphrase-file":
				if i+1 == len(rest) || pfile != "" {
					return usage()
				}
				i++
				pfile = rest[i]
			case strings.HasPrefix(a, "--passphrase-file=") && pfile == "":
				pfile = strings.TrimPrefix(a, "--passphrase-file=")
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
		return importData(ctx, e, b, path, pfile, yes)
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

// exportArgs parses FILE [--encrypt] [--passphrase-file P]; a passphrase
// file implies --encrypt.
func exportArgs(args []string) (path, pfile string, encrypt, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--encrypt" || a == "-encrypt":
			encrypt = true
		case a == "--passphrase-file" || a == "-passphrase-file":
			if i+1 == len(args) || pfile != "" {
				return "", "", false, false
			}
			i++
			pfile = args[i]
		case strings.HasPrefix(a, "--passphrase-file=") && pfile == "":
			pfile = strings.TrimPrefix(a, "--passphrase-file=")
		case path == "" && !strings.HasPrefix(a, "-"):
			path = a
		default:
			return "", "", false, false
		}
	}
	if pfile != "" {
		encrypt = true
	}
	return path, pfile, encrypt, path != "" && (pfile == "" || pfile != path)
}

// importData imports an export; the settings in it that widen exposure
// are shown and applied only when the user confirms them (--yes, or on the
// terminal), otherwise they keep their current values. An encrypted file
// needs its passphrase: from pfile, or asked on the terminal.
func importData(ctx context.Context, e *Env, b DataBackend, path, pfile string, yes bool) int {
	var pass []byte
	defer func() { clear(pass) }()
	if pfile != "" {
		p, err := readPassphraseFile(pfile)
		if err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			return ExitUsage
		}
		pass = p
	}
	chk, err := b.CheckImport(ctx, path, pass)
	if errors.Is(err, passphrase.ErrNeeded) {
		in, ok := e.Stdin.(*os.File)
		if !ok || !isTerminal(e.Stdin) {
			fmt.Fprintf(e.Stderr, "polaris: %v; there is no terminal to ask for it on: add --passphrase-file FILE\n", oneLine(err))
			return ExitUsage
		}
		p, perr := readSecret(in, e.Stderr, fmt.Sprintf("%s is encrypted. Its passphrase (not shown): ", path))
		if perr != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(perr))
			return ExitUsage
		}
		pass = p
		chk, err = b.CheckImport(ctx, path, pass)
	}
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
	if err := b.ImportData(ctx, path, confirmed, pass); err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
		return ExitUsage
	}
	fmt.Fprintf(e.Stdout, "imported from: %s\n", path)
	if len(chk.Widening) > 0 && confirmed == "" {
		var keys []string
		for _, c := range chk.Widening {
			if !slices.Contains(keys, c.Key) {
				keys = append(keys, c.Key)
			}
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
	if inv.Export != "" {
		fmt.Fprintf(e.Stdout, "\nExports (polaris data export FILE [--encrypt]):\n  %s\n", inv.Export)
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
