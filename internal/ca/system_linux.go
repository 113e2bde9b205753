// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package ca

// defaultSystemStore is update-ca-certificates or p11-kit's trust.
func defaultSystemStore(e *trustEnv) systemStore { return e.linuxStore() }
