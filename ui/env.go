// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

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
	// EnvParkSlice sets the length of the idle park's slices (a Go
	// duration; idle.go), for tests: with an hour, only a wake-up (input,
	// Polaris's own work, Show) ends a slice.
	EnvParkSlice = "POLARIS_UI_PARK_SLICE"
)

// FromEnv returns o with Screen and Size taken from EnvScreen and EnvSize
// (a size that is not WxH, or smaller than 400×300, keeps the default),
// Background from EnvBackground and the park's slice from EnvParkSlice.
func (o Options) FromEnv() Options {
	o.Screen = os.Getenv(EnvScreen)
	o.Size = parseSize(os.Getenv(EnvSize))
	o.Background = os.Getenv(EnvBackground) == "1"
	if d, err := time.ParseDuration(os.Getenv(EnvParkSlice)); err == nil && d > 0 {
		o.parkFor = d
	}
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

// defaultSize is the window's size on a screen with room for it.
var defaultSize = fyne.NewSize(1000, 720)

// fitWindow returns the window's first size for a screen of size screen
// (zero: unknown): the default, made smaller to leave room for the
// desktop's panels and the title bar on a small screen (a 1024×600
// netbook gets 984×500).
func fitWindow(screen fyne.Size) fyne.Size {
	const panels, sides = 100, 40 // top bar, dock or task bar, title bar; borders
	s := defaultSize
	if screen.Width > 0 && screen.Width-sides < s.Width {
		s.Width = screen.Width - sides
	}
	if screen.Height > 0 && screen.Height-panels < s.Height {
		s.Height = screen.Height - panels
	}
	return s.Max(fyne.NewSize(400, 300))
}

// screenSize returns the size of the smallest screen connected (Fyne does
// not tell before a window is shown), read from the kernel's list of
// display modes (Linux, X11 and Wayland alike), or zero when unknown.
func screenSize() fyne.Size {
	return smallestMode(os.DirFS("/sys/class/drm"))
}

// smallestMode reads "card*-*/status" and the first line of
// "card*-*/modes" (the preferred mode, "1024x600") of every connector.
func smallestMode(sys fs.FS) fyne.Size {
	var best fyne.Size
	dirs, _ := fs.Glob(sys, "card*-*")
	for _, d := range dirs {
		st, err := fs.ReadFile(sys, d+"/status")
		if err != nil || strings.TrimSpace(string(st)) != "connected" {
			continue
		}
		modes, err := fs.ReadFile(sys, d+"/modes")
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(modes), "\n")
		w, h, ok := strings.Cut(strings.TrimSpace(first), "x")
		wi, err1 := strconv.Atoi(w)
		hi, err2 := strconv.Atoi(strings.TrimRight(h, "abcdefghijklmnopqrstuvwxyz"))
		if !ok || err1 != nil || err2 != nil || wi <= 0 || hi <= 0 {
			continue
		}
		// Pixels, while Fyne sizes are scaled units: on a HiDPI panel
		// this overstates the room, and the window manager trims.
		if best.IsZero() || float32(hi) < best.Height {
			best = fyne.NewSize(float32(wi), float32(hi))
		}
	}
	return best
}
