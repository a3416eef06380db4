package reliability

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/report"
)

// BenchmarkFullSync measures a first full sync of a generated tenant into an empty organization
// over loopback HTTPS without latency, through the run lifecycle: Graph read, Atlassian read,
// plan, apply, commit, report.
// IDPSYNC_BENCH_USERS sets the size (default 10,000; the figure uses 100,000).
func BenchmarkFullSync(b *testing.B) {
	users := 10000
	if v, err := strconv.Atoi(os.Getenv("IDPSYNC_BENCH_USERS")); err == nil && v > 0 {
		users = v
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newBenchHarness(b, tenant.Spec{Seed: 21, Users: users, Groups: users / 50, Depth: 3, MembersPerGroup: 40})
		b.StartTimer()
		start := time.Now()
		r := h.run(context.Background(), true, true, nil)
		if r.err != nil {
			b.Fatal(r.err)
		}
		p, out := r.plan, r.out
		var planned time.Duration
		for _, ph := range p.Phases {
			planned += ph.Duration
		}
		if out.Status != report.StatusSucceeded {
			b.Fatalf("status %s", out.Status)
		}
		for _, ph := range append(p.Phases, out.Phases...) {
			b.Logf("%-15s %v", ph.Name, ph.Duration.Round(time.Millisecond))
		}
		b.Logf("SCIM client: %+v", h.tgt.Stats())
		b.ReportMetric(float64(p.Len()), "ops")
		b.ReportMetric(planned.Seconds(), "plan-s")
		b.ReportMetric(time.Since(start).Seconds(), "total-s")
	}
}

func newBenchHarness(b *testing.B, spec tenant.Spec) *harness {
	return newHarnessTB(b, spec, atlemu.Options{MaxUsers: 1_000_000}, graph.Faults{})
}
