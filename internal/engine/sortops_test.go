package engine

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/report"
)

// sortOps must give exactly the order of the plain stable sort it replaced (the plan digest
// depends on it), including ties and ids whose concatenations compare differently from pairs.
func TestSortOpsMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	actions := []report.Action{report.AddMember, report.CreateUser, report.CreateGroup, report.RemoveMember, report.DeactivateUser}
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	groups := []*GroupRef{{Name: "a"}, {Name: "b"}}
	var ops []Op
	for i := 0; i < 5000; i++ {
		op := Op{Seq: i, Action: actions[r.IntN(len(actions))],
			Email: pick("", "x@y", "z@y"), Name: pick("", "n"), EntraID: pick("", "a", "ab", "abc"), SCIMID: pick("", "c", "bd", "d")}
		if op.Object() == "membership" { // as in plans: memberships carry their group, nothing else does
			op.Group = groups[r.IntN(len(groups))]
		}
		ops = append(ops, op)
	}
	want := slices.Clone(ops)
	slices.SortStableFunc(want, func(a, b Op) int {
		if c := phaseOf[a.Action] - phaseOf[b.Action]; c != 0 {
			return c
		}
		if a.Group != nil && b.Group != nil {
			if c := strings.Compare(a.Group.Name, b.Group.Name); c != 0 {
				return c
			}
		}
		if c := strings.Compare(a.Email, b.Email); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.EntraID+a.SCIMID, b.EntraID+b.SCIMID)
	})
	sortOps(ops)
	for i := range ops {
		if ops[i].Seq != want[i].Seq {
			t.Fatalf("position %d: op %d, want op %d", i, ops[i].Seq, want[i].Seq)
		}
	}
}
