// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package sysproxy

// currentPlatform on Linux: GNOME, KDE and environment.d, found at run time.
func currentPlatform() platform { return platform{goos: "linux"} }
