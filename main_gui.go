// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !nogui

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"

	"polaris/internal/app"
	"polaris/internal/cli"
	"polaris/ui"
)

// The engine implements everything the window calls.
var _ ui.Controller = (*app.App)(nil)

// runGUI opens the window: `polaris` with no command.
var runGUI = guiMain

// Hidden switches for documentation screenshots: the screen shown first
// (one of ui.Screens, or "blocking/lists" style) and the window size (WxH).
const (
	envScreen = "POLARIS_UI_SCREEN"
	envSize   = "POLARIS_UI_SIZE"
)

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
	// Quitting stops the engine first, whatever the window does: fyne can
	// hang while it shuts down (a lifecycle event racing the end of its
	// loop), and the engine must restore the system all the same. Once
	// the engine has stopped the process may end.
	var quitting sync.Once
	quit := func() {
		quitting.Do(func() {
			go func() {
				stop()
				<-stopped
				time.Sleep(5 * time.Second)
				logf("the window did not close by itself; exiting")
				a.Close()
				os.Exit(exitCode(runErr))
			}()
		})
	}
	w := ui.New(ui.Options{
		Controller: a,
		Version:    version,
		EngineDone: engineDone,
		Screen:     os.Getenv(envScreen),
		Size:       parseSize(os.Getenv(envSize)),
		OnQuit:     quit,
		Logf:       logf,
	})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			quit()
			w.Quit()
		}
	}()
	a.OnShowRequest(w.Show)
	w.Run()
	a.OnShowRequest(nil)
	stop()
	<-stopped
	if code := exitCode(runErr); code != cli.ExitOK {
		logf("%v", runErr)
		return code
	}
	return cli.ExitOK
}

func exitCode(runErr error) int {
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
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

// parseSize reads "WxH"; anything else is the default size.
func parseSize(v string) fyne.Size {
	w, h, ok := strings.Cut(v, "x")
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || wi < 400 || hi < 300 {
		return fyne.Size{}
	}
	return fyne.NewSize(float32(wi), float32(hi))
}
