package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/demomode"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/report"
)

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
	ctx := ctxT(t, 3*time.Minute)
	env, err := demo.Start(ctx, demo.Options{Users: 120, Groups: 15, NoThrottle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
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
