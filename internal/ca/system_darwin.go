// SPDX-License-Identifier: GPL-3.0-or-later

//go:build darwin

package ca

// defaultSystemStore is the user's login keychain.
func defaultSystemStore(e *trustEnv) systemStore {
	return darwinStore{keychain: loginKeychain(e.home)}
}
