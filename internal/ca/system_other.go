// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !linux && !darwin && !windows

package ca

import "runtime"

// defaultSystemStore is a no-op: no system store is supported here.
func defaultSystemStore(*trustEnv) systemStore {
	return noStore{reason: "the system certificate store of " + runtime.GOOS + " is not supported; import " + certFile + " by hand"}
}
