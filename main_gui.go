//go:build !nogui

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"polaris/internal/app"
	"polaris/internal/cli"
	"polaris/ui"
)

// The engine implements everything the window calls.
var _ ui.Controller = (*app.App)(nil)

// runGUI opens the window: `polaris` with no command.
var runGUI = guiMain

// envScreen is a hidden switch for documentation screenshots: the screen
// shown first (one of ui.Screens, optionally "blocking/lists" style).
const envScreen = "POLARIS_UI_SCREEN"

// guiMain runs the engine on a goroutine and the window on the main
// thread. Closing the window keeps the engine running (in the tray, or in
// the background); quitting stops the engine, which restores what it
// changed on the system, before the process exits.
func guiMain(ctx context.Context, o cli.Options) int {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "polaris: "+format+"\n", args...) }
	// One instance per data dir: a second start shows the first window.
	if shown, code := showRunning(o.DataDir, logf); shown {
		return code
	}
	a, err := app.Open(ctx, app.Options{DataDir: o.DataDir, Listen: o.Listen, Log: os.Stderr})
	if err != nil {
		logf("%v", err)
		return cli.ExitError
	}
	defer a.Close()
	if err := a.CheckListen(); err != nil {
		logf("%v", err)
		return cli.ExitUsage
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var runErr error
	stopped := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(stopped)
		runErr = a.Run(runCtx, func(string) { close(ready) })
	}()
	// The engine takes the instance lock within milliseconds; if another
	// start won the race, show its window instead of opening a second one.
	select {
	case <-ready:
	case <-stopped:
		if errors.Is(runErr, app.ErrAlreadyRunning) {
			for range 20 {
				if shown, code := showRunning(o.DataDir, logf); shown {
					return code
				}
				time.Sleep(100 * time.Millisecond)
			}
			logf("%v", runErr)
			return cli.ExitError
		}
	case <-time.After(500 * time.Millisecond):
	}

	engineDone := make(chan error, 1)
	go func() {
		<-stopped
		engineDone <- runErr
	}()
	w := ui.New(ui.Options{
		Controller: a,
		Version:    version,
		EngineDone: engineDone,
		Screen:     os.Getenv(envScreen),
		Logf:       logf,
	})
	a.OnShowRequest(w.Show)
	w.Run()
	a.OnShowRequest(nil)
	stop()
	<-stopped
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		logf("%v", runErr)
		return cli.ExitError
	}
	return cli.ExitOK
}

// showRunning asks a Polaris already running on dataDir to show its
// window. shown is false when none runs.
func showRunning(dataDir string, logf func(string, ...any)) (shown bool, code int) {
	switch err := app.SignalShow(dataDir); {
	case err == nil:
		logf("Polaris is already running; its window was brought forward")
		return true, cli.ExitOK
	case errors.Is(err, app.ErrHeadless):
		logf("%v; stop it first to open the window", err)
		return true, cli.ExitError
	}
	return false, 0
}
