// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"os"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

// Hidden switches for documentation screenshots (scripts/screenshots.sh):
// the screen shown first (one of Screens, or "blocking/lists" style) and
// the window's size (WxH).
const (
	EnvScreen = "POLARIS_UI_SCREEN"
	EnvSize   = "POLARIS_UI_SIZE"
	// EnvBackground=1 starts with the window closed, as if the user had
	// closed it to the background (for measuring Polaris's idle cost:
	// scripts/idle.sh).
	EnvBackground = "POLARIS_UI_BACKGROUND"
)

// FromEnv returns o with Screen and Size taken from EnvScreen and EnvSize
// (a size that is not WxH, or smaller than 400×300, keeps the default).
func (o Options) FromEnv() Options {
	o.Screen = os.Getenv(EnvScreen)
	o.Size = parseSize(os.Getenv(EnvSize))
	o.Background = os.Getenv(EnvBackground) == "1"
	return o
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
