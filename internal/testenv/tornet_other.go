// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !linux

package testenv

// StopTornet does nothing where the private Tor network cannot run.
func StopTornet() {}
