// SPDX-License-Identifier: GPL-3.0-or-later

//go:build !race

package blocklist

const raceEnabled = false
