// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !linux || !cgo

package ui

// openDisplayWait: waiting on the display is built for X11 only; elsewhere
// the shown window does not park.
func openDisplayWait() displayWait { return nil }

// CheckDisplay: only Linux's display is checked before the window is made.
func CheckDisplay() error { return nil }

func releaseProbe() {}
