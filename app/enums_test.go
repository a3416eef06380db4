package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// constantsOf returns the values of the string constants of type typ declared in dir's non-test
// files: what a list bound for the frontend must hold.
func constantsOf(t *testing.T, dir, typ string) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

// Every constant of a bound enum's type is in its list, so a code, status or kind added in Go
// reaches the frontend's enum, and from there its Record<…> tables, which then fail tsc until
// they give it words.
func TestEnumsListEveryConstant(t *testing.T) {
	bound := map[string][]string{}
	for _, e := range Enums() {
		v := reflect.ValueOf(e)
		name := v.Type().Elem().Field(0).Type.String() // the Value field's type: "apperr.Code"
		for i := range v.Len() {
			bound[name] = append(bound[name], v.Index(i).Field(0).String())
		}
	}
	for _, c := range []struct{ dir, typ string }{
		{"../internal/apperr", "Code"},
		{"../internal/backend", "DirStatus"},
		{"../internal/report", "Kind"},
		{"../internal/report", "Status"},
		{"../internal/report", "Action"},
		{"../internal/report", "Result"},
	} {
		name := filepath.Base(c.dir) + "." + c.typ
		declared := constantsOf(t, c.dir, c.typ)
		if len(declared) == 0 {
			t.Fatalf("%s: no constants found in %s", name, c.dir)
		}
		for _, v := range declared {
			if !slices.Contains(bound[name], v) {
				t.Errorf("%s %q is declared but not in its list for the frontend's enum (app.Enums)", name, v)
			}
		}
		if len(bound[name]) != len(declared) {
			t.Errorf("%s: %d bound, %d declared", name, len(bound[name]), len(declared))
		}
	}
}

func TestEnumMemberNames(t *testing.T) {
	got := enum([]string{"not_signed_in", "internal", "report_unsupported_version"})
	want := []string{"NotSignedIn", "Internal", "ReportUnsupportedVersion"}
	for i, g := range got {
		if g.TSName != want[i] {
			t.Errorf("%q: TSName %q, want %q", g.Value, g.TSName, want[i])
		}
	}
}
