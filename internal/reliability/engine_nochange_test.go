package reliability

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// A run with an empty delta keeps the saved snapshot as it is (no rewrite) and still leaves the
// next run incremental, which then plans exactly what a full reconcile would.
func TestEmptyDeltaKeepsTheSnapshotAndTheNextRunIncremental(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 13, Users: 150, Groups: 15, Depth: 3}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	path := filepath.Join(h.home, "snapshots", dirID+".snapshot.gz")
	kept := h.deltaDigest(ctx)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		p := h.mustRun(ctx, false)
		// The delta state still names the saved snapshot: it was kept, not written again.
		if d := h.deltaDigest(ctx); p.Full || p.Len() != 0 || d != kept {
			t.Fatalf("no-change run %d: full=%v ops=%d digest %q, want the kept %q", i, p.Full, p.Len(), d, kept)
		}
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Fatalf("the snapshot was rewritten by a run with nothing to change")
	}
	h.ten.Mutate(0.05, 3)
	fullPlan := h.preview(ctx, true)
	r := h.run(ctx, false, true, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if d := h.deltaDigest(ctx); r.plan.Full || d == kept {
		t.Fatalf("the run after the no-change runs: full=%v, the snapshot digest %q did not move on", r.plan.Full, d)
	}
	if a, b := opKeys(r.plan), opKeys(fullPlan); len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("delta plan %d ops, full plan %d ops", len(a), len(b))
	}
	h.checkExact()
}

// deltaDigest is the digest of the saved snapshot the stored delta state continues from.
func (h *harness) deltaDigest(ctx context.Context) string {
	h.t.Helper()
	d, err := h.st.DeltaState(ctx, dirID)
	if err != nil || d == nil {
		h.t.Fatalf("delta state: %v %v", d, err)
	}
	return d.SnapshotDigest
}
