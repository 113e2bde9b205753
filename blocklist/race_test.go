// SPDX-License-Identifier: GPL-3.0-or-later

//go:build race

package blocklist

// raceEnabled: the race detector makes sync.Pool drop items on purpose,
// so allocation counts are not meaningful.
const raceEnabled = true
