// SPDX-License-Identifier: GPL-3.0-or-later

package layers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// spdxLine is the first line of every Go file of Polaris (LICENSE:
// GPL-3.0-or-later), followed by a blank line.
const spdxLine = "// SPDX-License-Identifier: GPL-3.0-or-later"

// TestLicenseLines: every .go file of the module starts with the SPDX line
// and a blank line (so it is never taken for a package comment).
func TestLicenseLines(t *testing.T) {
	root := moduleRoot(t)
	n := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		n++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if first, rest, _ := bytes.Cut(b, []byte("\n")); string(first) != spdxLine || !bytes.HasPrefix(rest, []byte("\n")) {
			t.Errorf("%s: the first line must be %q, then a blank line", rel, spdxLine)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("found only %d Go files under %s", n, root)
	}
}
