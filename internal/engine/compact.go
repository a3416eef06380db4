package engine

import (
	"iter"
	"slices"
	"sort"
	"strings"

	"github.com/idpsync/idpsync/internal/report"
)

// The plan stores its membership changes compactly: one memberSet per group and action, each
// member an index into the plan's table of the people memberships name, plus one into its table
// of chains. An Op of 200 bytes per flattened membership (2.87 M in bench scenario L, 8 M at
// Atlassian's maxima) made the plan the largest thing a run held; a membership now costs 8 bytes
// here, and the Op a screen, a report or the apply needs is materialised when it asks (Op, All).
//
// Plan order is unchanged: the ops of phases 0–1 (groups, users), then the memberships added
// (phase 2) and removed (phase 3), group by group in group-name order and within a group by
// email, name and ids, then the ops of phases 4–5. Scope keeps one desired group per name
// (case-insensitive: ReasonDuplicateGroupName), so ordering whole sets by name orders their
// memberships exactly as sorting every membership op by group name did.

// person is who a membership op names: shared by all the memberships of one user in the plan.
type person struct {
	EntraID, SCIMID, Name, Email string
	Reason                       string // removes: why the user is no longer a member
}

// memberSet is the membership changes of one group with one action (add or remove).
type memberSet struct {
	action report.Action
	group  *GroupRef
	who    []int32 // into Plan.people, in plan order
	chain  []int32 // adds: into Plan.chains, parallel to who (-1: no chain); nil for removes
}

// Len is the number of operations of the plan.
func (p *Plan) Len() int { return len(p.ops) + p.members }

// isMember reports whether plan index i is a membership; then k is its offset in the memberships.
func (p *Plan) isMember(i int) (k int, ok bool) {
	k = i - p.mid
	return k, k >= 0 && k < p.members
}

// locate finds the set and the position in it of membership offset k.
func (p *Plan) locate(k int) (set, pos int) {
	s := sort.Search(len(p.setStart), func(j int) bool { return p.setStart[j] > k }) - 1
	return s, k - p.setStart[s]
}

// Op materialises the operation at plan index i (0-based; its Seq is i+1). The op of a user or
// group is a copy of the stored one.
func (p *Plan) Op(i int) Op {
	if k, ok := p.isMember(i); ok {
		s, pos := p.locate(k)
		return p.memberOp(i, s, pos)
	}
	return *p.basic(i)
}

// Action is the action of the operation at plan index i, without materialising it.
func (p *Plan) Action(i int) report.Action {
	if k, ok := p.isMember(i); ok {
		s, _ := p.locate(k)
		return p.sets[s].action
	}
	return p.basic(i).Action
}

// basic is the stored op of a user or group at plan index i (not a membership).
func (p *Plan) basic(i int) *Op {
	if i >= p.mid {
		i -= p.members
	}
	return &p.ops[i]
}

func (p *Plan) memberOp(i, s, pos int) Op {
	set := &p.sets[s]
	who := &p.people[set.who[pos]]
	op := Op{Seq: i + 1, Action: set.action, EntraID: who.EntraID, SCIMID: who.SCIMID, Name: who.Name, Email: who.Email,
		Group: set.group, Reason: who.Reason}
	if set.chain != nil {
		if c := set.chain[pos]; c >= 0 {
			op.Chain = p.chains[c]
		}
	}
	return op
}

// person is who the membership at plan index i names.
func (p *Plan) person(i int) *person {
	k, _ := p.isMember(i)
	s, pos := p.locate(k)
	return &p.people[p.sets[s].who[pos]]
}

// scimID is the SCIM id the operation at plan index i names (its user's for a membership).
func (p *Plan) scimID(i int) string {
	if k, ok := p.isMember(i); ok {
		s, pos := p.locate(k)
		return p.people[p.sets[s].who[pos]].SCIMID
	}
	return p.basic(i).SCIMID
}

