package directory

import (
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Flat is the flattened view of a snapshot's nested groups: for each group its transitive user
// members and, for each (group, user) pair, one shortest chain of groups that explains it.
//
// Everything is held as int32 indices into two interned, sorted id tables, so index order is id
// order and sorted results need no string comparisons. A pair costs 8 bytes (user index plus the
// group that holds the user directly), and each group's BFS tree over its subgroups is kept as
// (descendant, BFS parent) so a chain is rebuilt by walking parents instead of searching again.
// A Flat is immutable and safe for concurrent use.
type Flat struct {
	groupIDs []string // sorted
	userIDs  []string // sorted
	gIndex   map[string]int32
	uIndex   map[string]int32

	// direct structure, CSR: off[i]..off[i+1] into the data slice.
	childOff, child   []int32 // direct subgroups
	parentOff, parent []int32 // direct parents
	userOff, user     []int32 // direct user members

	// transitive results, CSR per group.
	memOff     []int32
	mem        []int32 // transitive user members, sorted by index
	via        []int32 // parallel to mem: the group (at the shortest depth) holding the user directly
	descOff    []int32
	desc       []int32 // transitive subgroups, sorted by index (the group itself excluded)
	descParent []int32 // parallel to desc: BFS parent on a shortest path from the root

	others map[string][]Member // direct members that are neither users nor groups

	userGroupsOnce sync.Once
	ugOff, ug      []int32
}

// Flatten computes the transitive memberships of every group in s. Cycles in the nesting terminate
// because each group's walk visits a group at most once. Members that name groups or users absent
// from s.Groups / s.Users are still followed, so a partial snapshot flattens consistently.
func Flatten(s *Snapshot) *Flat {
	f := &Flat{others: map[string][]Member{}}
	f.intern(s)
	f.buildDirect(s)
	f.buildTransitive()
	return f
}

func (f *Flat) intern(s *Snapshot) {
	gset := make(map[string]struct{}, len(s.Groups)+len(s.Members))
	uset := make(map[string]struct{}, len(s.Users))
	for i := range s.Groups {
		gset[s.Groups[i].ID] = struct{}{}
	}
	for i := range s.Users {
		uset[s.Users[i].ID] = struct{}{}
	}
	for gid, ms := range s.Members {
		gset[gid] = struct{}{}
		for _, m := range ms {
			switch m.Kind {
			case MemberGroup:
				gset[m.ID] = struct{}{}
			case MemberUser:
				uset[m.ID] = struct{}{}
			}
		}
	}
	f.groupIDs, f.gIndex = internSorted(gset)
	f.userIDs, f.uIndex = internSorted(uset)
}

func internSorted(set map[string]struct{}) ([]string, map[string]int32) {
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	idx := make(map[string]int32, len(ids))
	for i, id := range ids {
		idx[id] = int32(i)
	}
	return ids, idx
}

func (f *Flat) buildDirect(s *Snapshot) {
	n := len(f.groupIDs)
	childCnt := make([]int32, n+1)
	parentCnt := make([]int32, n+1)
	userCnt := make([]int32, n+1)
	// One pass resolves every id to its index (the map lookups are most of the cost); the
	// second pass places them.
	type edge struct{ g, to int32 }
	var childEdges, userEdges []edge
	total := 0
	for _, ms := range s.Members {
		total += len(ms)
	}
	userEdges = make([]edge, 0, total)
	for gid, ms := range s.Members {
		g := f.gIndex[gid]
		for _, m := range ms {
			switch m.Kind {
			case MemberGroup:
				c := f.gIndex[m.ID]
				childEdges = append(childEdges, edge{g, c})
				childCnt[g+1]++
				parentCnt[c+1]++
			case MemberUser:
				userEdges = append(userEdges, edge{g, f.uIndex[m.ID]})
				userCnt[g+1]++
			default:
				f.others[gid] = append(f.others[gid], m)
			}
		}
	}
	prefix := func(c []int32) {
		for i := 1; i < len(c); i++ {
			c[i] += c[i-1]
		}
	}
	prefix(childCnt)
	prefix(parentCnt)
	prefix(userCnt)
	f.childOff, f.parentOff, f.userOff = childCnt, parentCnt, userCnt
	f.child = make([]int32, childCnt[n])
	f.parent = make([]int32, parentCnt[n])
	f.user = make([]int32, userCnt[n])
	cpos := slices.Clone(childCnt[:n])
	ppos := slices.Clone(parentCnt[:n])
	upos := slices.Clone(userCnt[:n])
	for _, e := range childEdges {
		f.child[cpos[e.g]] = e.to
		cpos[e.g]++
		f.parent[ppos[e.to]] = e.g
		ppos[e.to]++
	}
	for _, e := range userEdges {
		f.user[upos[e.g]] = e.to
		upos[e.g]++
	}
	// Sorted, de-duplicated adjacency makes results deterministic whatever the map order was
	// (Graph may list the same member twice across delta pages).
	for g := 0; g < n; g++ {
		f.child, f.childOff = sortDedupRange(f.child, f.childOff, g)
		f.parent, f.parentOff = sortDedupRange(f.parent, f.parentOff, g)
		f.user, f.userOff = sortDedupRange(f.user, f.userOff, g)
	}
	f.child = compactCSR(f.child, f.childOff)
	f.parent = compactCSR(f.parent, f.parentOff)
	f.user = compactCSR(f.user, f.userOff)
}

// sortDedupRange sorts row g in place and marks duplicates with -1 for compactCSR.
func sortDedupRange(data, off []int32, g int) ([]int32, []int32) {
	row := data[off[g]:off[g+1]]
	slices.Sort(row)
	last := int32(-2)
	for i, v := range row {
		if v == last {
			row[i] = -1
		} else {
			last = v
		}
	}
	return data, off
}

// compactCSR drops the -1 markers and rewrites the offsets.
func compactCSR(data, off []int32) []int32 {
	w := int32(0)
	for g := 0; g+1 < len(off); g++ {
		start := w
		for _, v := range data[off[g]:off[g+1]] {
			if v != -1 {
				data[w] = v
				w++
			}
		}
		off[g] = start
	}
	off[len(off)-1] = w
	return data[:w:w]
}

// rootResult is one group's walk before it is packed into the CSR arrays.
type rootResult struct {
	pairs []uint64 // user<<32 | via
	desc  []uint64 // group<<32 | bfs parent
}

func (f *Flat) buildTransitive() {
	n := len(f.groupIDs)
	results := make([]rootResult, n)
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	var next atomic.Int64
	take := func() int { return int(next.Add(1) - 1) }
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := newWalker(n, len(f.userIDs))
			for g := take(); g < n; g = take() {
				results[g] = wk.walk(f, int32(g))
			}
		}()
	}
	wg.Wait()

	f.memOff = make([]int32, n+1)
	f.descOff = make([]int32, n+1)
	var totalMem, totalDesc int
	for g := range results {
		totalMem += len(results[g].pairs)
		totalDesc += len(results[g].desc)
		f.memOff[g+1] = int32(totalMem)
		f.descOff[g+1] = int32(totalDesc)
	}
	f.mem = make([]int32, totalMem)
	f.via = make([]int32, totalMem)
	f.desc = make([]int32, totalDesc)
	f.descParent = make([]int32, totalDesc)
	for g := range results {
		base := f.memOff[g]
		for i, p := range results[g].pairs {
			f.mem[base+int32(i)] = int32(p >> 32)
			f.via[base+int32(i)] = int32(uint32(p))
		}
		base = f.descOff[g]
		for i, p := range results[g].desc {
			f.desc[base+int32(i)] = int32(p >> 32)
			f.descParent[base+int32(i)] = int32(uint32(p))
		}
		results[g] = rootResult{}
	}
}

