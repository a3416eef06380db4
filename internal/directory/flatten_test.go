package directory

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// randomSnapshot builds a random nesting with cycles, self-membership, duplicate edges, members
// that are missing from Groups/Users, and members of other kinds.
func randomSnapshot(r *rand.Rand, groups, users int) *Snapshot {
	s := &Snapshot{Members: map[string][]Member{}}
	for i := 0; i < groups; i++ {
		s.Groups = append(s.Groups, Group{ID: fmt.Sprintf("g%03d", i)})
	}
	for i := 0; i < users; i++ {
		s.Users = append(s.Users, User{ID: fmt.Sprintf("u%03d", i)})
	}
	for i := 0; i < groups; i++ {
		gid := s.Groups[i].ID
		for k := r.IntN(4); k > 0; k-- {
			s.Members[gid] = append(s.Members[gid], Member{ID: fmt.Sprintf("g%03d", r.IntN(groups+1)), Kind: MemberGroup})
		}
		for k := r.IntN(5); k > 0; k-- {
			s.Members[gid] = append(s.Members[gid], Member{ID: fmt.Sprintf("u%03d", r.IntN(users+1)), Kind: MemberUser})
		}
		if r.IntN(5) == 0 {
			s.Members[gid] = append(s.Members[gid], Member{ID: "sp1", Kind: MemberOther, ODataType: "#microsoft.graph.servicePrincipal"})
		}
	}
	return s
}

// naive is the reference: plain maps and a breadth-first search with distances.
type naive struct {
	children map[string][]string
	users    map[string][]string
}

func newNaive(s *Snapshot) naive {
	n := naive{children: map[string][]string{}, users: map[string][]string{}}
	for g, ms := range s.Members {
		for _, m := range ms {
			switch m.Kind {
			case MemberGroup:
				n.children[g] = append(n.children[g], m.ID)
			case MemberUser:
				n.users[g] = append(n.users[g], m.ID)
			}
		}
	}
	return n
}

func (n naive) dist(root string) map[string]int {
	d := map[string]int{root: 0}
	q := []string{root}
	for len(q) > 0 {
		g := q[0]
		q = q[1:]
		for _, c := range n.children[g] {
			if _, ok := d[c]; !ok {
				d[c] = d[g] + 1
				q = append(q, c)
			}
		}
	}
	return d
}

// members maps each transitive user to the length of its shortest chain.
func (n naive) members(root string) map[string]int {
	out := map[string]int{}
	for g, dg := range n.dist(root) {
		for _, u := range n.users[g] {
			if l, ok := out[u]; !ok || dg+1 < l {
				out[u] = dg + 1
			}
		}
	}
	return out
}

func TestFlattenMatchesNaive(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		s := randomSnapshot(r, 1+r.IntN(40), 1+r.IntN(30))
		f := Flatten(s)
		n := newNaive(s)
		for _, g := range f.Groups() {
			want := n.members(g)
			got := f.Members(g)
			if !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
				t.Fatalf("seed %d group %s: members %v, want %v", seed, g, got, slices.Sorted(maps.Keys(want)))
			}
			if f.MemberCount(g) != len(want) {
				t.Fatalf("seed %d group %s: count %d, want %d", seed, g, f.MemberCount(g), len(want))
			}
			for u, l := range want {
				chain := f.Chain(g, u)
				if len(chain) != l {
					t.Fatalf("seed %d: chain %s→%s = %v, want length %d", seed, g, u, chain, l)
				}
				checkChain(t, n, chain, g, u)
				if via, ok := f.Via(g, u); !ok || via != chain[len(chain)-1] {
					t.Fatalf("seed %d: via %s→%s = %q %v, want the chain's last group %q", seed, g, u, via, ok, chain[len(chain)-1])
				}
			}
			if _, ok := f.Via(g, "nobody"); ok {
				t.Fatalf("seed %d: unknown user has a direct group", seed)
			}
			if f.Chain(g, "nobody") != nil || f.IsMember(g, "nobody") {
				t.Fatalf("seed %d: unknown user has a chain", seed)
			}
			d := n.dist(g)
			delete(d, g)
			if got := f.Subgroups(g); !slices.Equal(got, slices.Sorted(maps.Keys(d))) {
				t.Fatalf("seed %d group %s: subgroups %v, want %v", seed, g, got, slices.Sorted(maps.Keys(d)))
			}
			var parents []string
			for p, cs := range n.children {
				if slices.Contains(cs, g) {
					parents = append(parents, p)
				}
			}
			slices.Sort(parents)
			if got := f.Parents(g); !slices.Equal(got, parents) && !(len(got) == 0 && len(parents) == 0) {
				t.Fatalf("seed %d group %s: parents %v, want %v", seed, g, got, parents)
			}
		}
		for _, u := range s.Users {
			var want []string
			for _, g := range f.Groups() {
				if _, ok := n.members(g)[u.ID]; ok {
					want = append(want, g)
				}
			}
			if got := f.UserGroups(u.ID); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("seed %d user %s: groups %v, want %v", seed, u.ID, got, want)
			}
		}
	}
}

