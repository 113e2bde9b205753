// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !nogui

package main

import (
	"context"
	"fmt"
	"os"

	"polaris/internal/app"
	"polaris/internal/cli"
	"polaris/ui"
)

// The engine implements everything the window calls.
var _ ui.Controller = (*app.App)(nil)

// runGUI opens the window: `polaris` with no command (app.RunWindow).
func runGUI(ctx context.Context, o cli.Options) int {
	err := app.RunWindow(ctx, engineOptions(o), app.GUI{
		New: func(a *app.App, engineDone <-chan error, quit func()) app.Window {
			return ui.New(ui.Options{Controller: a, Version: version, EngineDone: engineDone, OnQuit: quit, Logf: logf}.FromEnv())
		},
		Display: func() error {
			if err := ui.CheckDisplay(); err != nil {
				return fmt.Errorf("%w: the window needs a graphical desktop session; without one, run polaris --headless", err)
			}
			return nil
		},
		Exit: func(runErr error) { os.Exit(cli.ExitCode(runErr)) },
		Logf: logf,
	})
	if err != nil {
		logf("%v", err)
	}
	return cli.ExitCode(err)
}
