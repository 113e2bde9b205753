// SPDX-License-Identifier: GPL-3.0-or-later

// Package e2e holds Polaris's end-to-end tests: the built binary, its real
// SQLite file, real origin servers on loopback, the window under Xvfb, the
// private Tor network and real browsers. It has no code of its own outside
// its tests.
package e2e
