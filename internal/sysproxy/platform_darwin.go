// SPDX-License-Identifier: GPL-3.0-or-later

//go:build darwin

package sysproxy

// currentPlatform on macOS: networksetup, run through Config.Run.
func currentPlatform() platform { return platform{goos: "darwin"} }