// walker holds one goroutine's scratch state; stamps avoid clearing arrays between roots.
type walker struct {
	gStamp, uStamp []int32
	stamp          int32
	queue          []int32
	pairs, desc    []uint64 // scratch; results are copied out at their exact size
}

func newWalker(groups, users int) *walker {
	return &walker{gStamp: make([]int32, groups), uStamp: make([]int32, users)}
}

// walk is a breadth-first search over the subgroups of root. Because groups are dequeued in order
// of depth, the first group seen holding a user directly is at the shortest depth, and the BFS tree
// edge into each group lies on a shortest path from the root.
func (w *walker) walk(f *Flat, root int32) rootResult {
	w.stamp++
	s := w.stamp
	pairs, desc := w.pairs[:0], w.desc[:0]
	w.queue = append(w.queue[:0], root)
	w.gStamp[root] = s
	for head := 0; head < len(w.queue); head++ {
		g := w.queue[head]
		for _, u := range f.user[f.userOff[g]:f.userOff[g+1]] {
			if w.uStamp[u] != s {
				w.uStamp[u] = s
				pairs = append(pairs, uint64(u)<<32|uint64(uint32(g)))
			}
		}
		for _, c := range f.child[f.childOff[g]:f.childOff[g+1]] {
			if w.gStamp[c] != s {
				w.gStamp[c] = s
				w.queue = append(w.queue, c)
				desc = append(desc, uint64(c)<<32|uint64(uint32(g)))
			}
		}
	}
	slices.Sort(pairs)
	slices.Sort(desc)
	w.pairs, w.desc = pairs, desc
	return rootResult{pairs: slices.Clone(pairs), desc: slices.Clone(desc)}
}

