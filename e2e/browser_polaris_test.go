// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

import (
	"testing"
)

// browserPolaris starts `polaris run` for browser tests: a fresh data dir
// holding the package's Polaris CA (which the browsers trust), the test
// origins' CA as https.upstream-ca, and then the settings given as
// key/value pairs (`polaris config set KEY VALUE`, in order), e.g.
//
//	px := browserPolaris(t, "https.filter", "on", "blocking.custom-rules", "||"+tracker.Host+"^")
//
// It returns the running Polaris; px.addr is what openPage takes.
func browserPolaris(t testing.TB, settings ...string) *running {
	t.Helper()
	w := sharedWeb(t)
	ca := sharedBrowserCA(t)
	if len(settings)%2 != 0 {
		t.Fatalf("browserPolaris: settings come in pairs, got %q", settings)
	}
	dir := t.TempDir()
	if err := ca.installIn(dir); err != nil {
		t.Fatal(err)
	}
	mustPolaris(t, dir, "config", "set", "https.upstream-ca", w.caFile)
	for i := 0; i < len(settings); i += 2 {
		mustPolaris(t, dir, "config", "set", settings[i], settings[i+1])
	}
	return startPolaris(t, dir)
}
