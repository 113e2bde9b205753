// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDependencies keeps internal/ca an adapter over the standard library:
// it may use golang.org/x (idna) and the pure leaf internal/status, and
// never goproxy (whose built-in CA key is public) nor another adapter.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command(goBin, "list", "-deps", ".")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list (GOOS=%s): %v\n%s", goos, err, out)
		}
		for _, p := range strings.Fields(string(out)) {
			first, _, _ := strings.Cut(p, "/")
			switch {
			case !strings.Contains(first, "."), // standard library
				strings.HasPrefix(p, "golang.org/x/"),
				p == "polaris/internal/status", p == "polaris/internal/ca":
			case strings.HasPrefix(p, "polaris/"):
				t.Errorf("GOOS=%s: imports %s; internal/ca may import only the pure leaf internal/status (siblings meet in internal/app)", goos, p)
			default:
				t.Errorf("GOOS=%s: imports %s; internal/ca uses only the standard library and golang.org/x (never goproxy: its CA key is public)", goos, p)
			}
		}
	}
}
