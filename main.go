// SPDX-License-Identifier: GPL-3.0-or-later

// Command polaris is a privacy control panel: a local proxy that sends the
// user's Do Not Track / Global Privacy Control choice, blocks third-party
// trackers, forces HTTPS for search engines and can route everything
// through Tor. main only composes: it builds the engine (internal/app) and
// hands it to the GUI or the command line.
package main

import (
	"context"
	"fmt"
	"os"

	"polaris/internal/app"
	"polaris/internal/cli"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "0.1.0-dev"

func main() {
	env := &cli.Env{
		Stdin:          os.Stdin,
		Stdout:         os.Stdout,
		Stderr:         os.Stderr,
		Version:        version,
		DefaultDataDir: app.DefaultDataDir,
		Open:           openApp,
		GUI:            runGUI,
	}
	os.Exit(cli.Main(env, os.Args[1:]))
}

func openApp(ctx context.Context, o cli.Options) (cli.Backend, error) {
	return app.Open(ctx, engineOptions(o))
}

// engineOptions are the engine's options for the command line's: one
// composition for the command line, the headless engine and the window.
func engineOptions(o cli.Options) app.Options {
	return app.Options{DataDir: o.DataDir, Listen: o.Listen, Log: os.Stderr, Version: version}
}

// logf tells the user something on the terminal.
func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "polaris: "+format+"\n", args...) }
