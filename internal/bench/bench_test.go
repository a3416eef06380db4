package main

import (
	"testing"

	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
)

// The local CPU work of a sync, apart from the network: scoping and flattening a generated
// tenant, and planning an initial sync into an empty organization (scenario M's shape).
func mTenant(b *testing.B) *tenant.Tenant {
	b.Helper()
	return tenant.Generate(tenant.Spec{Seed: 1, Users: 10_000, Groups: 1_000, Depth: 6, MembersPerGroup: 100, GuestFraction: 0.03, DisabledFrac: 0.02})
}

func BenchmarkScopeM(b *testing.B) {
	snap := mTenant(b).Snapshot()
	s := engine.DefaultSettings()
	b.ReportAllocs()
	for b.Loop() {
		engine.Scope(snap, s, nil)
	}
}

func BenchmarkPlanInitialM(b *testing.B) {
	snap := mTenant(b).Snapshot()
	s := engine.DefaultSettings()
	d := engine.Scope(snap, s, nil)
	b.ReportAllocs()
	for b.Loop() {
		p := engine.Compute(engine.PlanInput{Desired: d, Live: &engine.Live{}, Settings: s})
		if p.Len() == 0 {
			b.Fatal("empty plan")
		}
	}
}

// TestRowsOfBounds checks the bound arithmetic on a made-up run: the Graph bound is the chain
// when the budget is ample, the apply bound is requests over the rate once the bucket's
// burst is spent.
func TestRowsOfBounds(t *testing.T) {
	o := options{GraphLatency: 20e6, GraphRU: 8000, GraphWindow: 10e9, AtlLatency: 20e6, AtlRate: 1000}
	res := childResult{Full: true, Segments: []segment{
		{Name: segGraph, Wall: 2.2, Graph: reqs{Total: 105, ByClass: map[string]int64{"organization": 1, "domains": 1, "users/delta": 1, "users": 11, "groups/delta": 101}}},
		{Name: segAtlRead, Wall: 0.05, SCIM: reqs{Total: 2, ByClass: map[string]int64{"GET Users": 1, "GET Groups": 1}}},
		{Name: segPlan, Wall: 0.5},
		{Name: segApplyPfx + "users", Wall: 11, SCIM: reqs{Total: 10_050, Throttled: 50}},
	}}
	rows := rowsOf("M", "initial", res, rawRun{GraphUnits: 115}, o)
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	if g := rows[0]; g.Bound < 2.059 || g.Bound > 2.061 {
		t.Fatalf("graph bound %v (%s), want 103 × 20ms", g.Bound, g.How)
	}
	// 10,000 answered, 1,000 of them from the bucket, full again after 0.5 s of planning.
	if a := rows[3]; a.Bound < 8.9999 || a.Bound > 9.0001 {
		t.Fatalf("apply bound %v (%s), want 9 s", a.Bound, a.How)
	}
	if tot := rows[5]; tot.Wall != 13.75 || tot.Bound < 11.079 || tot.Bound > 11.081 {
		t.Fatalf("total wall %v bound %v", tot.Wall, tot.Bound)
	}
}

// The full-read bound is the cheapest documented strategy's: scenario L's member listings are
// bound by the budget ((20,116 − 8,000) / 800 s), far under groups delta's 5,094-page chain;
// a tenant of many one-member groups reads faster through delta.
func TestBestGraphStrategy(t *testing.T) {
	o := options{GraphLatency: 20e6, GraphRU: 8000, GraphWindow: 10e9, GraphDeltaPage: 200}
	l := graphShape{Users: 100_000, Groups: 10_000, Direct: 1_008_337, MemberPages: 10_000, MaxPages: 1}
	best, how := bestBound(l, o)
	if best.Name != "groups + members per group" || best.Units != 20_116 || best.Seconds < 15.14 || best.Seconds > 15.15 {
		t.Fatalf("L: %+v (%s)", best, how)
	}
	if d := fullReadBounds(l, o)[0]; d.Chain != 2+5_092 || d.Seconds < 101 {
		t.Fatalf("L delta: %+v", d)
	}
	tiny := graphShape{Users: 1000, Groups: 100_000, Direct: 100_000, MemberPages: 100_000, MaxPages: 1}
	if best, how := bestBound(tiny, o); best.Name != "groups delta with members" {
		t.Fatalf("one-member groups: %+v (%s)", best, how)
	}
}
