package engine

import (
	"slices"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// The plan's counts (the preview screen and the confirmation dialog, through PlanSummary, and the
// report it writes) and the tally of a report's operations (its summary when a file has no
// counts) are one tally: the same cells, for a plan with users, groups and memberships.
func TestPlanCountsAreTheReportCounts(t *testing.T) {
	w := newWorld(t, memTenant())
	first := w.preview(true)
	w.mustRun(true)
	w.src.edit(func(s *directory.Snapshot) {
		userByID(s, "u01").JobTitle = "Lead"
		userByID(s, "u02").AccountEnabled = false
		s.Members["gBack"] = slices.DeleteFunc(s.Members["gBack"], func(m directory.Member) bool { return m.ID == "u03" })
	})
	for name, p := range map[string]*Plan{"first": first, "edited": w.preview(false)} {
		ops := make([]report.Operation, p.Len())
		for i := range ops {
			op := p.Op(i)
			ops[i] = ReportOp(&op, nil, i, p.PlannedResult(i))
		}
		got, want := Counts(p, p.PlannedResult), report.TallyCounts(ops)
		if len(got) == 0 || !slices.Equal(sorted(got), want) {
			t.Errorf("%s plan: counts\n%v\nreport's\n%v", name, got, want)
		}
		if !slices.IsSortedFunc(got, func(a, b report.Count) int { return cmpPhase(p, a.Action, b.Action) }) {
			t.Errorf("%s plan: counts %v not in the plan's order", name, got)
		}
		n := map[string]int{}
		for _, c := range got {
			if c.Object != c.Action.Object() {
				t.Errorf("%s plan: %s counted under %q", name, c.Action, c.Object)
			}
			n[c.Object] += c.N
		}
		if n["user"]+n["group"]+n["membership"] != p.Len() || n["membership"] == 0 {
			t.Errorf("%s plan: %v over %d ops", name, n, p.Len())
		}
	}
}

// sorted is counts in the report's stable order (report.TallyCounts).
func sorted(cs []report.Count) []report.Count {
	var t report.Tally
	for _, c := range cs {
		for range c.N {
			t.Add(c.Object, c.Action, c.Result)
		}
	}
	return t.Counts()
}

// cmpPhase orders two actions by where the plan first has them.
func cmpPhase(p *Plan, a, b report.Action) int {
	first := func(x report.Action) int {
		for i := range p.Len() {
			if p.Action(i) == x {
				return i
			}
		}
		return p.Len()
	}
	return first(a) - first(b)
}
