// SPDX-License-Identifier: GPL-3.0-or-later

package layers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The systems Polaris is built for: each one's build constraints choose
// other files, so each is listed on its own.
var systems = []string{"linux", "darwin", "windows"}

// TestLayers checks every package's imports, in its code and in its tests,
// against the table, for each system and with and without the GUI
// (nogui): a refusal names the package, the import, the system and why.
func TestLayers(t *testing.T) {
	readSources(t)
	for _, goos := range systems {
		for _, tags := range []string{"", "nogui"} {
			name := goos
			if tags != "" {
				name += "," + tags
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				for _, p := range goList(t, goos, tags, "polaris/...") {
					for _, msg := range checkPackage(p) {
						t.Errorf("GOOS=%s%s: %s", goos, tagNote(tags), msg)
					}
				}
			})
		}
	}
}

// TestHeadlessWithoutFyne: the headless binary (-tags nogui) links no
// Fyne, on any system, not even through another package.
func TestHeadlessWithoutFyne(t *testing.T) {
	readSources(t)
	for _, goos := range systems {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			out := goCmd(t, goos, "list", "-deps", "-tags", "nogui", "-f", "{{.ImportPath}}", Main)
			for _, dep := range strings.Fields(out) {
				if under(dep, Fyne) {
					t.Errorf("GOOS=%s: the headless binary (-tags nogui) depends on %s: %s", goos, dep, Owned[Fyne])
					return
				}
			}
		})
	}
}

// TestTable: every package has exactly one row, and every package a row
// names is in a row of its own (no typo lets an import through).
func TestTable(t *testing.T) {
	readSources(t)
	rows := map[string]string{}
	for _, l := range Table {
		for _, p := range l.Packages {
			if prev, dup := rows[p]; dup {
				t.Errorf("%s is in the layers %s and %s", p, prev, l.Name)
			}
			rows[p] = l.Name
		}
	}
	for _, l := range Table {
		for _, p := range concat(l.May, l.Tests) {
			if strings.HasPrefix(p, "polaris") && layerOf(p) == nil {
				t.Errorf("layer %s names %s, which has no row", l.Name, p)
			}
		}
	}
	for _, p := range goList(t, runtime.GOOS, "", "polaris/...") {
		if layerOf(p.path) == nil {
			t.Errorf("%s has no row in the layer table (internal/layers): add one", p.path)
		}
	}
}

// readSources looks at every directory and Go file of the module, so that
// go test's cache knows this test's result depends on them (go list reads
// them in another process, which the cache does not see).
func readSources(t *testing.T) {
	t.Helper()
	root := moduleRoot(t)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules"):
			return filepath.SkipDir
		case d.IsDir():
			_, err := os.ReadDir(path)
			return err
		case strings.HasSuffix(path, ".go") || d.Name() == "go.mod":
			_, err := os.Stat(path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pkg is one package as go list sees it for one system.
type pkg struct {
	path         string
	imports      []string
	testImports  []string // of its _test.go files, both packages
	noGoFiles    bool     // no file for this system (all constrained away)
	listingError string
}

// goList lists the packages matching pattern for goos, with tags.
func goList(t *testing.T, goos, tags, pattern string) []pkg {
	t.Helper()
	format := `{{.ImportPath}}` + "\t" + `{{join .Imports " "}}` + "\t" + `{{join .TestImports " "}} {{join .XTestImports " "}}` +
		"\t" + `{{if .Error}}{{.Error}}{{end}}`
	args := []string{"list", "-e", "-f", format}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	out := goCmd(t, goos, append(args, pattern)...)
	var pkgs []pkg
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		p := pkg{path: f[0], imports: strings.Fields(f[1]), testImports: strings.Fields(f[2]), listingError: f[3]}
		if strings.Contains(p.listingError, "build constraints exclude all Go files") {
			p.noGoFiles, p.listingError = true, ""
		}
		if p.listingError != "" {
			t.Errorf("GOOS=%s: go list %s: %s", goos, p.path, p.listingError)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// goCmd runs the go command for goos, with cgo on as a native build of
// that system would have it (go list only reads files; nothing is
// compiled).
func goCmd(t *testing.T, goos string, args ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, args...)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=1", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("GOOS=%s go %s: %v\n%s", goos, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// checkPackage returns what p imports against the table.
func checkPackage(p pkg) []string {
	l := layerOf(p.path)
	if l == nil {
		return []string{fmt.Sprintf("%s has no row in the layer table (internal/layers): add one", p.path)}
	}
	var msgs []string
	for _, imp := range p.imports {
		if why, ok := allowed(l, p.path, imp, false); !ok {
			msgs = append(msgs, fmt.Sprintf("%s imports %s: %s", p.path, imp, why))
		}
	}
	for _, imp := range p.testImports {
		if why, ok := allowed(l, p.path, imp, true); !ok {
			msgs = append(msgs, fmt.Sprintf("the tests of %s import %s: %s", p.path, imp, why))
		}
	}
	return msgs
}

// allowed reports whether a package of layer l (path self) may import imp,
// in its code or (test) in its tests, and if not, why.
func allowed(l *Layer, self, imp string, test bool) (string, bool) {
	if imp == self || imp == "C" {
		return "", true
	}
	if test && (listed(TestHelpers, imp) || listed(l.Tests, imp)) {
		return "", true
	}
	if listed(l.May, imp) || listed(l.Libs, imp) {
		return "", true
	}
	if isStd(imp) {
		if why, bad := l.NoStd[imp]; bad && !test {
			return fmt.Sprintf("%s. %s: %s", why, l.Name, l.Rule), false
		}
		if why, owned := Owned[imp]; owned {
			return fmt.Sprintf("%s. %s: %s", why, l.Name, l.Rule), false
		}
		return "", true
	}
	for owned, why := range Owned {
		if matches(owned, imp) {
			return fmt.Sprintf("%s. %s: %s", why, l.Name, l.Rule), false
		}
	}
	if to := layerOf(imp); to != nil {
		return fmt.Sprintf("layer %s may not import layer %s. %s: %s", l.Name, to.Name, l.Name, l.Rule), false
	}
	return fmt.Sprintf("not in its row of the layer table (internal/layers). %s: %s", l.Name, l.Rule), false
}

// layerOf returns the row of a package, nil without one.
func layerOf(path string) *Layer {
	for i := range Table {
		for _, p := range Table[i].Packages {
			if matches(p, path) {
				return &Table[i]
			}
		}
	}
	return nil
}

func listed(list []string, imp string) bool {
	return slices.ContainsFunc(list, func(p string) bool { return matches(p, imp) })
}

// matches reports whether path is the package (or under the library) p
// names: a Polaris package exactly, "polaris/x/..." for a tree, a library
// by its module path prefix.
func matches(p, path string) bool {
	if base, ok := strings.CutSuffix(p, "/..."); ok {
		return under(path, base)
	}
	if p == Main || strings.HasPrefix(p, Main+"/") {
		return path == p
	}
	return under(path, p)
}

func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// isStd reports whether imp is in the standard library: no dot in its
// first element (and not Polaris, whose module path has none).
func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".") && first != Main
}

func tagNote(tags string) string {
	if tags == "" {
		return ""
	}
	return " -tags " + tags
}
