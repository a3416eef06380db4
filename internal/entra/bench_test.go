package entra

import (
	"context"
	"runtime"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// BenchmarkReadFull100kUsers10kGroups reads a 100,000-user, 10,000-group tenant with about
// 1,000,000 direct memberships (depth 6) from the emulator with no latency and no throttling.
// The emulator runs in the same process, so time and allocations include its side of every page.
func BenchmarkReadFull100kUsers10kGroups(b *testing.B) {
	e := setup(b, tenant.Spec{Seed: 100, Users: 100_000, Groups: 10_000, Depth: 6, MembersPerGroup: 100},
		graph.Options{NoThrottle: true}, Config{})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var snap *directory.Snapshot
	for i := 0; i < b.N; i++ {
		var err error
		if snap, _, err = e.reader.ReadFull(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	memberships := 0
	for _, ms := range snap.Members {
		memberships += len(ms)
	}
	c := e.reader.Counters()
	b.ReportMetric(float64(c.Requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(c.Units)/float64(b.N), "units/op")
	b.ReportMetric(float64(memberships), "memberships")
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	runtime.KeepAlive(snap)
	snap = nil
	runtime.GC()
	runtime.ReadMemStats(&without)
	b.ReportMetric(float64(with.HeapAlloc-without.HeapAlloc)/(1<<20), "snapshot-MB")
}
