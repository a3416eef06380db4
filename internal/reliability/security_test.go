package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/demomode"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/report"
)

// What an admin types is checked before anything is stored or sent: SCIM URLs that are not
// https or not Atlassian's host (another host only with the explicit flag), malformed keys, empty
// or huge directory names, settings that select no domain or no group. Each refusal has a stable
// code, a message and an action, and a refused directory leaves nothing behind.
func TestAdminInputRefused(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// tap records every secret that crosses the wire: bearer values sent (Graph access tokens, the
// Atlassian keys), and what the token endpoint hands out or is sent (access, refresh and ID
// tokens, authorization codes, PKCE verifiers).
type tap struct {
	rt      http.RoundTripper
	mu      sync.Mutex
	secrets map[string]string // value → what it is
}

func (t *tap) add(v, what string) {
	if len(v) >= 8 {
		t.mu.Lock()
		if _, seen := t.secrets[v]; !seen {
			t.secrets[v] = what
		}
		t.mu.Unlock()
	}
}

func (t *tap) RoundTrip(r *http.Request) (*http.Response, error) {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		t.add(strings.TrimPrefix(a, "Bearer "), "bearer sent to "+r.URL.Host+r.URL.Path)
	}
	isToken := strings.HasSuffix(r.URL.Path, "/token")
	if isToken && r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if f, err := url.ParseQuery(string(b)); err == nil {
			for _, k := range []string{"refresh_token", "code", "code_verifier", "device_code"} {
				t.add(f.Get(k), k+" sent")
			}
		}
	}
	resp, err := t.rt.RoundTrip(r)
	if err != nil || !isToken {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var tok map[string]any
	if json.Unmarshal(b, &tok) == nil {
		for _, k := range []string{"access_token", "refresh_token", "id_token"} {
			if s, ok := tok[k].(string); ok {
				t.add(s, k)
			}
		}
	}
	return resp, nil
}

func (t *tap) all() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]string, len(t.secrets))
	for k, v := range t.secrets {
		out[k] = v
	}
	return out
}

// events captures everything the backend emits to the frontend.
type events struct {
	mu  sync.Mutex
	all []any
}

func (e *events) Emit(name string, data any) {
	e.mu.Lock()
	e.all = append(e.all, map[string]any{"event": name, "data": data})
	e.mu.Unlock()
}

func (e *events) json(t *testing.T) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, err := json.Marshal(e.all)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// needles are the forms a leaked secret would take: as is, JSON-escaped, and its last 24
// characters (a truncated or re-encoded copy still carries the JWT signature's tail).
func needles(secret string) [][]byte {
	js, _ := json.Marshal(secret)
	out := [][]byte{[]byte(secret), js[1 : len(js)-1]}
	if len(secret) > 40 {
		out = append(out, []byte(secret[len(secret)-24:]))
	}
	return out
}

