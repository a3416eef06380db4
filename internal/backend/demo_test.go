package backend

import (
	"context"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/emulator/demo"
)

type recorder struct{ n int }

func (r *recorder) Emit(string, any) { r.n++ }

func TestDemoSyncEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env, err := demo.Start(ctx, demo.Options{Users: 120, Groups: 15, NoThrottle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	em := &recorder{}
	b, err := Open(ctx, DemoOptions(env, t.TempDir(), em))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d, err := b.SetupDemo(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if d.Account == "" || !d.HasSCIMKey {
		t.Fatalf("demo directory not signed in: %+v", d)
	}
	_, plan, err := b.Headless(ctx, d.ID, HeadlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan: %d ops, %d skips, domains %v, conflicts %d", plan.Operations, plan.Skips, plan.Domains, len(plan.Conflicts))
	if plan.Operations == 0 || plan.ReportPath == "" {
		t.Fatalf("empty plan %+v", plan)
	}
	// A changed domain set is refused before anything is written.
	_, _, err = b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains[:len(plan.Domains)-1]})
	if apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("want confirmation_required, got %v", err)
	}
	if n := len(env.Atlassian.Writes()); n != 0 {
		t.Fatalf("%d writes after a refused confirmation", n)
	}
	run, _, err := b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "succeeded" {
		t.Fatalf("run %+v", run)
	}
	_, again, err := b.Headless(ctx, d.ID, HeadlessOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	// Only the held conflict remains.
	if again.Operations != len(again.Conflicts) {
		page, _ := b.Operations(ctx, again.PlanID, OpQuery{})
		t.Fatalf("second full run plans %d ops: %+v", again.Operations, page.Operations)
	}
	if em.n == 0 {
		t.Fatal("no progress events")
	}
}
