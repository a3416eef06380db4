package reliability

import (
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/report"
)

// Both sides hit with every fault kind at 5–20% (proxy and emulator knobs together), alternating
// full and incremental syncs of a tenant that changes between runs. After each run the
// organization is exactly the desired state, nothing exists twice, the report accounts for every
// operation and the store passes its integrity check.
func TestFaultSoak(t *testing.T) {
	t.Parallel()
	runs, users, groups := bySoak(4, 10), bySoak(150, 1500), bySoak(15, 80)
	ctx := ctxT(t, 15*time.Minute)
	// Graph side: 429/500/503/504/reset/slow/cut from the proxy, plus the emulator's own
	// truncated pages (valid framing, JSON cut half-way).
	gf := Faults{Seed: 21, Rate429: 0.03, Rate500: 0.03, Rate503: 0.03, Rate504: 0.03, RateReset: 0.03, RateSlow: 0.03, RateCut: 0.03, RetryAfter: 1, SlowDelay: 200 * time.Millisecond}
	af := Faults{Seed: 22, Rate429: 0.03, Rate500: 0.02, Rate503: 0.02, Rate504: 0.02, RateReset: 0.02, RateSlow: 0.02, RateCut: 0.02, RetryAfter: 1, SlowDelay: 200 * time.Millisecond}
	e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 31, Users: users, Groups: groups, Depth: 3},
		atl:         atlemu.Options{FaultRate: 0.02, ResetRate: 0.01, Seed: 23},
		graph:       graph.Options{DeltaPageSize: 12},
		graphFaults: gf, atlFaults: af, proxies: true, pageSize: 12,
		// More retries than the clients' defaults (4 and 3): at these rates five failures in a row
		// on one request are expected a few times per run, and the soak is about what a fault
		// costs afterwards, not whether a run gives up.
		scimRetries: 8, netRetries: 5})
	lost := 0
	for run := 0; run < runs; run++ {
		full := run%2 == 0
		if run > 0 {
			ch := e.ten.Mutate(0.08, uint64(40+run))
			t.Logf("run %d: +%d users, %d updated, -%d users, +%d/-%d memberships, groups +%d ~%d -%d", run, len(ch.AddedUsers), len(ch.UpdatedUsers),
				len(ch.RemovedUsers), len(ch.MembersAdded), len(ch.MembersRemoved), len(ch.AddedGroups), len(ch.UpdatedGroups), len(ch.RemovedGroups))
		}
		expired := run == 3
		if expired {
			e.g.ExpireDeltaTokens() // Graph forgot the delta state between runs
		}
		r := e.mustRun(ctx, full)
		switch {
		case expired && !r.plan.Full:
			t.Errorf("run %d: an expired delta token did not fall back to a full read", run)
		case !full && !expired && run > 1 && r.plan.Full:
			t.Errorf("run %d: an incremental run after a clean one read everything", run)
		}
		lost += e.checkExact()
	}
	gc, gn := e.gp.Counts()
	ac, an := e.ap.Counts()
	t.Logf("FIGURES soak: %d runs, Graph %d requests %d faults %v, Atlassian %d requests %d faults %v (+%d emulator 5xx), objects lost %d",
		runs, gn, e.gp.Injected(), gc, an, e.ap.Injected(), ac, e.a.StatusCount(500)+e.a.StatusCount(503)+e.a.StatusCount(504), lost)
	for _, k := range []string{Kind429, Kind500, Kind503, Kind504, KindReset, KindSlow, KindCut} {
		if gc[k] == 0 || ac[k] == 0 {
			t.Errorf("fault %s was never injected (Graph %d, Atlassian %d)", k, gc[k], ac[k])
		}
	}
}

// Operations that fail for good (Atlassian refuses six creates and two member patches with 400):
// the run ends partial, every operation has a result and every failure a code (the memberships
// of users never created are marked as dependants), the store stays sound, and the next run
// repairs everything exactly.
func TestFailedApplyAccountedThenRepaired(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 33, Users: 80, Groups: 8, Depth: 3}})
	e.a.Inject(atlemu.Fault{Method: "POST", PathSuffix: "/Users", Status: 400, Times: 6},
		atlemu.Fault{Method: "PATCH", PathSuffix: "", Status: 400, Times: 2})
	res := e.run(ctx, true, true, nil)
	if res.err != nil {
		t.Fatal(res.err)
	}
	out, rep := res.out, res.rep
	checkReport(t, rep)
	failed, codes := 0, map[string]int{}
	for _, op := range rep.Operations {
		if op.Result == report.ResultFailed {
			failed++
			codes[op.Code]++
		}
	}
	t.Logf("failures by code: %v", codes)
	if out.Status != report.StatusPartial || codes[string(apperr.AtlassianRejected)] < 6 {
		t.Fatalf("a burst past the retries: status %s, %d failed", out.Status, failed)
	}
	integrity(t, e.st)
	r := e.mustRun(ctx, false)
	if !r.plan.Full {
		t.Error("the run after a partial apply was incremental")
	}
	if lost := e.checkExact(); lost != 0 {
		t.Fatalf("%d objects wrong after the repair", lost)
	}
	t.Logf("FIGURES burst: %d of %d operations failed with codes, all repaired by the next run", failed, len(rep.Operations))
}
