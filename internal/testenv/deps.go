// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

// Forbidden maps an import path prefix to the reason it must not be imported.
type Forbidden map[string]string

// CheckDeps fails the test if package pkg (an import path such as
// "polaris/proxy") depends, directly or not, on a forbidden package. It runs
// `go list -deps`, so build tags of the current build apply.
func CheckDeps(t *testing.T, pkg string, forbidden Forbidden) {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for prefix, why := range forbidden {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("%s imports %s: %s", pkg, dep, why)
			}
		}
	}
}
