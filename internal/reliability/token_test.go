package reliability

import (
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/demomode"
	"github.com/idpsync/idpsync/internal/emulator/demo"
)

// Access tokens that live 2 s while the Graph read takes several seconds (slow Graph) and the
// apply takes longer than a token's life (slow Atlassian): every token expires mid-read and
// mid-apply. The real MSAL client refreshes silently with the refresh token, Graph never sees an
// expired token (no 401), no interactive sign-in happens again, and both syncs succeed.
func TestTokenExpiryMidReadAndMidApply(t *testing.T) {
	ctx := ctxT(t, 3*time.Minute)
	env, err := demo.Start(ctx, demo.Options{Users: 200, Groups: 20, NoThrottle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	b, err := backend.Open(ctx, demomode.BackendOptions(env, t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const life = 2 * time.Second
	env.Identity.SetAccessTokenLifetime(life) // before sign-in: the first token is short-lived too
	d, err := b.SetupDemo(ctx, demomode.DirectoryInput(env))
	if err != nil {
		t.Fatal(err)
	}
	env.Graph.SetLatency(700 * time.Millisecond)
	// 32 operations in flight: 320 ms per write keeps the apply longer than a token's life.
	env.Atlassian.SetLatency(320 * time.Millisecond)
	codes := env.Identity.CountGrant("authorization_code")
	refreshes := env.Identity.CountGrant("refresh_token")

	start := time.Now()
	plan, err := b.Preview(ctx, d.ID, backend.PreviewOptions{Full: true})
	if err != nil {
		t.Fatalf("the read failed when tokens expired: %v", err)
	}
	read := time.Since(start)
	midRead := env.Identity.CountGrant("refresh_token") - refreshes
	start = time.Now()
	run, err := b.Apply(ctx, plan.PlanID, backend.Confirmation{TenantID: plan.TenantID, Domains: plan.Domains, PlanDigest: plan.Digest})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("apply: %v %+v", err, run)
	}
	apply := time.Since(start)
	// The next sync starts after the token of the last read is long dead.
	env.Tenant.Mutate(0.05, 8)
	hr, _, err := b.Headless(ctx, d.ID, backend.HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains, OverrideThreshold: true})
	if err != nil || hr.Status != "succeeded" {
		t.Fatalf("the sync after the apply: %v %+v", err, hr)
	}
	if read < life || apply < life {
		t.Fatalf("the read (%v) and the apply (%v) must each outlive a token (%v)", read, apply, life)
	}
	if midRead == 0 {
		t.Fatalf("no refresh during a %v read with %v tokens", read, life)
	}
	if n := env.Identity.CountGrant("authorization_code"); n != codes {
		t.Fatalf("%d interactive sign-ins after the first: the refresh was not silent", n-codes)
	}
	unauthorized := 0
	for _, e := range env.Graph.Log() {
		if e.Status == 401 {
			unauthorized++
		}
	}
	if unauthorized > 0 {
		t.Fatalf("Graph refused %d requests with 401: an expired token was sent", unauthorized)
	}
	t.Logf("FIGURES tokens: read %v, apply %v, token life %v, %d refreshes during the read, %d in all, 0 interactive sign-ins, 0 refused requests",
		read.Round(time.Millisecond), apply.Round(time.Millisecond), life, midRead, env.Identity.CountGrant("refresh_token")-refreshes)
}
