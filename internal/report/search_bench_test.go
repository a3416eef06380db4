package report_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/procstat"
	"github.com/idpsync/idpsync/internal/report"
)

// BenchmarkViewSearch measures a text query on the report screen's view (report.View opened from
// the preview report of an initial sync) at scenario L: the bench's tenant (seed 1, 100,000
// users, 10,000 groups, depth 6, 100 direct members per group: ~2.87 M flattened memberships),
// planned by engine.Compute against an empty organization and written by engine.WriteReport, as
// a preview writes it. IDPSYNC_SEARCH_USERS sets the users (groups: a tenth). Run with
//
//	go test ./internal/report -run '^$' -bench ViewSearch -benchtime 20x
//
// Setup (generate, plan, write, open) takes about a minute at L and is not timed. Each query
// kind is a sub-benchmark reporting ns/op and cpu-ns/op (one page of 200 rows and the total), the
// rows it matched and the view's index-bytes. "decode-all" forces the path every text query took before
// the index (a term holding \x00: the index leaves it to decoding), for comparison.
func BenchmarkViewSearch(b *testing.B) {
	v, setup := searchView(b)
	b.Logf("setup %s: %d operations, %d skips, index %d bytes", setup.Round(time.Second), v.Summary().Operations, v.Summary().Skips, v.IndexBytes())
	first := v.Operations(report.Query{Limit: 1}).Rows[0].Object.Name // "Engineering 0", as the e2e types
	queries := []struct{ name, text string }{
		{"1-char", first[:1]}, {"3-chars", first[:3]}, {"full-name", first}, {"email", "user1234"},
		{"two-terms", first[:3] + " add"}, {"digits", "4711"}, {"none", "zzqx"},
	}
	if os.Getenv("IDPSYNC_SEARCH_DECODE_ALL") != "" {
		queries = append(queries, struct{ name, text string }{"decode-all", "\x00"})
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			var pg report.OperationPage
			cpu0 := procstat.CPUTime()
			for i := 0; i < b.N; i++ {
				var err error
				// Each call a new query, as each keystroke is: nothing carries over but the index.
				if pg, err = v.NewestOperations(report.Query{Text: q.text, Limit: 200, Offset: i % 2}); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time per query: on this shared 2-core machine the wall time mostly measures the load.
			b.ReportMetric(float64((procstat.CPUTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(pg.Total), "rows")
			b.ReportMetric(float64(v.IndexBytes()), "index-bytes")
		})
	}
}

var (
	viewOnce  sync.Once
	viewL     *report.View
	viewSetup time.Duration
)

func searchView(b *testing.B) (*report.View, time.Duration) {
	viewOnce.Do(func() {
		t0 := time.Now()
		users := 100_000
		if n, err := strconv.Atoi(os.Getenv("IDPSYNC_SEARCH_USERS")); err == nil && n > 0 {
			users = n
		}
		snap := tenant.Generate(tenant.Spec{Seed: 1, Name: "contoso", Users: users, Groups: users / 10, Depth: 6, MembersPerGroup: 100,
			GuestFraction: 0.03, DisabledFrac: 0.02}).Snapshot()
		st, err := engine.DefaultSettings().Normalize()
		if err != nil {
			b.Fatal(err)
		}
		p := engine.Compute(engine.PlanInput{Desired: engine.Scope(snap, st, nil), Live: &engine.Live{}, Settings: st})
		snap = nil
		dir, err := os.MkdirTemp("", "idpsync-search-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir) // the view spools its own copy
		path := filepath.Join(dir, "preview.json")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := engine.WriteReport(f, engine.RunInfo{RunID: "bench", Kind: report.KindPreview}, p, nil, report.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		p = nil
		runtime.GC()
		if viewL, err = report.OpenView(path); err != nil {
			b.Fatal(err)
		}
		viewSetup = time.Since(t0)
	})
	if viewL == nil {
		b.Fatal("the view could not be set up")
	}
	return viewL, viewSetup
}
