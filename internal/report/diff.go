package report

import (
	"sort"
	"strings"
	"time"
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
	d := &ReportDiff{A: runRef(a), B: runRef(b),
		SameTenant: a.Tenant.ID == b.Tenant.ID, SameDirectory: a.Directory.ID == b.Directory.ID}
	objs := map[string]*ObjectDiff{}
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
		return od
	}
	groupCount := func(op *Operation, f func(*ObjectDiff)) {
		if op.Group != nil {
			g := *op.Group
			g.Type = "group"
			f(get(&g))
		}
	}

	inA := make(map[opKey]int, len(a.Operations))
	for i := range a.Operations {
		inA[keyOf(&a.Operations[i])] = i
	}
	matched := make([]bool, len(a.Operations))
	for i := range b.Operations {
		opB := &b.Operations[i]
		k := keyOf(opB)
		j, ok := inA[k]
		if !ok || matched[j] {
			od := get(&opB.Object)
			od.Added = append(od.Added, diffOp(opB))
			d.Totals.Added++
			groupCount(opB, func(g *ObjectDiff) { g.MembersAdded++ })
			continue
		}
		matched[j] = true
		opA := &a.Operations[j]
		rc := opA.Result != opB.Result || opA.Code != opB.Code
		cd := !changesEqual(opA.Changes, opB.Changes)
		if !rc && !cd {
			continue
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
	}
	for j := range a.Operations {
		if matched[j] {
			continue
		}
		opA := &a.Operations[j]
		od := get(&opA.Object)
		od.Removed = append(od.Removed, diffOp(opA))
		d.Totals.Removed++
		groupCount(opA, func(g *ObjectDiff) { g.MembersRemoved++ })
	}

	skipsA := map[string]string{}
	for i := range a.Skips {
		skipsA[objectKey(&a.Skips[i].Object)] = a.Skips[i].Reason
	}
	seenB := map[string]bool{}
	for i := range b.Skips {
		s := &b.Skips[i]
		k := objectKey(&s.Object)
		seenB[k] = true
		if ra, ok := skipsA[k]; ok && ra == s.Reason {
			continue
		}
		od := get(&s.Object)
		od.SkipA, od.SkipB = skipsA[k], s.Reason
		d.Totals.SkipChanged++
	}
	for i := range a.Skips {
		s := &a.Skips[i]
		k := objectKey(&s.Object)
		if seenB[k] {
			continue
		}
		od := get(&s.Object)
		od.SkipA = s.Reason
		d.Totals.SkipChanged++
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
	return d
}
