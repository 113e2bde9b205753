// SPDX-License-Identifier: GPL-3.0-or-later

package testenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// LibraryHidden fails the test when an exported declaration of the package
// in dir (its non-test .go files) mentions a name of the library imported
// under the path prefix lib: an adapter exports no type of its library
// (STYLE.md), so nothing outside it may see one.
func LibraryHidden(t *testing.T, dir, lib string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		local := map[string]bool{}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == lib || strings.HasPrefix(p, lib+"/") {
				n := path.Base(p)
				if imp.Name != nil {
					n = imp.Name.Name
				}
				local[n] = true
			}
		}
		if len(local) == 0 {
			continue
		}
		check := func(what string, n ast.Node) {
			if n == nil {
				return
			}
			ast.Inspect(n, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && local[id.Name] {
						t.Errorf("%s: exported %s mentions %s.%s of %s", fset.Position(sel.Pos()), what, id.Name, sel.Sel.Name, lib)
					}
				}
				return true
			})
		}
		for _, decl := range f.Decls {
			exportedParts(decl, check)
		}
	}
}

// exportedParts calls check with every part of decl that is visible from
// outside the package: signatures of exported functions and of methods of
// exported types, exported fields of exported structs, other exported
// types, and exported variables and constants with their values.
func exportedParts(decl ast.Decl, check func(what string, n ast.Node)) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) {
			check(d.Name.Name, d.Type)
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				st, ok := s.Type.(*ast.StructType)
				if !ok {
					check(s.Name.Name, s.Type)
					continue
				}
				for _, field := range st.Fields.List {
					for _, n := range field.Names {
						if n.IsExported() {
							check(s.Name.Name+"."+n.Name, field.Type)
						}
					}
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						check(n.Name, s.Type)
						for _, v := range s.Values {
							check(n.Name, v)
						}
					}
				}
			}
		}
	}
}

func exportedRecv(recv *ast.FieldList) bool {
	if len(recv.List) == 0 {
		return false
	}
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}