// entraID is the Entra id the operation at plan index i names.
func (p *Plan) entraID(i int) string {
	if k, ok := p.isMember(i); ok {
		s, pos := p.locate(k)
		return p.people[p.sets[s].who[pos]].EntraID
	}
	return p.basic(i).EntraID
}

// All yields every operation in plan order, materialising one at a time.
func (p *Plan) All() iter.Seq2[int, Op] {
	return func(yield func(int, Op) bool) {
		for i := 0; i < p.mid; i++ {
			if !yield(i, p.ops[i]) {
				return
			}
		}
		i := p.mid
		for s := range p.sets {
			for pos := range p.sets[s].who {
				if !yield(i, p.memberOp(i, s, pos)) {
					return
				}
				i++
			}
		}
		for j := p.mid; j < len(p.ops); j++ {
			if !yield(j+p.members, p.ops[j]) {
				return
			}
		}
	}
}

// Operations materialises the whole plan: for tests and small plans; a large plan's callers
// use All, Op or Action.
func (p *Plan) Operations() []Op {
	out := make([]Op, 0, p.Len())
	for _, op := range p.All() {
		out = append(out, op)
	}
	return out
}

// PlannedResult is the result of the operation at plan index i before any apply: planned, or
// skipped for a held conflict.
func (p *Plan) PlannedResult(i int) report.Result {
	if p.Action(i) == report.ConflictGroup {
		return report.ResultSkipped
	}
	return report.ResultPlanned
}

// Count is the number of operations with action a.
func (p *Plan) Count(a report.Action) int {
	n := 0
	for i := range p.ops {
		if p.ops[i].Action == a {
			n++
		}
	}
	for s := range p.sets {
		if p.sets[s].action == a {
			n += len(p.sets[s].who)
		}
	}
	return n
}

// people indexes the plan's person table while planning.
type peopleIndex struct {
	byEntra map[string]int32 // adds: by Entra user id
	bySCIM  map[string]int32 // removes: by SCIM user id
}

// addPerson returns the index of the person keyed k in idx, adding it with mk when new.
func (pl *planner) addPerson(idx map[string]int32, k string, mk func() person) int32 {
	if i, ok := idx[k]; ok {
		return i
	}
	i := int32(len(pl.p.people))
	pl.p.people = append(pl.p.people, mk())
	idx[k] = i
	return i
}

// addSet adds a group's membership changes to the plan (an empty set adds nothing).
func (pl *planner) addSet(s memberSet) {
	if len(s.who) > 0 {
		pl.p.sets = append(pl.p.sets, s)
	}
}

// finishMembers puts the memberships in plan order: each set's members by email, name and ids
// (equal ones stay in the order the planner found them), the sets by phase and group
// name; then indexes where each set starts.
func (p *Plan) finishMembers() {
	for s := range p.sets {
		set := &p.sets[s]
		perm := make([]int32, len(set.who))
		for j := range perm {
			perm[j] = int32(j)
		}
		// pdqsort with the position as the last key: stable, and much cheaper than a stable
		// sort's rotations on a group of 290,000 members.
		slices.SortFunc(perm, func(x, y int32) int {
			a, b := &p.people[set.who[x]], &p.people[set.who[y]]
			if c := compareWho(a.Email, a.Name, a.EntraID, a.SCIMID, b.Email, b.Name, b.EntraID, b.SCIMID); c != 0 {
				return c
			}
			return int(x - y)
		})
		who := make([]int32, len(perm))
		for j, x := range perm {
			who[j] = set.who[x]
		}
		set.who = who
		if set.chain != nil {
			chain := make([]int32, len(perm))
			for j, x := range perm {
				chain[j] = set.chain[x]
			}
			set.chain = chain
		}
	}
	slices.SortStableFunc(p.sets, func(a, b memberSet) int {
		if c := phaseOf[a.action] - phaseOf[b.action]; c != 0 {
			return c
		}
		return strings.Compare(a.group.Name, b.group.Name)
	})
	p.setStart = make([]int, len(p.sets))
	p.members = 0
	for s := range p.sets {
		p.setStart[s] = p.members
		p.members += len(p.sets[s].who)
	}
}
