// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the engine pure (STYLE.md): it takes readers and
// returns values. Polaris packages it depends on must not import I/O,
// networking, storage or logging packages, and the only packages outside
// the standard library it may use are golang.org/x/net/publicsuffix and
// golang.org/x/net/idna (international host names, with the golang.org/x/text
// packages it needs). (publicsuffix itself pulls net/http/cookiejar into the
// build for an interface type; the rule is about what Polaris code calls,
// so it is checked on the imports of Polaris packages.)
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Standard}}\t{{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := map[string]string{
		"net/http":     "the engine decides its own Request; the proxy converts each HTTP request",
		"os":           "the engine does no I/O: lists come in as readers",
		"os/exec":      "the engine runs nothing",
		"database/sql": "storage belongs to internal/store",
		"log":          "the engine returns errors; the app logs them",
		"log/slog":     "the engine returns errors; the app logs them",
	}
	engineOnly := map[string]string{
		"net":    "the engine does no networking",
		"unsafe": "the engine stays memory-safe",
	}
	allowed := map[string]bool{
		"golang.org/x/net/publicsuffix": true, "golang.org/x/net/idna": true, "golang.org/x/text/secure/bidirule": true,
		"golang.org/x/text/transform": true, "golang.org/x/text/unicode/bidi": true, "golang.org/x/text/unicode/norm": true,
	}
	pureLeaves := map[string]bool{"polaris/blocklist": true, "polaris/internal/settings": true, "polaris/internal/status": true}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		pkg, std, imports := f[0], f[1] == "true", strings.Fields(f[2])
		switch {
		case std:
			continue
		case strings.HasPrefix(pkg, "polaris/"):
			if !pureLeaves[pkg] {
				t.Errorf("blocklist depends on %s: only pure leaves (settings, status) may be imported, never an adapter", pkg)
			}
			for _, imp := range imports {
				if why, bad := forbidden[imp]; bad {
					t.Errorf("%s imports %s: forbidden, %s", pkg, imp, why)
				}
				if why, bad := engineOnly[imp]; bad && pkg == "polaris/blocklist" {
					t.Errorf("%s imports %s: forbidden, %s", pkg, imp, why)
				}
			}
		case !allowed[pkg]:
			t.Errorf("blocklist depends on %s: only the standard library, golang.org/x/net/publicsuffix and golang.org/x/net/idna are allowed", pkg)
		}
	}
}
