// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !linux && !darwin && !windows

package sysproxy

// currentPlatform elsewhere: no backend, so Enable returns ErrUnsupported,
// and Disable/Recover have nothing to restore unless a journal names a
// backend, which they report as an error.
func currentPlatform() platform { return platform{goos: "other"} }
