package reliability

import (
	"context"
	"strings"
	"testing"
	"time"

	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/report"
)

// Issue 18: against a server that follows Atlassian's reference (GET /Groups accepts only
// displayName eq), the first incremental run after Entra added or renamed a group failed with
// 400 invalidFilter, because readTouched and CreateOrAdoptGroup looked groups up by externalId.
// Incremental runs with new, renamed and deleted groups must plan exactly what a full read plans,
// succeed, and never send a group filter other than displayName.
func TestIncrementalGroupChangesAgainstStrictAtlassian(t *testing.T) {
	ctx := ctxT(t, 120*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 31, Users: 150, Groups: 20, Depth: 3}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	h.checkExact()

	added, renamed, removed := 0, 0, 0
	for round := uint64(1); round <= 12 && (added == 0 || renamed == 0 || removed == 0); round++ {
		ch := h.ten.Mutate(0.1, 100+round)
		added, renamed, removed = added+len(ch.AddedGroups), renamed+len(ch.UpdatedGroups), removed+len(ch.RemovedGroups)
		fullPlan := h.preview(ctx, true)
		h.a.ResetRequests()
		r := h.run(ctx, false, true, nil)
		if r.err != nil {
			t.Fatalf("round %d (groups +%d ~%d -%d): %v", round, len(ch.AddedGroups), len(ch.UpdatedGroups), len(ch.RemovedGroups), r.err)
		}
		if r.plan.Full {
			t.Fatalf("round %d was not incremental", round)
		}
		if a, b := opKeys(r.plan), opKeys(fullPlan); strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Fatalf("round %d: incremental plan differs from the full plan\nincremental: %v\nfull: %v", round, a, b)
		}
		if r.out.Status != report.StatusSucceeded {
			t.Fatalf("round %d: %s", round, r.out.Status)
		}
		for _, req := range h.a.Requests() {
			if f := req.Query.Get("filter"); strings.HasPrefix(req.Path, "/Groups") && f != "" && !strings.HasPrefix(f, "displayName eq ") {
				t.Errorf("round %d: %s %s sent the undocumented group filter %q", round, req.Method, req.Path, f)
			}
			if req.Status == 400 {
				t.Errorf("round %d: %s %s?%s answered 400: %s", round, req.Method, req.Path, req.Query.Encode(), req.Body)
			}
		}
		h.checkExact()
	}
	if added == 0 || renamed == 0 || removed == 0 {
		t.Fatalf("the mutations never covered every group change: +%d ~%d -%d", added, renamed, removed)
	}
}

// Adopting a group after a 409 finds it by name and leaves the externalId to the caller, also
// against a lenient server that would answer an externalId filter: the client sends only what
// Atlassian documents whatever the server tolerates.
func TestGroupLookupsSendOnlyDisplayNameFilters(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, tenant.Spec{Seed: 32, Users: 10, Groups: 2}, atlemu.Options{Lenient: true,
		Groups: []atlemu.SeedGroup{{DisplayName: "Ops", ExternalID: "ext-ops"}}}, graph.Faults{})
	g, found, err := h.tgt.FindGroupByDisplayName(ctx, "ops")
	if err != nil || !found || g.ExternalID != "ext-ops" {
		t.Fatalf("by name: %+v %v %v", g, found, err)
	}
	_, adopted, err := h.tgt.CreateOrAdoptGroup(ctx, "OPS", "ext-ops")
	if err != nil || !adopted {
		t.Fatalf("create or adopt: adopted %v, %v", adopted, err)
	}
	for _, req := range h.a.Requests() {
		if f := req.Query.Get("filter"); f != "" && !strings.HasPrefix(f, "displayName eq ") {
			t.Errorf("%s %s sent filter %q", req.Method, req.Path, f)
		}
	}
}
