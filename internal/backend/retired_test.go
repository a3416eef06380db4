package backend

import (
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// After an Entra rename the old Atlassian group keeps its members (and the access it grants):
// the overview lists it, and "Finish rename", confirmed by its name, empties and deletes it.
func TestIssue18_09_RetiredGroupsAndFinishRename(t *testing.T) {
	ctx, b, env, d := demoBackend(t)
	sync := func() {
		t.Helper()
		_, plan, err := b.Headless(ctx, d.ID, HeadlessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains, OverrideThreshold: true}); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	if got, err := b.RetiredGroups(ctx, d.ID); err != nil || len(got) != 0 {
		t.Fatalf("retired groups before any rename: %v %+v", err, got)
	}
	var ch tenant.Changes
	for seed := uint64(1); seed < 60 && len(ch.UpdatedGroups) == 0; seed++ {
		ch = env.Tenant.Mutate(0.05, seed)
	}
	if len(ch.UpdatedGroups) == 0 {
		t.Fatal("no group renamed")
	}
	sync()
	got, err := b.RetiredGroups(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var r *RetiredGroup
	for i := range got {
		if g, ok := env.Atlassian.State().GroupByName(got[i].Name); ok && len(g.Members) == got[i].Members && got[i].CurrentGroup != "" {
			r = &got[i]
		}
	}
	if r == nil {
		t.Fatalf("no retired group with members listed: %+v", got)
	}
	if _, err := b.FinishRename(ctx, d.ID, r.SCIMID, "something else"); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("a wrong confirmation: %v", err)
	}
	if _, ok := env.Atlassian.State().GroupByName(r.Name); !ok {
		t.Fatal("the group was deleted without the confirmation")
	}
	left, err := b.FinishRename(ctx, d.ID, r.SCIMID, r.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := env.Atlassian.State().GroupByName(r.Name); ok {
		t.Fatal("the retired group still exists")
	}
	for _, x := range left {
		if x.SCIMID == r.SCIMID {
			t.Fatal("the finished group is still listed")
		}
	}
	if g, ok := env.Atlassian.State().GroupByName(r.CurrentGroup); !ok || len(g.Members) == 0 {
		t.Fatalf("the new group %q lost its members", r.CurrentGroup)
	}
}