// Groups returns every group id known to the flattening, sorted.
func (f *Flat) Groups() []string { return f.groupIDs }

// HasGroup reports whether id is a known group.
func (f *Flat) HasGroup(id string) bool { _, ok := f.gIndex[id]; return ok }

// groupNames is the names (in ids) of a group's range of edges (edges[off[g]:off[g+1]]); nil
// for an unknown group.
func (f *Flat) groupNames(groupID string, ids []string, edges, off []int32) []string {
	g, ok := f.gIndex[groupID]
	if !ok {
		return nil
	}
	return f.names(ids, edges[off[g]:off[g+1]])
}

// Members returns the transitive user members of a group, sorted by id; nil for an unknown group.
func (f *Flat) Members(groupID string) []string {
	return f.groupNames(groupID, f.userIDs, f.mem, f.memOff)
}

// MemberCount is len(Members(groupID)) without building the slice.
func (f *Flat) MemberCount(groupID string) int {
	g, ok := f.gIndex[groupID]
	if !ok {
		return 0
	}
	return int(f.memOff[g+1] - f.memOff[g])
}

// IsMember reports whether userID is a transitive member of groupID.
func (f *Flat) IsMember(groupID, userID string) bool {
	_, ok := f.pair(groupID, userID)
	return ok
}

// DirectUsers returns the users that are direct members of a group, sorted by id.
func (f *Flat) DirectUsers(groupID string) []string {
	return f.groupNames(groupID, f.userIDs, f.user, f.userOff)
}

// Subgroups returns the transitive subgroups of a group, sorted by id. The group itself is not
// included even when a cycle leads back to it.
func (f *Flat) Subgroups(groupID string) []string {
	g, ok := f.gIndex[groupID]
	if !ok {
		return nil
	}
	out := make([]string, 0, f.descOff[g+1]-f.descOff[g])
	for _, d := range f.desc[f.descOff[g]:f.descOff[g+1]] {
		if d != g {
			out = append(out, f.groupIDs[d])
		}
	}
	return out
}

// Children returns the direct subgroups of a group, sorted by id.
func (f *Flat) Children(groupID string) []string {
	return f.groupNames(groupID, f.groupIDs, f.child, f.childOff)
}

