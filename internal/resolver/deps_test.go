// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"polaris/internal/testenv"
)

// TestDependencies keeps resolver an adapter over miekg/dns (STYLE.md): the
// standard library, its one library (and the x/ modules it already uses),
// the pure leaves; siblings meet in internal/app.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(imp, "/")
		switch {
		case !strings.Contains(first, ".") && first != "polaris":
		case imp == "polaris/internal/status", imp == "polaris/internal/settings":
		case strings.HasPrefix(imp, "github.com/miekg/dns"), strings.HasPrefix(imp, "golang.org/x/sync/"), strings.HasPrefix(imp, "golang.org/x/net/"):
		default:
			t.Errorf("resolver imports %s: an adapter imports the standard library, miekg/dns and the pure leaves only", imp)
		}
	}
	sibling := "siblings meet in internal/app; the resolver is handed to the proxy as functions"
	testenv.CheckDeps(t, "polaris/internal/resolver", testenv.Forbidden{
		"polaris/proxy": sibling, "polaris/tor": sibling, "polaris/internal/ca": sibling,
		"polaris/internal/store": sibling, "polaris/internal/app": "imports point down",
		"polaris/ui": "imports point down", "fyne.io/fyne": "the resolver runs headless",
	})
}

// TestNoLibraryInAPI: no exported declaration mentions a miekg/dns type.
func TestNoLibraryInAPI(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			var nodes []ast.Node
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) {
					nodes = append(nodes, d.Type)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							nodes = append(nodes, exportedFields(s.Type))
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() && s.Type != nil {
								nodes = append(nodes, s.Type)
							}
						}
					}
				}
			}
			for _, n := range nodes {
				ast.Inspect(n, func(n ast.Node) bool {
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if id, ok := sel.X.(*ast.Ident); ok && id.Name == "dns" {
							t.Errorf("%s: the exported API mentions dns.%s", fset.Position(sel.Pos()), sel.Sel.Name)
						}
					}
					return true
				})
			}
		}
	}
}

func exportedRecv(fl *ast.FieldList) bool {
	typ := fl.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// exportedFields keeps a struct's exported fields (the unexported ones may
// hold anything).
func exportedFields(typ ast.Expr) ast.Node {
	st, ok := typ.(*ast.StructType)
	if !ok {
		return typ
	}
	out := &ast.FieldList{}
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if n.IsExported() {
				out.List = append(out.List, f)
				break
			}
		}
	}
	return out
}
