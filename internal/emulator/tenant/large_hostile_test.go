package tenant

import (
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
)

// A large group holds each of its users once, and generation stays linear in its size.
func TestLargeGroupMembersDistinct(t *testing.T) {
	tn := Generate(Spec{Seed: 3, Users: 20_000, Groups: 4, LargeGroup: 20_000})
	g := tn.Snapshot()
	first := g.Groups[0].ID
	for _, gr := range g.Groups {
		if len(g.Members[gr.ID]) > len(g.Members[first]) {
			first = gr.ID
		}
	}
	seen := map[string]bool{}
	users := 0
	for _, m := range g.Members[first] {
		if seen[m.ID] {
			t.Fatalf("member %s twice", m.ID)
		}
		seen[m.ID] = true
		if m.Kind == directory.MemberUser {
			users++
		}
	}
	if users != 20_000 {
		t.Fatalf("the large group has %d users, want 20,000", users)
	}
}

func BenchmarkGenerateLargeGroup(b *testing.B) {
	for range b.N {
		Generate(Spec{Seed: 3, Users: 50_000, Groups: 6, LargeGroup: 50_000})
	}
}
