// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"errors"
	"testing"
)

// TestNewCircuitCredentials: NewCircuit changes one site's SOCKS password
// (Tor isolates on it) and nobody else's; NewIdentity's reset is covered on
// the private network.
func TestNewCircuitCredentials(t *testing.T) {
	c, err := New(Config{Isolate: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.NewCircuit("a.example"); !errors.Is(err, ErrNotReady) {
		t.Fatalf("NewCircuit before Start: err = %v, want ErrNotReady", err)
	}
	c.ready.Store(&instance{c: c, circuits: map[string]string{"a.example": "7", "b.example": "8"}})
	cred := func(site string) string {
		u, p := c.credentials(site)
		return u + "/" + p
	}
	if got := cred("a.example"); got != "a.example/polaris" {
		t.Errorf("credentials before = %q, want a.example/polaris", got)
	}
	for i, want := range []string{"a.example/polaris-1", "a.example/polaris-2"} {
		if err := c.NewCircuit("a.example"); err != nil {
			t.Fatal(err)
		}
		if got := cred("a.example"); got != want {
			t.Errorf("after %d NewCircuit: credentials = %q, want %q", i+1, got, want)
		}
	}
	if got := cred("b.example"); got != "b.example/polaris" {
		t.Errorf("other site's credentials = %q, want b.example/polaris", got)
	}
	in := c.ready.Load()
	if _, ok := in.circuits["a.example"]; ok || in.circuits["b.example"] != "8" {
		t.Errorf("circuits after NewCircuit = %v, want a.example forgotten, b.example kept", in.circuits)
	}
	if err := c.NewCircuit(""); !errors.Is(err, ErrNoIsolation) {
		t.Errorf("NewCircuit(\"\"): err = %v, want ErrNoIsolation", err)
	}
	plain, _ := New(Config{})
	plain.ready.Store(&instance{c: plain, circuits: map[string]string{}})
	if err := plain.NewCircuit("a.example"); !errors.Is(err, ErrNoIsolation) {
		t.Errorf("NewCircuit without isolation: err = %v, want ErrNoIsolation", err)
	}
}
