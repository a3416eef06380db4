package engine

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/report"
)

// BenchmarkCompute measures the planner alone on an initial sync (empty organization) of the
// bench's tenant shape (100 direct members per group, depth 6). IDPSYNC_PLAN_USERS sets the size
// (default 10,000 users, 1,000 groups; scenario L is 100,000). The ops-B/membership figure is the
// plan's heap (live after a GC) per flattened membership it holds.
func BenchmarkCompute(b *testing.B) {
	in := benchInitialSync(b)
	d := in.Desired
	b.ReportAllocs()
	b.ResetTimer()
	var p *Plan
	for i := 0; i < b.N; i++ {
		p = Compute(in)
	}
	b.StopTimer()
	before := heapLive()
	runtime.KeepAlive(p)
	p = nil
	after := heapLive()
	b.ReportMetric(float64(before-after)/float64(max(1, d.Flat.Pairs())), "plan-B/membership")
	b.ReportMetric(float64(d.Flat.Pairs()), "memberships")
}

func heapLive() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkWriteReport measures streaming the planned report of BenchmarkCompute's initial sync
// (every membership an operation) to a discarding writer.
func BenchmarkWriteReport(b *testing.B) {
	p := Compute(benchInitialSync(b))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := WriteReport(io.Discard, RunInfo{RunID: "r"}, p, nil, report.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Len()), "ops")
}

// benchInitialSync is the planner's input for an initial sync of the bench's tenant shape.
func benchInitialSync(b *testing.B) PlanInput {
	users := 10000
	if v, err := strconv.Atoi(os.Getenv("IDPSYNC_PLAN_USERS")); err == nil && v > 0 {
		users = v
	}
	snap := tenant.Generate(tenant.Spec{Seed: 1, Users: users, Groups: users / 10, Depth: 6, MembersPerGroup: 100,
		GuestFraction: 0.03, DisabledFrac: 0.02}).Snapshot()
	st := norm(b, DefaultSettings())
	return PlanInput{Desired: Scope(snap, st, nil), Live: &Live{}, Settings: st}
}
