package reliability

import (
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/report"
)

// One retry budget: an update that Atlassian keeps refusing with 503 costs the SCIM client's
// five attempts and fails with atlassian_unavailable; the engine does not retry the whole call
// on top (it did, four times over: 20 attempts and 3.5 s of waits per failing operation, and
// 68 attempts when the answers were 429s).
func TestFailingOperationCostsOneRetryBudget(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 31, Users: 40, Groups: 4}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	ch := h.ten.Mutate(0.2, 3)
	if len(ch.UpdatedUsers) == 0 {
		t.Fatal("the seeded mutation must update users")
	}
	h.a.Inject(atlemu.Fault{Method: "PATCH", Status: 503, Times: 100_000})
	h.a.ResetRequests()
	r := h.run(ctx, false, true, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	failed := 0
	for i, res := range r.out.All() {
		op := r.plan.Op(i)
		switch op.Action {
		case report.UpdateUser, report.AdoptUser, report.ReactivateUser, report.DeactivateUser: // PATCH /Users/{id}
		default:
			continue
		}
		if res.Result != report.ResultFailed || res.Code != string(apperr.AtlassianUnavailable) {
			t.Fatalf("%s %s: %+v", op.Action, op.Name, res)
		}
		failed++
	}
	perUser := map[string]int{}
	for _, q := range h.a.Requests() {
		if q.Method == "PATCH" && strings.HasPrefix(q.Path, "/Users/") {
			perUser[q.Path]++
		}
	}
	if failed == 0 || len(perUser) != failed {
		t.Fatalf("%d failed user updates, %d users PATCHed", failed, len(perUser))
	}
	for path, n := range perUser {
		if n != 5 {
			t.Errorf("PATCH %s: %d attempts, want the client's 5", path, n)
		}
	}
	t.Logf("%d failed user updates, attempts %v", failed, perUser)
}
