package report

import (
	"hash/maphash"
	"sort"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// RunRef identifies one side of a comparison.
type RunRef struct {
	RunID      string    `json:"runId"`
	Kind       Kind      `json:"kind"`
	Status     Status    `json:"status"`
	Started    time.Time `json:"started"`
	TenantName string    `json:"tenantName"`
	TenantID   string    `json:"tenantId"`
	Directory  string    `json:"directory"`
	Operations int       `json:"operations"`
	Skips      int       `json:"skips"`
}

// DiffOp is one operation as a comparison shows it.
type DiffOp struct {
	Action  Action   `json:"action"`
	Group   string   `json:"group,omitempty"` // memberships: the group's name
	Result  Result   `json:"result"`
	Code    string   `json:"code,omitempty"`
	Message string   `json:"message,omitempty"`
	Changes []Change `json:"changes,omitempty"`
}

// DiffChanged is one operation present in both runs whose result or attribute changes differ.
type DiffChanged struct {
	Action        Action   `json:"action"`
	Group         string   `json:"group,omitempty"`
	ResultA       Result   `json:"resultA"`
	ResultB       Result   `json:"resultB"`
	CodeA         string   `json:"codeA,omitempty"`
	CodeB         string   `json:"codeB,omitempty"`
	ChangesA      []Change `json:"changesA,omitempty"`
	ChangesB      []Change `json:"changesB,omitempty"`
	ResultChanged bool     `json:"resultChanged"`
	ChangesDiffer bool     `json:"changesDiffer"`
}

// ObjectDiff is what changed for one user or group between run A and run B. Membership operations
// are listed under the user; the group gets the counts of its membership differences.
type ObjectDiff struct {
	Type           string        `json:"type"` // "user" | "group"
	Name           string        `json:"name"`
	Email          string        `json:"email,omitempty"`
	EntraID        string        `json:"entraId,omitempty"`
	AtlassianID    string        `json:"atlassianId,omitempty"`
	Added          []DiffOp      `json:"added,omitempty"`   // in B only
	Removed        []DiffOp      `json:"removed,omitempty"` // in A only
	Changed        []DiffChanged `json:"changed,omitempty"`
	SkipA          string        `json:"skipA,omitempty"` // reason it was left out in A
	SkipB          string        `json:"skipB,omitempty"`
	MembersAdded   int           `json:"membersAdded,omitempty"`   // groups: membership operations in B only
	MembersRemoved int           `json:"membersRemoved,omitempty"` // groups: membership operations in A only
	MembersChanged int           `json:"membersChanged,omitempty"`
}

// DiffTotals sums a comparison.
type DiffTotals struct {
	Objects       int `json:"objects"` // users and groups with any difference
	Users         int `json:"users"`
	Groups        int `json:"groups"`
	Added         int `json:"added"`
	Removed       int `json:"removed"`
	ResultChanged int `json:"resultChanged"`
	ChangesDiffer int `json:"changesDiffer"`
	SkipChanged   int `json:"skipChanged"`
}

// ReportDiff is the comparison of two reports (two runs, or two files), JSON-friendly for the
// screens and printable by the CLI.
type ReportDiff struct {
	A             RunRef       `json:"a"`
	B             RunRef       `json:"b"`
	SameTenant    bool         `json:"sameTenant"`
	SameDirectory bool         `json:"sameDirectory"`
	Totals        DiffTotals   `json:"totals"`
	Objects       []ObjectDiff `json:"objects"` // users first, then groups, each by name
}

func runRef(r *Report) RunRef {
	return RunRef{RunID: r.RunID, Kind: r.Kind, Status: r.Status, Started: r.Started, TenantName: r.Tenant.Name,
		TenantID: r.Tenant.ID, Directory: r.Directory.Name, Operations: len(r.Operations), Skips: len(r.Skips)}
}

// objectKey identifies an object across runs: its Entra id, else its Atlassian id, else its email
// or name (case-insensitive).
func objectKey(o *ObjectRef) string {
	t := o.Type
	if t == "" {
		t = "user"
	}
	switch {
	case o.EntraID != "":
		return t + "\x00e" + o.EntraID
	case o.AtlassianID != "":
		return t + "\x00a" + o.AtlassianID
	case o.Email != "":
		return t + "\x00m" + strings.ToLower(o.Email)
	}
	return t + "\x00n" + strings.ToLower(o.Name)
}

type opKey struct {
	object string
	action Action
	group  string
}

func keyOf(op *Operation) opKey {
	k := opKey{object: objectKey(&op.Object), action: op.Action}
	if op.Group != nil {
		g := *op.Group
		g.Type = "group"
		k.group = objectKey(&g)
	}
	return k
}

func diffOp(op *Operation) DiffOp {
	d := DiffOp{Action: op.Action, Result: op.Result, Code: op.Code, Message: op.Message, Changes: op.Changes}
	if op.Group != nil {
		d.Group = op.Group.Name
	}
	return d
}

func changesEqual(a, b []Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Diff compares run a with run b: per user and per group, the operations new in b, gone from a,
// and those whose result or attribute changes differ, plus changes in what was left out of scope.
func Diff(a, b *Report) *ReportDiff {
	d, _ := DiffViews(NewView(a, nil), NewView(b, nil))
	return d
}

// Comparing bounds (issue 14 point 3): the comparison holds a 16-byte key and an index per
// operation and skip of A (about 30 bytes with the map), and the differences themselves; past
// these it stops with report_too_large instead of growing. 2,000,000 operations is a first sync
// of Atlassian's default 150,000 users in 12 groups each; 1,000,000 differences is 200 times
// what the screen lists.
const (
	maxCompareEntries = 2_000_000
	maxDiffDetails    = 1_000_000
)

// lister is what a comparison reads of a report: its operations and skips in order, and one
// operation of A again by index. A view opened from a file reads them from disk.
type lister struct {
	v          *View
	cur        *cursor // random access into A's operations
	nOps, nSks int
}

func newLister(v *View) *lister {
	l := &lister{v: v}
	if v.ops != nil {
		l.nOps, l.nSks, l.cur = v.ops.n, v.skips.n, v.ops.cursor()
	} else {
		l.nOps, l.nSks = len(v.Report.Operations), len(v.Report.Skips)
	}
	return l
}

func (l *lister) eachOp(fn func(i int, op *Operation)) error {
	return eachRecord(l.v.ops, l.nOps, l.v.Report.Operations, (*cursor).operation, fn)
}

// eachRecord hands fn the n records of one list of a view in order: from the report in memory
// (mem) when the view has no spool sp, else each read through one cursor of it, the first failed
// read ending the walk with its error.
func eachRecord[T any](sp *spool, n int, mem []T, read func(*cursor, int) (T, bool), fn func(int, *T)) error {
	if sp == nil {
		for i := range mem {
			fn(i, &mem[i])
		}
		return nil
	}
	c := sp.cursor()
	for i := 0; i < n; i++ {
		x, ok := read(c, i)
		if !ok {
			return c.err
		}
		fn(i, &x)
	}
	return nil
}

func (l *lister) opAt(i int) (Operation, error) {
	if l.v.ops == nil {
		return l.v.Report.Operations[i], nil
	}
	op, ok := l.cur.operation(i)
	if !ok {
		return op, l.cur.err
	}
	return op, nil
}

func (l *lister) eachSkip(fn func(i int, s *Skip)) error {
	return eachRecord(l.v.skips, l.nSks, l.v.Report.Skips, (*cursor).skip, fn)
}

// keyHash is a 128-bit digest of an operation's or skip's identity: the comparison's index holds
// it instead of the strings, whose size the file decides.
type keyHash [2]uint64

var diffSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func hashKey(parts ...string) keyHash {
	var k keyHash
	for j := range k {
		var h maphash.Hash
		h.SetSeed(diffSeeds[j])
		for _, p := range parts {
			h.WriteString(p)
			h.WriteByte(0)
		}
		k[j] = h.Sum64()
	}
	return k
}

func opHash(op *Operation) keyHash {
	k := keyOf(op)
	return hashKey(k.object, string(k.action), k.group)
}

func tooManyToCompare(what string, n int) error {
	return apperr.New(apperr.ReportTooLarge, "a report with more than %d %s cannot be compared", n, what).
		WithAction("Compare smaller reports, or export both as CSV and compare those.")
}

// DiffViews compares the reports of two views (opened from files: read from disk) within the
// comparing bounds.
func DiffViews(va, vb *View) (*ReportDiff, error) {
	a, b := newLister(va), newLister(vb)
	for _, l := range []*lister{a, b} {
		if l.nOps > maxCompareEntries {
			return nil, tooManyToCompare("operations", maxCompareEntries)
		}
		if l.nSks > maxCompareEntries {
			return nil, tooManyToCompare("skips", maxCompareEntries)
		}
	}
	d := &ReportDiff{A: runRef(va.Report), B: runRef(vb.Report),
		SameTenant: va.Report.Tenant.ID == vb.Report.Tenant.ID, SameDirectory: va.Report.Directory.ID == vb.Report.Directory.ID}
	d.A.Operations, d.A.Skips, d.B.Operations, d.B.Skips = a.nOps, a.nSks, b.nOps, b.nSks
	objs := map[string]*ObjectDiff{}
	details := 0
	var over error
	get := func(o *ObjectRef) *ObjectDiff {
		k := objectKey(o)
		od := objs[k]
		if od == nil {
			t := o.Type
			if t == "" {
				t = "user"
			}
			od = &ObjectDiff{Type: t, Name: o.Name, Email: o.Email, EntraID: o.EntraID, AtlassianID: o.AtlassianID}
			objs[k] = od
		}
		if od.AtlassianID == "" {
			od.AtlassianID = o.AtlassianID
		}
		if details++; details > maxDiffDetails && over == nil {
			over = apperr.New(apperr.ReportTooLarge, "the two reports differ in more than %d places", maxDiffDetails).
				WithAction("Compare reports of runs closer in time, or export both as CSV and compare those.")
		}
		return od
	}
	groupCount := func(op *Operation, f func(*ObjectDiff)) {
		if op.Group != nil {
			g := *op.Group
			g.Type = "group"
			f(get(&g))
		}
	}

	inA := make(map[keyHash]int32, a.nOps)
	if err := a.eachOp(func(i int, op *Operation) { inA[opHash(op)] = int32(i) }); err != nil {
		return nil, err
	}
	matched := make([]bool, a.nOps)
	var aerr error
	if err := b.eachOp(func(_ int, opB *Operation) {
		if over != nil || aerr != nil {
			return
		}
		j, ok := inA[opHash(opB)]
		if !ok || matched[j] {
			od := get(&opB.Object)
			od.Added = append(od.Added, diffOp(opB))
			d.Totals.Added++
			groupCount(opB, func(g *ObjectDiff) { g.MembersAdded++ })
			return
		}
		matched[j] = true
		opA, err := a.opAt(int(j))
		if err != nil {
			aerr = err
			return
		}
		rc := opA.Result != opB.Result || opA.Code != opB.Code
		cd := !changesEqual(opA.Changes, opB.Changes)
		if !rc && !cd {
			return
		}
		od := get(&opB.Object)
		c := DiffChanged{Action: opB.Action, ResultA: opA.Result, ResultB: opB.Result, CodeA: opA.Code, CodeB: opB.Code,
			ResultChanged: rc, ChangesDiffer: cd}
		if cd {
			c.ChangesA, c.ChangesB = opA.Changes, opB.Changes
		}
		if opB.Group != nil {
			c.Group = opB.Group.Name
		}
		od.Changed = append(od.Changed, c)
		if rc {
			d.Totals.ResultChanged++
		}
		if cd {
			d.Totals.ChangesDiffer++
		}
		groupCount(opB, func(g *ObjectDiff) { g.MembersChanged++ })
	}); err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, aerr
	}
	inA = nil
	if err := a.eachOp(func(j int, opA *Operation) {
		if matched[j] || over != nil {
			return
		}
		od := get(&opA.Object)
		od.Removed = append(od.Removed, diffOp(opA))
		d.Totals.Removed++
		groupCount(opA, func(g *ObjectDiff) { g.MembersRemoved++ })
	}); err != nil {
		return nil, err
	}
	matched = nil

	// Skips: A's by key (hashed) with the index of their reason; B's seen, by key.
	type skipA struct {
		i      int32
		reason keyHash
	}
	skipsA := make(map[keyHash]skipA, a.nSks)
	if err := a.eachSkip(func(i int, s *Skip) {
		skipsA[hashKey(objectKey(&s.Object))] = skipA{int32(i), hashKey(s.Reason)}
	}); err != nil {
		return nil, err
	}
	reasonA := map[int32]string{} // the reasons of A's skips whose object B skips otherwise
	seenB := make(map[keyHash]bool, b.nSks)
	var changedB []Skip
	if err := b.eachSkip(func(_ int, s *Skip) {
		k := hashKey(objectKey(&s.Object))
		seenB[k] = true
		if sa, ok := skipsA[k]; ok && sa.reason == hashKey(s.Reason) {
			return
		}
		if over == nil {
			changedB = append(changedB, *s)
			get(&s.Object) // counts toward the bound
		}
	}); err != nil {
		return nil, err
	}
	for _, s := range changedB {
		if sa, ok := skipsA[hashKey(objectKey(&s.Object))]; ok {
			reasonA[sa.i] = ""
		}
	}
	if err := a.eachSkip(func(i int, s *Skip) {
		if _, ok := reasonA[int32(i)]; ok {
			reasonA[int32(i)] = s.Reason
		}
		if !seenB[hashKey(objectKey(&s.Object))] && over == nil {
			od := get(&s.Object)
			od.SkipA = s.Reason
			d.Totals.SkipChanged++
		}
	}); err != nil {
		return nil, err
	}
	for _, s := range changedB {
		od := get(&s.Object)
		if sa, ok := skipsA[hashKey(objectKey(&s.Object))]; ok {
			od.SkipA = reasonA[sa.i]
		}
		od.SkipB = s.Reason
		d.Totals.SkipChanged++
	}
	if over != nil {
		return nil, over
	}

	d.Objects = make([]ObjectDiff, 0, len(objs))
	for _, od := range objs {
		if len(od.Added)+len(od.Removed)+len(od.Changed) == 0 && od.SkipA == od.SkipB &&
			od.MembersAdded+od.MembersRemoved+od.MembersChanged == 0 {
			continue
		}
		d.Objects = append(d.Objects, *od)
		if od.Type == "group" {
			d.Totals.Groups++
		} else {
			d.Totals.Users++
		}
	}
	d.Totals.Objects = len(d.Objects)
	sort.Slice(d.Objects, func(i, j int) bool {
		x, y := &d.Objects[i], &d.Objects[j]
		if x.Type != y.Type {
			return objectRank(x.Type) < objectRank(y.Type)
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.EntraID < y.EntraID
	})
	return d, nil
}