// Parents returns the groups that have groupID as a direct member, sorted by id.
func (f *Flat) Parents(groupID string) []string {
	return f.groupNames(groupID, f.groupIDs, f.parent, f.parentOff)
}

// Others returns a group's direct members that are neither users nor groups (service principals,
// devices, org contacts): they are never synced, and the report names them.
func (f *Flat) Others(groupID string) []Member { return f.others[groupID] }

// Chain returns one shortest chain of group ids from groupID down to the group holding userID
// directly: [groupID] for a direct member, [groupID, child, ...] otherwise; nil when userID is not a
// transitive member.
func (f *Flat) Chain(groupID, userID string) []string {
	i, ok := f.pair(groupID, userID)
	if !ok {
		return nil
	}
	g := f.gIndex[groupID]
	var rev []int32
	for cur := f.via[i]; cur != g; {
		rev = append(rev, cur)
		cur = f.bfsParent(g, cur)
	}
	out := make([]string, 0, len(rev)+1)
	out = append(out, groupID)
	for j := len(rev) - 1; j >= 0; j-- {
		out = append(out, f.groupIDs[rev[j]])
	}
	return out
}

// Via returns the direct group through which userID is a member of groupID: the last group of
// Chain, without building the chain (a planner asks it for each of millions of memberships and
// builds the chain once per direct group).
func (f *Flat) Via(groupID, userID string) (string, bool) {
	i, ok := f.pair(groupID, userID)
	if !ok {
		return "", false
	}
	return f.groupIDs[f.via[i]], true
}

// UserGroups returns the groups a user belongs to transitively, sorted by id. The inverse index is
// built on first use.
func (f *Flat) UserGroups(userID string) []string {
	u, ok := f.uIndex[userID]
	if !ok {
		return nil
	}
	f.userGroupsOnce.Do(f.buildUserGroups)
	return f.names(f.groupIDs, f.ug[f.ugOff[u]:f.ugOff[u+1]])
}

// Pairs is the number of (group, transitive user member) pairs.
func (f *Flat) Pairs() int { return len(f.mem) }

func (f *Flat) buildUserGroups() {
	nu := len(f.userIDs)
	off := make([]int32, nu+1)
	for _, u := range f.mem {
		off[u+1]++
	}
	for i := 1; i <= nu; i++ {
		off[i] += off[i-1]
	}
	pos := slices.Clone(off[:nu])
	ug := make([]int32, len(f.mem))
	// Groups are visited in index order, so each user's row comes out sorted.
	for g := 0; g+1 < len(f.memOff); g++ {
		for _, u := range f.mem[f.memOff[g]:f.memOff[g+1]] {
			ug[pos[u]] = int32(g)
			pos[u]++
		}
	}
	f.ugOff, f.ug = off, ug
}

func (f *Flat) pair(groupID, userID string) (int32, bool) {
	g, ok := f.gIndex[groupID]
	if !ok {
		return 0, false
	}
	u, ok := f.uIndex[userID]
	if !ok {
		return 0, false
	}
	row := f.mem[f.memOff[g]:f.memOff[g+1]]
	j, found := slices.BinarySearch(row, u)
	if !found {
		return 0, false
	}
	return f.memOff[g] + int32(j), true
}

func (f *Flat) bfsParent(root, g int32) int32 {
	row := f.desc[f.descOff[root]:f.descOff[root+1]]
	j, found := slices.BinarySearch(row, g)
	if !found {
		panic("directory: BFS tree broken") // an invariant of walk, not input-dependent
	}
	return f.descParent[f.descOff[root]+int32(j)]
}

func (f *Flat) names(table []string, idx []int32) []string {
	if len(idx) == 0 {
		return []string{}
	}
	out := make([]string, len(idx))
	for i, v := range idx {
		out[i] = table[v]
	}
	return out
}