// A full demo sync through the backend, as the GUI runs it (sign-in through the real MSAL code,
// preview, operations pages, apply with the confirmation, history, exports) and as the CLI runs it
// (headless), then every file the app wrote under its home and everything the backend returned or
// emitted is searched for every token, refresh token, code and key used: none may appear.
func TestNoSecretInFilesDTOsOrEvents(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 3*time.Minute)
	env := startDemo(ctx, t, 120, 15)
	home := t.TempDir()
	em := &events{}
	tp := &tap{rt: env.Transport(), secrets: map[string]string{}}
	opts := demomode.BackendOptions(env, home, em)
	opts.Transport = tp
	b, err := backend.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var returned []any
	keep := func(v any, err error) {
		t.Helper()
		returned = append(returned, v)
		if err != nil {
			returned = append(returned, err.Error(), err)
		}
	}
	d, err := b.SetupDemo(ctx, demomode.DirectoryInput(env))
	if err != nil {
		t.Fatal(err)
	}
	keep(d, nil)
	keep(b.ListDirectories(ctx))
	keep(b.Tenant(ctx, d.ID))
	keep(b.Domains(ctx, d.ID))
	keep(b.Groups(ctx, d.ID, backend.GroupQuery{}))
	keep(b.CurrentAccount(ctx, d.ID))
	keep(b.Settings(ctx, d.ID))
	keep(b.TestConnection(ctx, d.ID, backend.DirectoryInput{}))
	// A wrong key typed by the admin is not echoed back either.
	keep(b.TestConnection(ctx, d.ID, backend.DirectoryInput{Name: d.Name, ClientID: d.ClientID, SCIMBaseURL: d.SCIMBaseURL, AllowCustomHost: true,
		SCIMAPIKey: "typed-wrong-key-7d1f0c9a2b", OrgID: d.OrgID, OrgAPIKey: "typed-wrong-org-key-55e1c0"}))
	tp.add("typed-wrong-key-7d1f0c9a2b", "a wrong SCIM key typed in the form")
	tp.add("typed-wrong-org-key-55e1c0", "a wrong org key typed in the form")
	plan, err := b.Preview(ctx, d.ID, backend.PreviewOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	keep(plan, nil)
	keepPages(ctx, b, plan.RunID, keep)
	run, err := b.Apply(ctx, plan.PlanID, backend.Confirmation{TenantID: plan.TenantID, Domains: plan.Domains, PlanDigest: plan.Digest})
	if err != nil {
		t.Fatal(err)
	}
	keep(run, nil)
	keepPages(ctx, b, run.RunID, keep)
	env.Tenant.Mutate(0.1, 3)
	hr, hp, err := b.Headless(ctx, d.ID, backend.HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains, OverrideThreshold: true})
	keep(hp, nil)
	keep(hr, err)
	keep(b.Runs(ctx, d.ID, 50))
	keep(b.GetDirectory(ctx, d.ID))
	// Exports the admin can make of the report.
	for _, f := range []string{"html", "csv", "json"} {
		out := filepath.Join(home, "exports", "report."+f)
		if f == "csv" {
			out = filepath.Join(home, "exports", "csv")
		}
		_ = os.MkdirAll(filepath.Dir(out), 0o700)
		files, err := report.ExportFile(run.ReportPath, report.ExportOptions{Format: f, Out: out})
		if err != nil {
			t.Fatalf("export %s: %v", f, err)
		}
		if len(files) == 0 {
			t.Fatalf("export %s wrote nothing", f)
		}
	}
	if err := b.SignOut(ctx, d.ID); err != nil {
		t.Fatal(err)
	}

	secrets := tp.all()
	kinds := map[string]int{}
	for _, what := range secrets {
		kinds[strings.Fields(what)[0]]++
	}
	if kinds["access_token"] == 0 || kinds["refresh_token"] == 0 || kinds["bearer"] < 1 || kinds["code"] == 0 {
		t.Fatalf("the tap did not see the secrets it must check: %v", kinds)
	}
	secrets[env.Atlassian.APIKey()] = "the directory API key"
	secrets[env.Atlassian.OrgAPIKey()] = "the organization API key"

	dto, err := json.Marshal(returned)
	if err != nil {
		t.Fatal(err)
	}
	hay := map[string][]byte{"values returned by the backend": dto, "events emitted": em.json(t)}
	files := 0
	if err := filepath.WalkDir(home, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		hay[p] = b
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The store's WAL and the MSAL cache blob must be among the files searched.
	var sawDB, sawReport bool
	for p := range hay {
		sawDB = sawDB || strings.Contains(filepath.Base(p), ".db") || strings.Contains(filepath.Base(p), "sqlite")
		sawReport = sawReport || strings.Contains(p, "reports")
	}
	if !sawDB || !sawReport || files < 5 {
		t.Fatalf("searched %d files (store %v, reports %v): the app's files are not where this test looks", files, sawDB, sawReport)
	}
	for secret, what := range secrets {
		for where, b := range hay {
			for _, n := range needles(secret) {
				if bytes.Contains(b, n) {
					t.Errorf("%s (%d chars) found in %s", what, len(secret), where)
					break
				}
			}
		}
	}
	t.Logf("FIGURES secrets: %d secret values (%v + 2 keys) searched in %d files, %d bytes of DTOs, %d bytes of events: 0 found",
		len(secrets), kinds, files, len(dto), len(em.json(t)))
}

// keepPages keeps the pages of operations and skips the screens read of a run's report (the
// preview's lists are its preview report's).
func keepPages(ctx context.Context, b *backend.Backend, runID string, keep func(any, error)) {
	v, err := b.OpenReport(ctx, runID)
	keep(nil, err)
	if err != nil {
		return
	}
	defer v.Close()
	keep(v.Operations(report.Query{Limit: 1000}), nil)
	keep(v.Skips(report.Query{Limit: 1000}), nil)
}
