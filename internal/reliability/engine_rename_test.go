package reliability

import (
	"strconv"
	"strings"
	"testing"
	"time"

	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

// An Entra rename is shown as what it is: create the new group, copy its members, retire the
// old one; and the preview says the old group still grants access to its N members.
func TestIssue18_09_RenameSaysTheOldGroupStillGrantsAccess(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 41, Users: 120, Groups: 12}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	var ch tenant.Changes
	for seed := uint64(1); seed < 50 && len(ch.UpdatedGroups) == 0; seed++ {
		ch = h.ten.Mutate(0.1, seed)
	}
	if len(ch.UpdatedGroups) == 0 {
		t.Fatal("no group renamed by the seeded mutations")
	}
	p := h.preview(ctx, false)
	if len(p.Renames) == 0 {
		t.Fatalf("no rename in the plan: %v", opKeys(p))
	}
	for _, rn := range p.Renames {
		old, ok := h.a.State().GroupByName(rn.OldName)
		if !ok || rn.StillGrants != len(old.Members) || rn.NewName == rn.OldName {
			t.Errorf("rename %+v: the old group has %d members", rn, len(old.Members))
		}
		var retire, create *engine.Op
		ops := p.Operations()
		for i := range ops {
			op := &ops[i]
			switch {
			case op.Action == report.RetireGroup && op.SCIMID == rn.OldSCIMID:
				retire = op
			case op.Action == report.CreateGroup && op.EntraID == rn.EntraID:
				create = op
			}
		}
		if retire == nil || create == nil {
			t.Fatalf("rename %+v lacks its create or retire: %v", rn, opKeys(p))
		}
		for _, want := range []string{"creates the new group, copies its members, then retires this one", "still grants its access to " + strconv.Itoa(rn.StillGrants) + " people"} {
			if !strings.Contains(retire.Reason, want) {
				t.Errorf("retire reason %q lacks %q", retire.Reason, want)
			}
		}
		if !strings.Contains(create.Reason, "rename of") || !strings.Contains(create.Reason, rn.OldName) {
			t.Errorf("create reason %q", create.Reason)
		}
	}
}
