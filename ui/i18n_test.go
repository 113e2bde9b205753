// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate translations/polaris.en.json from the sources")

const enFile = "translations/polaris.en.json"

// sourceKeys finds every lang.L/X/N/XN call in the package and returns
// key -> English text, plus the keys used as plurals.
func sourceKeys(t *testing.T) (keys map[string]string, plural map[string]bool) {
	t.Helper()
	keys, plural = map[string]string{}, map[string]bool{}
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
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "lang" {
				return true
			}
			lit := func(i int) (string, bool) {
				if i >= len(call.Args) {
					return "", false
				}
				bl, ok := call.Args[i].(*ast.BasicLit)
				if !ok || bl.Kind != token.STRING {
					return "", false
				}
				s, err := strconv.Unquote(bl.Value)
				return s, err == nil
			}
			pos := fset.Position(call.Pos())
			switch sel.Sel.Name {
			case "L", "N":
				s, ok := lit(0)
				if !ok {
					t.Errorf("%s: lang.%s with a non-literal text cannot be translated", pos, sel.Sel.Name)
					return true
				}
				keys[s] = s
				if sel.Sel.Name == "N" {
					plural[s] = true
				}
			case "X", "XN":
				k, ok1 := lit(0)
				v, ok2 := lit(1)
				if !ok1 || !ok2 {
					t.Errorf("%s: lang.%s needs a literal key and fallback", pos, sel.Sel.Name)
					return true
				}
				keys[k] = v
			}
			return true
		})
	}
	return keys, plural
}

// TestTranslationsComplete keeps the English file in step with the code:
// every text has an entry, no entry is stale, plurals have a singular.
func TestTranslationsComplete(t *testing.T) {
	keys, plural := sourceKeys(t)
	raw, err := os.ReadFile(enFile)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("%s: %v", enFile, err)
	}
	if *update {
		out := map[string]any{}
		for k, v := range keys {
			if plural[k] {
				var forms map[string]string
				if old, ok := file[k]; ok && json.Unmarshal(old, &forms) == nil {
					out[k] = forms
				} else {
					out[k] = map[string]string{"one": v, "other": v}
				}
				continue
			}
			out[k] = v
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(enFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		file = nil
		json.Unmarshal(buf.Bytes(), &file)
	}
	for k, v := range keys {
		entry, ok := file[k]
		if !ok {
			t.Errorf("%s lacks %q (run go test ./ui -run TestTranslationsComplete -update)", enFile, k)
			continue
		}
		if plural[k] {
			var forms map[string]string
			if err := json.Unmarshal(entry, &forms); err != nil || forms["one"] == "" || forms["other"] == "" {
				t.Errorf("%s: %q is a plural and needs \"one\" and \"other\" forms", enFile, k)
			} else if forms["one"] == forms["other"] {
				t.Errorf("%s: %q has the same singular and plural; write the singular", enFile, k)
			}
			continue
		}
		var s string
		if err := json.Unmarshal(entry, &s); err != nil || s != v {
			t.Errorf("%s: %q = %s, want %q", enFile, k, entry, v)
		}
	}
	var stale []string
	for k := range file {
		if _, ok := keys[k]; !ok {
			stale = append(stale, k)
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Errorf("%s has entries no code uses: %q", enFile, stale)
	}
}

func TestFormatting(t *testing.T) {
	newTestApp(t)
	for _, tc := range []struct {
		got, want string
	}{
		{count(0), "0"},
		{count(999), "999"},
		{count(3210), "3,210"},
		{count(int64(1234567)), "1,234,567"},
		{count(-4500), "-4,500"},
		{bytesText(512), "512 bytes"},
		{bytesText(1), "1 byte"},
		{bytesText(2_400_000), "2.4 MB"},
		{every(24 * time.Hour), "every day"},
		{every(96 * time.Hour), "every 4 days"},
		{every(12 * time.Hour), "every 12 hours"},
		{every(0), "never"},
		{sentence("database is locked"), "Database is locked"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now.Add(-10 * time.Second), "just now"},
		{now.Add(-time.Minute), "1 minute ago"},
		{now.Add(-3 * time.Hour), "3 hours ago"},
		{now.Add(-72 * time.Hour), "3 days ago"},
	} {
		if got := ago(now, tc.t); got != tc.want {
			t.Errorf("ago(%v) = %q, want %q", now.Sub(tc.t), got, tc.want)
		}
	}
}
