// SPDX-License-Identifier: GPL-3.0-or-later

package layers

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the layer table in docs/ARCHITECTURE.md")

// The layer table in docs/ARCHITECTURE.md is this table's, rendered
// (go test ./internal/layers -run TestArchitectureShowsTheTable -update
// rewrites it).
func TestArchitectureShowsTheTable(t *testing.T) {
	const begin, end = "<!-- layers: begin (go test ./internal/layers -update) -->\n", "<!-- layers: end -->"
	path := filepath.Join(moduleRoot(t), "docs", "ARCHITECTURE.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", path, begin, end)
	}
	got, want := doc[i+len(begin):j], Markdown()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the layer table in docs/ARCHITECTURE.md differs from internal/layers; run the test with -update.\nwant:\n%s", want)
}
