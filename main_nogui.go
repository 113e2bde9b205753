// SPDX-License-Identifier: GPL-3.0-or-later

//go:build nogui

package main

import (
	"context"

	"polaris/internal/cli"
)

// runGUI is nil in a headless build: `polaris` with no command runs headless.
var runGUI func(ctx context.Context, o cli.Options) int
