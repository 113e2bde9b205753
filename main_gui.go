//go:build !nogui

package main

import (
	"context"

	"polaris/internal/cli"
)

// runGUI opens the window. Until the window exists, the default build runs
// headless like the nogui build.
var runGUI func(ctx context.Context, o cli.Options) int
