package reliability

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/keychain"
)

// What an admin types is checked before anything is stored or sent: SCIM URLs that are not
// https or not Atlassian's host (another host only with the explicit flag), malformed keys, empty
// or huge directory names, settings that select no domain or no group. Each refusal has a stable
// code, a message and an action, and a refused directory leaves nothing behind.
func TestAdminInputRefused(t *testing.T) {
	ctx := context.Background()
	sec := keychain.NewMemory()
	b, err := backend.Open(ctx, backend.Options{Home: t.TempDir(), Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	good := backend.DirectoryInput{Name: "Contoso", ClientID: "11111111-2222-3333-4444-555555555555",
		SCIMBaseURL: "https://api.atlassian.com/scim/directory/abc-123", SCIMAPIKey: "ATCTT3xFfGN0-key",
		SaveUntested: true} // about input checks, offline: the key test is not what is tested here
	cases := []struct {
		name string
		edit func(*backend.DirectoryInput)
		code apperr.Code
	}{
		{"http SCIM URL", func(in *backend.DirectoryInput) { in.SCIMBaseURL = "http://api.atlassian.com/scim/directory/abc" }, apperr.InsecureURL},
		{"http SCIM URL even with the flag", func(in *backend.DirectoryInput) {
			in.SCIMBaseURL, in.AllowCustomHost = "http://proxy.example/scim/directory/abc", true
		}, apperr.InsecureURL},
		{"another host", func(in *backend.DirectoryInput) {
			in.SCIMBaseURL = "https://api.atlassian.com.evil.example/scim/directory/abc"
		}, apperr.InsecureURL},
		{"not a URL", func(in *backend.DirectoryInput) { in.SCIMBaseURL = "api.atlassian.com scim" }, apperr.InvalidInput},
		{"wrong path", func(in *backend.DirectoryInput) { in.SCIMBaseURL = "https://api.atlassian.com/admin/v1/orgs/x" }, apperr.InvalidInput},
		{"credentials in the URL", func(in *backend.DirectoryInput) { in.SCIMBaseURL = "https://a:b@api.atlassian.com/scim/directory/abc" }, apperr.InvalidInput},
		{"key with spaces", func(in *backend.DirectoryInput) { in.SCIMAPIKey = "ATCTT3x key" }, apperr.InvalidInput},
		{"key with a newline", func(in *backend.DirectoryInput) { in.SCIMAPIKey = "ATCTT3x\nkey" }, apperr.InvalidInput},
		{"huge key", func(in *backend.DirectoryInput) { in.SCIMAPIKey = strings.Repeat("k", 5000) }, apperr.InvalidInput},
		{"org key with a tab", func(in *backend.DirectoryInput) { in.OrgAPIKey = "org\tkey" }, apperr.InvalidInput},
		{"empty name", func(in *backend.DirectoryInput) { in.Name = "" }, apperr.InvalidInput},
		{"blank name", func(in *backend.DirectoryInput) { in.Name = " \t\n " }, apperr.InvalidInput},
		{"huge name", func(in *backend.DirectoryInput) { in.Name = strings.Repeat("名", 10000) }, apperr.InvalidInput},
		{"no client id", func(in *backend.DirectoryInput) { in.ClientID = " " }, apperr.InvalidInput},
		{"unknown cloud", func(in *backend.DirectoryInput) { in.Cloud = "mars" }, ""},
	}
	for _, tc := range cases {
		in := good
		tc.edit(&in)
		_, err := b.CreateDirectory(ctx, in)
		ae := apperr.As(err)
		if err == nil || (tc.code != "" && ae.Code != tc.code) || ae.Message == "" {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
		if strings.Contains(err.Error(), in.SCIMAPIKey) || (in.OrgAPIKey != "" && strings.Contains(err.Error(), in.OrgAPIKey)) {
			t.Errorf("%s: the error repeats the key", tc.name)
		}
	}
	if ds, _ := b.ListDirectories(ctx); len(ds) != 0 {
		t.Fatalf("refused input left %d directories", len(ds))
	}
	if n := sec.Len(); n != 0 {
		t.Fatalf("refused input left %d keychain items", n)
	}
	// Another host is accepted only with the explicit flag, and the directory says so.
	in := good
	in.SCIMBaseURL, in.AllowCustomHost = "https://scim-proxy.example/scim/directory/abc", true
	d, err := b.CreateDirectory(ctx, in)
	if err != nil || !d.AllowCustomHost {
		t.Fatalf("another host with the flag: %v %+v", err, d)
	}
	// A 100-character name is fine; the key is never in the DTO.
	in = good
	in.Name = strings.Repeat("n", 100)
	d2, err := b.CreateDirectory(ctx, in)
	if err != nil {
		t.Fatalf("a 100-character name: %v", err)
	}
	// Settings selecting nothing are refused with an action.
	for name, edit := range map[string]func(*engine.Settings){
		"no domain":       func(s *engine.Settings) { s.DomainMode, s.Domains = engine.DomainsSpecific, nil },
		"blank domains":   func(s *engine.Settings) { s.DomainMode, s.Domains = engine.DomainsSpecific, []string{" ", ""} },
		"no group":        func(s *engine.Settings) { s.UserMode, s.Groups = engine.UsersGroups, nil },
		"unknown mode":    func(s *engine.Settings) { s.DomainMode = "some" },
		"threshold > 100": func(s *engine.Settings) { s.DeactivationMaxPercent = 150 },
		"negative count":  func(s *engine.Settings) { s.DeactivationMaxCount = -1 },
		"interval 1 min":  func(s *engine.Settings) { s.AutoIntervalMinutes = 1 },
	} {
		s, _ := b.Settings(ctx, d2.ID)
		edit(&s)
		_, err := b.SaveSettings(ctx, d2.ID, s)
		if ae := apperr.As(err); err == nil || ae.Code != apperr.InvalidInput || ae.Message == "" {
			t.Errorf("settings with %s: %v", name, err)
		}
	}
	for _, dir := range []backend.Directory{d, d2} {
		got, _ := b.GetDirectory(ctx, dir.ID)
		if strings.Contains(strings.ToLower(strings.Join([]string{got.SCIMBaseURL, got.Name, got.ClientID}, " ")), "atctt3x") {
			t.Error("a key is in the directory DTO")
		}
	}
	t.Logf("FIGURES admin input: %d refused directory inputs, 7 refused settings", len(cases))
}

// Certificate verification is never turned off in the product's code: no InsecureSkipVerify,
// no VerifyPeerCertificate override, no custom RootCAs outside the emulators and tests.
func TestTLSVerificationNeverDisabled(t *testing.T) {
	root := "../.."
	fset := token.NewFileSet()
	files := 0
	rootCAs := regexp.MustCompile(`RootCAs\s*:`)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", ".tools", "frontend", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		f, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			return nil // another owner's file mid-edit; the compiler reports it
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && (id.Name == "InsecureSkipVerify" || id.Name == "VerifyPeerCertificate" || id.Name == "VerifyConnection") {
					t.Errorf("%s: sets %s", fset.Position(kv.Pos()), id.Name)
				}
			}
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "InsecureSkipVerify" {
				t.Errorf("%s: touches InsecureSkipVerify", fset.Position(sel.Pos()))
			}
			return true
		})
		if rootCAs.Match(src) && !strings.Contains(filepath.ToSlash(p), "internal/emulator/") && !strings.Contains(filepath.ToSlash(p), "internal/bench/") {
			t.Errorf("%s: sets its own RootCAs outside the emulators (only their certificate may be trusted, only in demo and tests)", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("scanned only %d Go files", files)
	}
}

// The app's page carries a strict Content-Security-Policy: scripts only from the app itself, no
// inline script, no eval, no objects, no base or form targets elsewhere.
func TestAppPageHasStrictCSP(t *testing.T) {
	b, err := os.ReadFile("../../frontend/index.html")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?is)<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("frontend/index.html has no Content-Security-Policy meta element")
	}
	dirs := map[string]string{}
	for _, d := range strings.Split(string(m[1]), ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			dirs[f[0]] = strings.Join(f[1:], " ")
		}
	}
	for dir, want := range map[string]string{"default-src": "'self'", "script-src": "'self'", "object-src": "'none'", "base-uri": "'none'"} {
		if dirs[dir] != want {
			t.Errorf("%s is %q, want %q", dir, dirs[dir], want)
		}
	}
	for dir, v := range dirs {
		if strings.Contains(v, "unsafe-eval") || (dir == "script-src" && strings.Contains(v, "unsafe-inline")) || strings.Contains(v, "*") || strings.Contains(v, "http:") {
			t.Errorf("%s allows %q", dir, v)
		}
	}
	if _, ok := dirs["form-action"]; !ok {
		t.Error("no form-action directive")
	}
}

// Names from Entra and Atlassian reach the screens only as React text, which React escapes: the
// screens' source never uses an API that turns a string into markup or code.
func TestScreensNeverInjectMarkup(t *testing.T) {
	bad := regexp.MustCompile(`dangerouslySetInnerHTML|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\s*\(|createContextualFragment|srcdoc`)
	files := 0
	err := filepath.WalkDir("../../frontend/src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !(strings.HasSuffix(p, ".ts") || strings.HasSuffix(p, ".tsx")) || strings.Contains(p, ".test.") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for i, line := range strings.Split(string(b), "\n") {
			if bad.MatchString(line) {
				t.Errorf("%s:%d: %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("read only %d screen sources", files)
	}
}
