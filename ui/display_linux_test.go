// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux && cgo

package ui

import (
	"strings"
	"testing"
)

// The window's display is checked where it can only be X11's; a Wayland
// session is left to GLFW; no display at all is said plainly.
func TestDisplayToCheck(t *testing.T) {
	for _, c := range []struct {
		platform, x, wayland string
		x11                  bool
		err                  string
	}{
		{"", ":0", "", true, ""},
		{"", "", "", false, "neither DISPLAY nor WAYLAND_DISPLAY"},
		{"", "", "wayland-0", false, ""},
		{"", ":0", "wayland-0", false, ""}, // GLFW picks, and falls back to X11 itself
		{"x11", ":0", "wayland-0", true, ""},
		{"x11", "", "wayland-0", false, "FYNE_PLATFORM=x11, and DISPLAY is not set"},
		{"wayland", "", "", false, ""},
	} {
		t.Setenv("FYNE_PLATFORM", c.platform)
		t.Setenv("DISPLAY", c.x)
		t.Setenv("WAYLAND_DISPLAY", c.wayland)
		x11, err := x11Only()
		if x11 != c.x11 || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("FYNE_PLATFORM=%q DISPLAY=%q WAYLAND_DISPLAY=%q: %v, %v; want %v, %q", c.platform, c.x, c.wayland, x11, err, c.x11, c.err)
		}
	}
	t.Setenv("FYNE_PLATFORM", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DISPLAY", ":9999")
	if err := CheckDisplay(); err == nil || !strings.Contains(err.Error(), `cannot connect to the display ":9999"`) {
		t.Errorf("CheckDisplay on a display nobody serves: %v", err)
	}
}
