// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"os"
	"testing"

	"polaris/internal/testenv"
)

// Tests never let Polaris download the catalogue's lists from the
// Internet: only lists served on loopback, and only when asked. The
// private Tor network, if a test started it, is stopped at the end.
func TestMain(m *testing.M) {
	os.Setenv(EnvNoAutoUpdate, "1")
	code := m.Run()
	testenv.StopTornet()
	os.Exit(code)
}
