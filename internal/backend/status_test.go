package backend

import (
	"context"
	gosync "sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/demo"
)

// progressRecorder keeps the progress events and signals the first write phase's. With hold
// set, that first event's Emit (the engine emits from the applying goroutine) waits until hold
// is closed, so the run writes nothing more until the test has looked at it and cancelled it.
type progressRecorder struct {
	mu      gosync.Mutex
	writing chan struct{}
	hold    chan struct{}
	once    gosync.Once
	seen    []Progress
}

func (r *progressRecorder) Emit(event string, data any) {
	p, ok := data.(Progress)
	if !ok || event != EventProgress {
		return
	}
	r.mu.Lock()
	r.seen = append(r.seen, p)
	r.mu.Unlock()
	switch p.Phase {
	case "read_tenant", "read_atlassian", "plan":
	default:
		if p.Done > 0 {
			first := false
			r.once.Do(func() { close(r.writing); first = true })
			if first && r.hold != nil {
				<-r.hold
			}
		}
	}
}

// demoWithProgress starts the demo emulators and a backend whose progress events are kept, with
// the demo directory signed in; everything closes with the test.
func demoWithProgress(ctx context.Context, t *testing.T, users, groups int) (*demo.Env, *Backend, Directory, *progressRecorder) {
	t.Helper()
	em := &progressRecorder{writing: make(chan struct{})}
	env, b, d := openDemo(ctx, t, users, groups, t.TempDir(), em)
	return env, b, d, em
}

// The cancel comes while the run is held in its first write progress event (progressRecorder.hold):
// it used to race the run on the wall clock, and a sync that finished before the cancel left
// nothing not done.
//
// A cancelled sync stops after the operations in flight, is recorded as cancelled with its done
// and not-done counts, shows as "cancelled" (and "syncing" while it runs), and the next sync
// finishes exactly what it did not do.
func TestCancelledSyncIsRecordedWithCountsAndStatus(t *testing.T) {
	t.Parallel() // its own demo world and home; it waits on the emulators, pacing and fsyncs
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, b, d, em := demoWithProgress(ctx, t, 120, 15)
	em.hold = make(chan struct{})
	if got, _ := b.GetDirectory(ctx, d.ID); got.Status != StatusDisabled {
		t.Fatalf("idle status %q, want %q", got.Status, StatusDisabled)
	}
	s, _ := b.Settings(ctx, d.ID)
	s.Concurrency = 1
	if _, err := b.SaveSettings(ctx, d.ID, s); err != nil {
		t.Fatal(err)
	}
	env.Atlassian.SetLatency(20 * time.Millisecond)
	plan, err := b.Preview(ctx, d.ID, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runnable := plan.Operations - len(plan.Conflicts)
	type res struct {
		rs  RunSummary
		err error
	}
	done := make(chan res, 1)
	go func() {
		rs, err := b.Apply(ctx, plan.PlanID, Confirmation{TenantID: plan.TenantID, Domains: plan.Domains, PlanDigest: plan.Digest})
		done <- res{rs, err}
	}()
	select {
	case <-em.writing:
	case r := <-done:
		t.Fatalf("the sync ended before it could be cancelled: %+v %v", r.rs, r.err)
	}
	if got, _ := b.GetDirectory(ctx, d.ID); got.Status != StatusSyncing {
		t.Fatalf("status during the sync %q, want %q", got.Status, StatusSyncing)
	}
	if err := b.Cancel(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	close(em.hold)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.rs.Status != "canceled" {
		t.Fatalf("run status %q, want canceled", r.rs.Status)
	}
	if r.rs.Done == 0 || r.rs.NotDone == 0 || r.rs.Done+r.rs.NotDone != runnable {
		t.Fatalf("done %d + not done %d, want both > 0 and %d in all", r.rs.Done, r.rs.NotDone, runnable)
	}
	if w := len(env.Atlassian.Writes()); w > r.rs.Done+5 {
		t.Fatalf("%d writes reached Atlassian for %d operations done: the cancel did not stop the run", w, r.rs.Done)
	}
	runs, _ := b.Runs(ctx, d.ID, 5)
	if len(runs) == 0 || runs[0].Status != "canceled" || runs[0].NotDone != r.rs.NotDone {
		t.Fatalf("history %+v", runs)
	}
	got, _ := b.GetDirectory(ctx, d.ID)
	if got.Status != StatusCancelled || got.LastRun == nil || got.LastRun.NotDone != r.rs.NotDone {
		t.Fatalf("overview after the cancel: %+v", got)
	}
	// The next sync finishes the rest, and nothing is left after it.
	env.Atlassian.SetLatency(0)
	s.Concurrency = 8
	_, _ = b.SaveSettings(ctx, d.ID, s)
	next, err := b.Preview(ctx, d.ID, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if next.Operations == 0 || next.Operations > plan.Operations {
		t.Fatalf("the preview after the cancel plans %d operations (the cancelled plan had %d)", next.Operations, plan.Operations)
	}
	rs, err := b.Apply(ctx, next.PlanID, Confirmation{TenantID: next.TenantID, Domains: next.Domains, PlanDigest: next.Digest})
	if err != nil || rs.Status != "succeeded" || rs.NotDone != 0 {
		t.Fatalf("resume %+v %v", rs, err)
	}
	last, _ := b.Preview(ctx, d.ID, PreviewOptions{Full: true})
	if last.Operations != len(last.Conflicts) {
		t.Fatalf("%d operations left after the resumed sync", last.Operations)
	}
	if got, _ := b.GetDirectory(ctx, d.ID); got.Status != StatusDisabled {
		t.Fatalf("status after the resumed sync %q", got.Status)
	}
}

// The held conflicts are not counted in the group phase's progress.
func TestPhaseCountsLeaveOutHeldConflicts(t *testing.T) {
	t.Parallel() // its own demo world and home; it waits on the emulators, pacing and fsyncs
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, b, d, em := demoWithProgress(ctx, t, 60, 8)
	plan, err := b.Preview(ctx, d.ID, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Conflicts) == 0 {
		t.Fatal("the demo has no held conflict")
	}
	creates := 0
	for _, c := range plan.Counts {
		if c.Action == "create_group" || c.Action == "adopt_group" {
			creates += c.N
		}
	}
	if _, err := b.Apply(ctx, plan.PlanID, Confirmation{TenantID: plan.TenantID, Domains: plan.Domains, PlanDigest: plan.Digest}); err != nil {
		t.Fatal(err)
	}
	em.mu.Lock()
	defer em.mu.Unlock()
	for _, p := range em.seen {
		if p.Phase == "create_groups" && p.Total != creates {
			t.Fatalf("create_groups progress %d of %d, want a total of %d groups to create", p.Done, p.Total, creates)
		}
	}
}
