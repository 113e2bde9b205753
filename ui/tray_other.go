// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package ui

// trayHostAvailable: Windows and macOS always have a notification area /
// menu bar.
func trayHostAvailable() bool { return true }