func checkChain(t *testing.T, n naive, chain []string, g, u string) {
	t.Helper()
	if chain[0] != g {
		t.Fatalf("chain %v does not start at %s", chain, g)
	}
	for i := 1; i < len(chain); i++ {
		if !slices.Contains(n.children[chain[i-1]], chain[i]) {
			t.Fatalf("chain %v: %s is not a direct subgroup of %s", chain, chain[i], chain[i-1])
		}
	}
	if !slices.Contains(n.users[chain[len(chain)-1]], u) {
		t.Fatalf("chain %v: %s is not a direct member of the last group", chain, u)
	}
}

func TestFlattenCycleAndOthers(t *testing.T) {
	s := &Snapshot{
		Groups: []Group{{ID: "a"}, {ID: "b"}, {ID: "c"}},
		Members: map[string][]Member{
			"a": {{ID: "b", Kind: MemberGroup}, {ID: "u1", Kind: MemberUser}, {ID: "dev", Kind: MemberOther, ODataType: "#microsoft.graph.device"}},
			"b": {{ID: "c", Kind: MemberGroup}},
			"c": {{ID: "a", Kind: MemberGroup}, {ID: "u2", Kind: MemberUser}, {ID: "u2", Kind: MemberUser}},
		},
	}
	f := Flatten(s)
	for _, g := range []string{"a", "b", "c"} {
		if got := f.Members(g); !slices.Equal(got, []string{"u1", "u2"}) {
			t.Errorf("Members(%s) = %v", g, got)
		}
	}
	if got := f.Chain("a", "u2"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Chain(a,u2) = %v", got)
	}
	if got := f.Chain("b", "u1"); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Errorf("Chain(b,u1) = %v", got)
	}
	if got := f.Subgroups("a"); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("Subgroups(a) = %v", got)
	}
	if got := f.Others("a"); len(got) != 1 || got[0].ODataType != "#microsoft.graph.device" {
		t.Errorf("Others(a) = %v", got)
	}
	if got := f.DirectUsers("c"); !slices.Equal(got, []string{"u2"}) {
		t.Errorf("DirectUsers(c) = %v (duplicates must collapse)", got)
	}
	if f.Members("zzz") != nil || f.Chain("zzz", "u1") != nil {
		t.Error("unknown group must give nil")
	}
}

// benchSnapshot is 10,000 groups in 6 levels (each group below the top has one parent in the
// level above, plus a second parent for one in ten), 100,000 users and 1,000,000 direct user
// memberships spread evenly.
func benchSnapshot() *Snapshot {
	const groups, users, memberships, depth = 10_000, 100_000, 1_000_000, 6
	r := rand.New(rand.NewPCG(42, 42))
	s := &Snapshot{Members: make(map[string][]Member, groups)}
	for i := 0; i < users; i++ {
		s.Users = append(s.Users, User{ID: fmt.Sprintf("u-%06d", i)})
	}
	levels := make([][]string, depth)
	for i := 0; i < groups; i++ {
		id := fmt.Sprintf("g-%05d", i)
		s.Groups = append(s.Groups, Group{ID: id})
		lvl := i * depth / groups
		levels[lvl] = append(levels[lvl], id)
	}
	for l := 1; l < depth; l++ {
		for _, g := range levels[l] {
			p := levels[l-1][r.IntN(len(levels[l-1]))]
			s.Members[p] = append(s.Members[p], Member{ID: g, Kind: MemberGroup})
			if r.IntN(10) == 0 {
				pl := levels[r.IntN(l)]
				p2 := pl[r.IntN(len(pl))]
				s.Members[p2] = append(s.Members[p2], Member{ID: g, Kind: MemberGroup})
			}
		}
	}
	for i := 0; i < memberships; i++ {
		g := s.Groups[i%groups].ID
		s.Members[g] = append(s.Members[g], Member{ID: s.Users[r.IntN(users)].ID, Kind: MemberUser})
	}
	return s
}

func BenchmarkFlatten10kGroups1MMemberships(b *testing.B) {
	s := benchSnapshot()
	b.ReportAllocs()
	b.ResetTimer()
	var f *Flat
	for i := 0; i < b.N; i++ {
		f = Flatten(s)
	}
	b.StopTimer()
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	b.ReportMetric(float64(f.Pairs()), "pairs")
	runtime.KeepAlive(f)
	f = nil
	runtime.GC()
	runtime.ReadMemStats(&without)
	b.ReportMetric(float64(with.HeapAlloc-without.HeapAlloc)/(1<<20), "flat-MB")
	runtime.KeepAlive(s)
}

func BenchmarkChain(b *testing.B) {
	f := Flatten(benchSnapshot())
	type pair struct{ g, u string }
	var pairs []pair
	for _, g := range f.Groups()[:100] {
		for _, u := range f.Members(g) {
			pairs = append(pairs, pair{g, u})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pairs[i%len(pairs)]
		if f.Chain(p.g, p.u) == nil {
			b.Fatal("no chain")
		}
	}
}
