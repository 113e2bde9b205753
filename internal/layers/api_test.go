// SPDX-License-Identifier: GPL-3.0-or-later

package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAdaptersExportNoLibraryType: an adapter's exported API (functions,
// methods of exported types, exported fields, variables and type
// definitions) never mentions a type of the library it wraps, so nothing
// outside proxy/ sees a goproxy type, nothing outside tor/ a bine type,
// nothing outside internal/resolver a miekg/dns one (STYLE.md). Every file
// is read, whatever system it is built for.
func TestAdaptersExportNoLibraryType(t *testing.T) {
	root := moduleRoot(t)
	for _, l := range Table {
		if !slices.ContainsFunc(l.Packages, func(p string) bool { return slices.Contains(Adapters, p) }) {
			continue
		}
		var owned []string
		for _, lib := range l.Libs {
			if _, ok := Owned[lib]; ok {
				owned = append(owned, lib)
			}
		}
		for _, pkg := range l.Packages {
			dir := filepath.Join(root, strings.TrimPrefix(pkg, Main+"/"))
			files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
			for _, name := range files {
				if !strings.HasSuffix(name, "_test.go") {
					checkAPI(t, name, owned)
				}
			}
		}
	}
}

// checkAPI reports every exported part of file that names a type of one of
// libs.
func checkAPI(t *testing.T, file string, libs []string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]string{} // the name a library is imported under
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		for _, lib := range libs {
			if under(path, lib) {
				name := filepath.Base(path)
				if imp.Name != nil {
					name = imp.Name.Name
				}
				local[name] = path
			}
		}
	}
	if len(local) == 0 {
		return
	}
	for _, n := range exportedParts(f) {
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && local[id.Name] != "" {
					t.Errorf("%s: the exported API mentions %s.%s (%s): %s", fset.Position(sel.Pos()), id.Name, sel.Sel.Name,
						local[id.Name], "adapters export no type of their library")
				}
			}
			return true
		})
	}
}

// exportedParts returns the signatures of exported functions and of the
// methods of exported types, the exported fields of exported types, the
// other exported type definitions, and the types and values of exported
// variables and constants.
func exportedParts(f *ast.File) []ast.Node {
	var out []ast.Node
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) {
				out = append(out, d.Type)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						out = append(out, exportedFields(s.Type))
					}
				case *ast.ValueSpec:
					if slices.ContainsFunc(s.Names, (*ast.Ident).IsExported) {
						if s.Type != nil {
							out = append(out, s.Type)
						}
						for _, v := range s.Values {
							out = append(out, v)
						}
					}
				}
			}
		}
	}
	return out
}

func exportedRecv(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	typ := fl.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	if ix, ok := typ.(*ast.IndexExpr); ok { // a generic type
		typ = ix.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// exportedFields keeps a struct's exported fields (and embedded ones).
func exportedFields(typ ast.Expr) ast.Node {
	st, ok := typ.(*ast.StructType)
	if !ok {
		return typ
	}
	out := &ast.FieldList{}
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 || slices.ContainsFunc(f.Names, (*ast.Ident).IsExported) {
			out.List = append(out.List, f)
		}
	}
	return out
}

// moduleRoot is the directory of go.mod, two levels up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not at %s: %v", root, err)
	}
	return root
}
