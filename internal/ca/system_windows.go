// SPDX-License-Identifier: GPL-3.0-or-later

//go:build windows

package ca

// defaultSystemStore is the current user's Root store.
func defaultSystemStore(*trustEnv) systemStore { return windowsStore{} }
