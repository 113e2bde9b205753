// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPACNeverDirectInTorMode: the PAC file falls back to direct only when
// the user asked for it (pac.fail-open), and never in Tor mode, where
// turning Tor off is the only way back to direct connections.
func TestPACNeverDirectInTorMode(t *testing.T) {
	a := openTestApp(t, Options{})
	defer a.Close()
	h := a.localHandler(func() string { return "127.0.0.1:8228" }, http.NotFound)
	directs := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8228/proxy.pac", nil))
		if !strings.Contains(rec.Body.String(), `"PROXY 127.0.0.1:8228`) {
			t.Fatalf("PAC does not name Polaris:\n%s", rec.Body)
		}
		return strings.Count(rec.Body.String(), "DIRECT")
	}
	closed := directs() // the loopback exception only
	ctx := context.Background()
	if err := a.Set(ctx, "pac.fail-open", "on"); err != nil {
		t.Fatal(err)
	}
	if got := directs(); got <= closed {
		t.Errorf("pac.fail-open on: %d DIRECT, want more than the fail-closed %d", got, closed)
	}
	s := a.Settings()
	s.Tor.Enabled = true // not running: no tor is started
	if err := a.Apply(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got := directs(); got != closed {
		t.Errorf("Tor mode with pac.fail-open on: %d DIRECT, want the fail-closed %d", got, closed)
	}
}
