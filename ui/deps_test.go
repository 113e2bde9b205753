// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"os/exec"
	"strings"
	"testing"

	"polaris/internal/testenv"
)

// TestDependencies keeps the window a thin client of the engine
// (STYLE.md): it knows the Controller interface, the pure settings and
// status types and the assets, and nothing of the engine's parts.
func TestDependencies(t *testing.T) {
	engine := "the window talks to the engine only through the Controller interface (ui/controller.go)"
	testenv.CheckDeps(t, "polaris/ui", testenv.Forbidden{
		"polaris/internal/app":        engine,
		"polaris/internal/cli":        "the command line and the window are siblings",
		"polaris/internal/store":      engine,
		"polaris/internal/ca":         engine,
		"polaris/internal/sysproxy":   engine,
		"polaris/proxy":               engine,
		"polaris/tor":                 engine,
		"polaris/blocklist":           engine + "; rules are checked with Controller.ValidateRule",
		"github.com/elazarl/goproxy":  engine,
		"github.com/cretz/bine":       engine,
		"github.com/mattn/go-sqlite3": "only internal/store touches SQLite",
		"database/sql":                "only internal/store touches SQL",
	})
}

// TestDirectImports: the ui package imports fyne, the standard library,
// the pure settings/status types and the assets, nothing else.
func TestDirectImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "polaris/ui").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{"fyne.io/fyne/v2", "polaris/internal/settings", "polaris/internal/status", "polaris/assets"}
	for _, imp := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(imp, "/")
		if !strings.Contains(first, ".") && first != "polaris" {
			continue // standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || imp == a || strings.HasPrefix(imp, a+"/")
		}
		if !ok {
			t.Errorf("ui imports %s; it may import only fyne, the standard library, internal/settings, internal/status and assets", imp)
		}
	}
}
