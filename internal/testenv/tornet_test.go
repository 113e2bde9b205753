// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package testenv

import "testing"

// Two test processes never run their private Tor networks from one key
// directory, even when each sees every port free (e2e runs in its own
// network namespace): the second one picks another base while the first
// holds its directory, and gets the first's back once it is released.
func TestTornetBasesNotShared(t *testing.T) {
	root := t.TempDir()
	first, held, err := freeTornetBase(root)
	if err != nil {
		t.Fatal(err)
	}
	second, other, err := freeTornetBase(root)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if second == first {
		t.Fatalf("two networks were given base %d (and one key directory) at once", first)
	}
	held.Close()
	again, f, err := freeTornetBase(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if again != first {
		t.Errorf("after the first network stopped, got base %d, want %d back", again, first)
	}
}
