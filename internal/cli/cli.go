// SPDX-License-Identifier: GPL-3.0-or-later

// Package cli is Polaris's command line: the headless `run` and the
// subcommands that inspect and change a data dir. It talks to the engine
// through the Backend interface it declares; main.go supplies the
// implementation (internal/app), so cli never imports app or an adapter.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"polaris/internal/settings"
	"polaris/internal/status"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitError = 1 // something failed at run time
	ExitUsage = 2 // bad command line or refused value; nothing was changed
)

// ExitCode is the exit status for the result of running Polaris: ExitOK
// for nil (and an engine stopped on purpose), ExitUsage for settings the
// command line gave that Polaris refuses (settings.ErrInvalid, e.g. a bad
// --listen), ExitError otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return ExitOK
	case errors.Is(err, settings.ErrInvalid):
		return ExitUsage
	}
	return ExitError
}

// Backend is what the CLI needs from the engine for one data dir.
type Backend interface {
	Settings() settings.Settings
	// Set validates and stores one setting; a running Polaris picks it up.
	Set(ctx context.Context, key, value string) error
	// Writable reports why changes cannot be stored, or nil.
	Writable() error
	// CheckListen validates the effective listen address and settings.
	CheckListen() error
	// Run serves until ctx ends; ready is called with the listen address.
	Run(ctx context.Context, ready func(addr string)) error
	Notices() []status.Notice
	Close() error

	SystemBackend
	DataBackend
	HTTPSBackend
	RunningBackend
	ListsBackend
	SetupBackend
	SnowflakeBackend
}

// Options are the flags every command takes.
type Options struct {
	DataDir string
	Listen  string
}

// Env is the world the CLI runs in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Version        string
	// DefaultDataDir returns the data dir when --data-dir is not given.
	DefaultDataDir func() (string, error)
	// Open opens the engine on a data dir.
	Open func(ctx context.Context, o Options) (Backend, error)
	// GUI opens the window; nil in a build without one.
	GUI func(ctx context.Context, o Options) int
}

type command struct {
	name    string
	summary string
	run     func(e *Env, o Options, args []string) int
}

func commands() []command {
	return []command{
		{"setup", "protect this computer's browsers, step by step: setup [--yes] [--dnt 1|0|unset] [--gpc on|off] [--https-filter yes|no] [--system-proxy on|off]", cmdSetup},
		{"run", "start the proxy without a window and serve until interrupted (also: --headless)", cmdRun},
		{"config", "show or change settings: config get [KEY] | config set KEY VALUE | config keys", cmdConfig},
		{"sysproxy", "make Polaris the system proxy, or restore what was there: sysproxy on|off|status", cmdSysproxy},
		{"lists", "show and change the blocklists: lists [show] | catalogue | add URL|FILE|ID [--name NAME] | remove ID | enable ID | disable ID | update [ID] | interval ID EVERY", cmdLists},
		{"stats", "what was blocked today and over the last 30 days: stats [--days N]", cmdStats},
		{"ca", "Polaris's certificate authority for HTTPS filtering: ca status|export|install|uninstall|regenerate|forget", cmdCA},
		{"sites", "what the sites you visit answer about Do Not Track and Global Privacy Control", cmdSites},
		{"pause", "pause tracker blocking in the running Polaris: pause 5m|30m|1h|restart (privacy signals stay on)", cmdPause},
		{"resume", "end a pause of tracker blocking", cmdResume},
		{"tor", "Polaris's Tor client: tor status | tor newnym | tor circuit SITE (on/off: config set tor on|off)", cmdTor},
		{"snowflake", "the Snowflake proxy that helps people in censored countries reach Tor: snowflake [status] (on/off: config set snowflake.enabled on|off)", cmdSnowflake},
		{"data", "what Polaris stores, and leaving: data inventory | data export FILE [--encrypt] | data import FILE | data delete [--yes] [--force]", cmdData},
		{"match", "check requests against blocklists: match --list FILE [--list FILE...] [--stats] [--timing] < requests", cmdMatch},
		{"version", "print the version", cmdVersion},
		{"help", "show this help", cmdHelp},
	}
}

// Main runs the command line args (without the program name) and returns
// the exit status.
func Main(e *Env, args []string) int {
	o, rest, err := parseCommon(e, args)
	if err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
		return ExitUsage
	}
	if len(rest) == 0 {
		if e.GUI != nil {
			return e.GUI(context.Background(), o)
		}
		rest = []string{"run"}
	}
	name := rest[0]
	if name == "--headless" || name == "-headless" {
		name = "run"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(e, o, rest[1:])
		}
	}
	fmt.Fprintf(e.Stderr, "polaris: unknown command %q (see `polaris help`)\n", name)
	return ExitUsage
}

