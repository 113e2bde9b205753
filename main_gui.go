//go:build !nogui

package main

import (
	"context"

	"polaris/internal/app"
	"polaris/internal/cli"
	"polaris/ui"
)

// The engine implements everything the window calls.
var _ ui.Controller = (*app.App)(nil)

// runGUI opens the window. Until the window exists, the default build runs
// headless like the nogui build.
var runGUI func(ctx context.Context, o cli.Options) int
