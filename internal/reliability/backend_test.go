package reliability

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/keychain"
)

// backendOn opens the real backend (the GUI's and the CLI's) on home, wired to the env's proxies,
// with a static Graph token (what IDPSYNC_GRAPH_TOKEN gives the headless commands) and an in-memory keychain holding the SCIM key.
func backendOn(ctx context.Context, home, graphURL, dirID, scimKey string, tr http.RoundTripper) (*backend.Backend, error) {
	sec := keychain.NewMemory()
	if dirID != "" {
		if err := keychain.PutAPIKey(ctx, sec, dirID, keychain.SCIMKey, scimKey, time.Now()); err != nil {
			return nil, err
		}
	}
	return backend.Open(ctx, backend.Options{Home: home, Secrets: sec, Transport: tr, AllowCustomHost: true, GraphToken: "test-token",
		Endpoints:   backend.Endpoints{GraphURL: graphURL},
		SCIMLimiter: atlassian.LimiterConfig{Initial: 2000, Max: 20000, Increase: 500}})
}

// crashEnv is an env plus a backend directory for headless syncs.
type crashEnv struct {
	*env
	b     *backend.Backend
	dirID string
}

func newCrashEnv(t *testing.T, spec tenant.Spec, f Faults) *crashEnv {
	t.Helper()
	e := newEnv(t, envOpts{spec: spec, graphFaults: f, atlFaults: f, proxies: true})
	ctx := context.Background()
	b, err := backendOn(ctx, e.home, e.gp.URL()+"/v1.0", "", "", e.auth.Transport())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	// The engine harness's directory writes to the same SCIM directory; the backend's directory
	// replaces it (one IdP Sync directory per SCIM directory, issue 18 point 8).
	if err := b.Store().DeleteDirectory(ctx, dirID); err != nil {
		t.Fatal(err)
	}
	d, err := b.CreateDirectory(ctx, backend.DirectoryInput{Name: "Crash", ClientID: "c", SCIMBaseURL: e.scimURL(), SCIMAPIKey: e.a.APIKey(), AllowCustomHost: true})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := b.Settings(ctx, d.ID)
	s.DeactivationMaxCount, s.DeactivationMaxPercent = 0, 0
	s.RemovalMaxCount, s.RemovalMaxPercent = 0, 0
	if _, err := b.SaveSettings(ctx, d.ID, s); err != nil {
		t.Fatal(err)
	}
	e.settings = mustNorm(t, s)
	return &crashEnv{env: e, b: b, dirID: d.ID}
}

// syncedCrashEnv is a crashEnv without faults after one headless sync that must succeed.
func syncedCrashEnv(ctx context.Context, t *testing.T, spec tenant.Spec) *crashEnv {
	t.Helper()
	c := newCrashEnv(t, spec, Faults{})
	if run, _, err := c.headless(ctx); err != nil || run.Status != "succeeded" {
		t.Fatalf("first sync: %v (%s)", err, run.Status)
	}
	return c
}

func (c *crashEnv) confirm() (string, []string) {
	d := engine.Scope(c.ten.Snapshot(), c.settings, nil)
	return c.ten.ID, d.Domains
}

// headless runs one sync in this process as `idpsync sync --confirm-tenant --confirm-domains`.
func (c *crashEnv) headless(ctx context.Context) (backend.RunSummary, backend.PlanSummary, error) {
	ten, doms := c.confirm()
	return c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, OverrideThreshold: true, ConfirmTenant: ten, ConfirmDomains: doms})
}