// parseCommon takes the flags every command accepts (--data-dir, --listen,
// --headless) from anywhere in args and returns the rest in order.
func parseCommon(e *Env, args []string) (Options, []string, error) {
	var o Options
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "data-dir" && name != "listen") {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return o, nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			val = args[i]
		}
		switch name {
		case "data-dir":
			o.DataDir = val
		case "listen":
			o.Listen = val
		}
	}
	if o.DataDir == "" {
		d, err := e.DefaultDataDir()
		if err != nil {
			return o, nil, err
		}
		o.DataDir = d
	}
	return o, rest, nil
}

// open opens the backend and prints its notices (e.g. a rebuilt database).
func open(e *Env, o Options) (Backend, int) {
	b, err := e.Open(context.Background(), o)
	if err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
		return nil, ExitError
	}
	// The notices of opening (a database moved aside, one that cannot be
	// written) are already on stderr: the engine logs every notice there.
	return b, ExitOK
}

func cmdRun(e *Env, o Options, args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(e.Stderr, "usage: polaris run [--data-dir DIR] [--listen HOST:PORT]")
		return ExitUsage
	}
	b, code := open(e, o)
	if b == nil {
		return code
	}
	defer b.Close()
	if err := b.CheckListen(); err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := b.Run(ctx, func(addr string) {
		fmt.Fprintf(e.Stdout, "Polaris is listening on %s\n", addr)
		fmt.Fprintf(e.Stdout, "Set your browser's HTTP and HTTPS proxy to %s; status page: http://%s/\n", addr, settings.ReservedHost)
	})
	if err != nil {
		fmt.Fprintf(e.Stderr, "polaris: %v\n", err)
		return ExitError
	}
	fmt.Fprintln(e.Stdout, "Polaris stopped.")
	return ExitOK
}

func cmdConfig(e *Env, o Options, args []string) int {
	usage := func() int {
		fmt.Fprintln(e.Stderr, "usage: polaris config get [KEY] | polaris config set KEY VALUE | polaris config keys")
		return ExitUsage
	}
	if len(args) == 0 {
		args = []string{"get"}
	}
	switch args[0] {
	case "keys":
		if len(args) != 1 {
			return usage()
		}
		for _, k := range settings.Keys() {
			fmt.Fprintf(e.Stdout, "%-26s %s\n", k.Name, k.Help)
		}
		return ExitOK
	case "get":
		if len(args) > 2 {
			return usage()
		}
		if len(args) == 2 {
			if _, ok := settings.Lookup(args[1]); !ok {
				fmt.Fprintf(e.Stderr, "polaris: unknown setting %q (see `polaris config keys`)\n", args[1])
				return ExitUsage
			}
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		defer b.Close()
		s := b.Settings()
		if len(args) == 2 {
			v, _ := s.Get(args[1])
			fmt.Fprintln(e.Stdout, v)
			return ExitOK
		}
		m := s.Map()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(e.Stdout, "%s = %s\n", k, quoteIfNeeded(m[k]))
		}
		return ExitOK
	case "set":
		if len(args) != 3 {
			return usage()
		}
		key, value := args[1], args[2]
		// Validate before touching the database at all.
		s := settings.Default()
		if err := s.Set(key, value); err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			return ExitUsage
		}
		b, code := open(e, o)
		if b == nil {
			return code
		}
		defer b.Close()
		if err := b.Writable(); err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			return ExitError
		}
		if err := b.Set(context.Background(), key, value); err != nil {
			fmt.Fprintf(e.Stderr, "polaris: %v\n", oneLine(err))
			if errors.Is(err, settings.ErrInvalid) {
				return ExitUsage
			}
			return ExitError
		}
		v, _ := b.Settings().Get(key)
		fmt.Fprintf(e.Stdout, "%s = %s\n", key, quoteIfNeeded(v))
		return ExitOK
	}
	return usage()
}

func quoteIfNeeded(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\"") {
		return fmt.Sprintf("%q", v)
	}
	return v
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

func cmdVersion(e *Env, _ Options, _ []string) int {
	fmt.Fprintf(e.Stdout, "polaris %s\n", e.Version)
	return ExitOK
}

func cmdHelp(e *Env, _ Options, _ []string) int {
	fmt.Fprintf(e.Stdout, `Polaris %s — a privacy proxy for every browser on this computer.

Usage:
  polaris                   open the window (or run headless in a build without one)
  polaris COMMAND [ARGS]

Commands:
`, e.Version)
	for _, c := range commands() {
		fmt.Fprintf(e.Stdout, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(e.Stdout, `
Flags for every command:
  --data-dir DIR            where Polaris keeps its data (env POLARIS_DATA_DIR)
  --listen HOST:PORT        listen address for this run (default %s)
`, settings.DefaultListen)
	return ExitOK
}
