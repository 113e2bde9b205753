// SPDX-License-Identifier: GPL-3.0-or-later

package layers

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoConflictMarkers: no file git tracks keeps the marker lines of an
// unresolved merge (a document once landed with them). Binary files are
// skipped; "=======" alone is not a marker here (Markdown underlines).
func TestNoConflictMarkers(t *testing.T) {
	root := moduleRoot(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil || bytes.IndexByte(b, 0) >= 0 {
			continue // deleted in the work tree, or binary
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for line := 1; sc.Scan(); line++ {
			s := sc.Text()
			if strings.HasPrefix(s, "<<<<<<< ") || strings.HasPrefix(s, ">>>>>>> ") || s == "<<<<<<<" || s == ">>>>>>>" {
				t.Errorf("%s:%d: an unresolved merge's marker: %q", rel, line, s)
			}
		}
	}
}
