// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps sysproxy an adapter over the OS (STYLE.md): the standard
// library, the pure leaves, and x/sys for the Windows registry; never the
// store (the journal is an interface), the proxy, or any GUI.
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	allowed := map[string]string{
		"polaris/internal/status":   "",
		"polaris/internal/settings": "",
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
		cmd.Env = append(os.Environ(), "GOOS="+goos)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list (GOOS=%s): %v", goos, err)
		}
		for _, p := range strings.Fields(string(out)) {
			if p == "polaris/internal/sysproxy" || strings.HasPrefix(p, "golang.org/x/sys/") && goos == "windows" {
				continue
			}
			if _, ok := allowed[p]; !ok {
				t.Errorf("GOOS=%s: sysproxy depends on %s; it may use only the standard library, internal/status and internal/settings (and x/sys on Windows): the app wires everything else", goos, p)
			}
		}
	}
}
