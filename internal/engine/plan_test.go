package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// synced returns the live state and mappings of an organization exactly in sync with d.
func synced(d *Desired) (*Live, []Mapping) {
	live := &Live{}
	var maps []Mapping
	for _, id := range sortedKeys(d.Users) {
		u := d.Users[id].SCIM
		if !u.Active {
			continue // disabled users are never created
		}
		u.ID = "s-" + id
		live.Users = append(live.Users, u)
		maps = append(maps, Mapping{Kind: "user", EntraID: id, SCIMID: u.ID, Managed: true})
	}
	for _, id := range sortedKeys(d.Groups) {
		g := d.Groups[id]
		lg := Group{ID: "sg-" + id, ExternalID: id, DisplayName: g.Name}
		for _, m := range g.Members {
			if d.Users[m].SCIM.Active {
				lg.Members = append(lg.Members, "s-"+m)
			}
		}
		live.Groups = append(live.Groups, lg)
		maps = append(maps, Mapping{Kind: "group", EntraID: id, SCIMID: lg.ID, Managed: true})
	}
	return live, maps
}

func ops(p *Plan, a report.Action) []Op {
	var out []Op
	for _, o := range p.Operations() {
		if o.Action == a {
			out = append(out, o)
		}
	}
	return out
}

func desc(p *Plan) string {
	var b strings.Builder
	for _, o := range p.Operations() {
		b.WriteString(string(o.Action) + " " + o.Name + " " + o.Email)
		if o.Group != nil {
			b.WriteString(" @" + o.Group.Name)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestPlanRules(t *testing.T) {
	st := norm(t, DefaultSettings())
	st.DeactivationMaxCount, st.DeactivationMaxPercent = 0, 0
	st.RemovalMaxCount, st.RemovalMaxPercent = 0, 0
	base := func() (*Desired, *Live, []Mapping) {
		d := Scope(fixture(), st, nil)
		live, maps := synced(d)
		return d, live, maps
	}
	t.Run("empty organization: groups, users, memberships with chains; disabled users not created", func(t *testing.T) {
		d := Scope(fixture(), st, nil)
		p := Compute(PlanInput{Desired: d, Live: &Live{}, Settings: st})
		if n := len(ops(p, report.CreateGroup)); n != 4 {
			t.Fatalf("create_group %d\n%s", n, desc(p))
		}
		if n := len(ops(p, report.CreateUser)); n != 4 {
			t.Fatalf("create_user %d\n%s", n, desc(p))
		}
		if skipReason(&Desired{Skips: p.Skips}, "u4") != ReasonDisabledNotCreated {
			t.Fatal("the disabled user must be skipped as disabled_not_created")
		}
		for _, o := range ops(p, report.AddMember) {
			if o.EntraID == "u5" && o.Group.Name == "Eng" && !slices.Equal(o.Chain, []string{"Eng", "Backend", "Core"}) {
				t.Fatalf("chain %v", o.Chain)
			}
			if o.EntraID == "u4" {
				t.Fatal("a user that will not exist cannot be added")
			}
		}
		// the order of phaseNames (apply.go): groups before the memberships that need them
		last := -1
		for _, o := range p.Operations() {
			if phaseOf[o.Action] < last {
				t.Fatalf("out of order: %s", o.Action)
			}
			last = phaseOf[o.Action]
		}
	})
	t.Run("in sync: nothing to do", func(t *testing.T) {
		d, live, maps := base()
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		if p.Len() != 0 {
			t.Fatalf("ops:\n%s", desc(p))
		}
		// and the mappings are a speed-up only: without them the live state still matches
		p = Compute(PlanInput{Desired: d, Live: live, Settings: st})
		if p.Len() != 0 {
			t.Fatalf("ops without mappings:\n%s", desc(p))
		}
	})
	t.Run("attribute change: update with old and new values", func(t *testing.T) {
		d, live, maps := base()
		live.Users[0].Title = "old title"
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		up := ops(p, report.UpdateUser)
		if len(up) != 1 || up[0].Changes[0].Attribute != AttrTitle || up[0].Changes[0].Old != "old title" {
			t.Fatalf("%+v", up)
		}
	})
	t.Run("existing account adopted by userName, case-insensitively", func(t *testing.T) {
		d, live, _ := base()
		live.Users[0].ExternalID = ""
		live.Users[0].UserName = strings.ToUpper(live.Users[0].UserName)
		p := Compute(PlanInput{Desired: d, Live: live, Settings: st})
		ad := ops(p, report.AdoptUser)
		if len(ad) != 1 || len(ops(p, report.CreateUser)) != 0 {
			t.Fatalf("\n%s", desc(p))
		}
	})
	// Adopting by userName must not hand one person's account to another: an account that holds
	// the name (in another letter case, and deactivated, as after its own Entra user was
	// deleted) but is linked to another Entra object is never adopted, changed or reactivated,
	// and nothing is created beside it (Atlassian would refuse it, 409). It only leaves the
	// synced groups, whose members are the desired users.
	t.Run("userName held by an account linked to another Entra user: username_taken, never adopted", func(t *testing.T) {
		d, live, _ := base()
		held := &live.Users[0]
		id := strings.TrimPrefix(held.ID, "s-")
		held.ExternalID, held.Active = "entra-object-deleted-long-ago", false
		held.UserName = strings.ToUpper(held.UserName[:1]) + held.UserName[1:]
		for _, maps := range [][]Mapping{nil, {{Kind: "user", EntraID: id, SCIMID: "s-elsewhere", Managed: true}}} {
			p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
			if r := skipReason(&Desired{Skips: p.Skips}, id); r != ReasonUserNameTaken {
				t.Fatalf("mappings %v: skip reason %q, want %s\n%s", maps, r, ReasonUserNameTaken, desc(p))
			}
			for _, o := range p.Operations() {
				if o.EntraID == id || o.SCIMID == held.ID && o.Action != report.RemoveMember {
					t.Fatalf("mappings %v: %s %s %s touches the held account or its would-be owner", maps, o.Action, o.Email, o.SCIMID)
				}
			}
		}
	})
	t.Run("disabled in Entra: deactivate; enabled again: reactivate", func(t *testing.T) {
		d, live, maps := base()
		live.Users = append(live.Users, User{ID: "s-u4", ExternalID: "u4", UserName: "dan@contoso.com", Active: true})
		live.Users[0].Active = false
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		de, re := ops(p, report.DeactivateUser), ops(p, report.ReactivateUser)
		if len(de) != 1 || de[0].EntraID != "u4" || len(re) != 1 || re[0].EntraID != live.Users[0].ExternalID {
			t.Fatalf("\n%s", desc(p))
		}
	})
	t.Run("managed user leaving scope is deactivated, an account made by hand is left alone", func(t *testing.T) {
		d, live, maps := base()
		live.Users = append(live.Users, User{ID: "s-u3", ExternalID: "u3", UserName: "cid@unverified.com", Active: true},
			User{ID: "hand", UserName: "hand@contoso.com", Active: true})
		maps = append(maps, Mapping{Kind: "user", EntraID: "u3", SCIMID: "s-u3", Managed: true})
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		de := ops(p, report.DeactivateUser)
		if len(de) != 1 || de[0].SCIMID != "s-u3" || !strings.Contains(de[0].Reason, ReasonUnverifiedDomain) {
			t.Fatalf("\n%s", desc(p))
		}
	})
	t.Run("rename: create new, add members, retire old", func(t *testing.T) {
		d, live, maps := base()
		for i := range live.Groups {
			if live.Groups[i].ExternalID == "gSales" {
				live.Groups[i].DisplayName = "Sales (old)"
			}
		}
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		if c, r, a := ops(p, report.CreateGroup), ops(p, report.RetireGroup), ops(p, report.AddMember); len(c) != 1 || c[0].Name != "Sales" ||
			len(r) != 1 || r[0].Name != "Sales (old)" || len(a) != 1 || a[0].Group.Name != "Sales" {
			t.Fatalf("\n%s", desc(p))
		}
		st2 := st
		st2.DeleteOutOfScopeGroups = true
		if p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st2}); len(ops(p, report.DeleteGroup)) != 1 {
			t.Fatalf("delete setting:\n%s", desc(p))
		}
	})
	t.Run("unmanaged same-named group: held, taken over, or skipped", func(t *testing.T) {
		d, live, maps := base()
		for i := range live.Groups {
			if live.Groups[i].ExternalID == "gSales" {
				live.Groups[i].ExternalID, live.Groups[i].ID = "", "hand-sales"
				live.Groups[i].Members = []string{"s-u1"}
			}
		}
		maps = slices.DeleteFunc(maps, func(m Mapping) bool { return m.EntraID == "gSales" })
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		if h := ops(p, report.ConflictGroup); len(h) != 1 || len(p.Conflicts) != 1 || len(ops(p, report.CreateGroup)) != 0 {
			t.Fatalf("\n%s", desc(p))
		}
		if c := p.Conflicts[0]; !slices.Equal(c.Add, []string{"sam@contoso.com"}) || !slices.Equal(c.Remove, []string{"ann@contoso.com"}) {
			t.Fatalf("conflict %+v", c)
		}
		p = Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st, Decisions: map[string]string{"gSales": DecisionTakeOver}})
		if len(ops(p, report.AdoptGroup)) != 1 || len(ops(p, report.AddMember)) != 1 || len(ops(p, report.RemoveMember)) != 1 {
			t.Fatalf("take over:\n%s", desc(p))
		}
		p = Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st, Decisions: map[string]string{"gSales": DecisionSkip}})
		if p.Len() != 0 {
			t.Fatalf("skip:\n%s", desc(p))
		}
	})
	t.Run("protected groups are never written", func(t *testing.T) {
		d, live, maps := base()
		for i := range live.Groups {
			live.Groups[i].Members = nil
		}
		st2 := st
		st2.ProtectedGroups = []string{"eng", "Backend", "Core", "Sales"}
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st2})
		if p.Len() != 0 {
			t.Fatalf("\n%s", desc(p))
		}
	})
	t.Run("group leaving scope is retired, never deleted by default", func(t *testing.T) {
		d, live, maps := base()
		live.Groups = append(live.Groups, Group{ID: "sg-old", ExternalID: "gGone", DisplayName: "Gone"})
		maps = append(maps, Mapping{Kind: "group", EntraID: "gGone", SCIMID: "sg-old", Managed: true})
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		if r := ops(p, report.RetireGroup); len(r) != 1 || r[0].Reason != "deleted in Entra" || len(ops(p, report.DeleteGroup)) != 0 {
			t.Fatalf("\n%s", desc(p))
		}
	})
	t.Run("deactivation threshold by count and by percent", func(t *testing.T) {
		d, live, maps := base()
		for i := range live.Users {
			live.Users[i].ExternalID = "gone-" + live.Users[i].ExternalID
		}
		for i := range maps {
			if maps[i].Kind == "user" {
				maps[i].EntraID = "gone-" + maps[i].EntraID
			}
		}
		for _, c := range []struct {
			count   int
			pct     float64
			tripped bool
		}{{0, 0, false}, {3, 0, true}, {10, 0, false}, {0, 50, true}, {0, 100, false}} {
			s := st
			s.DeactivationMaxCount, s.DeactivationMaxPercent = c.count, c.pct
			p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: s})
			if p.Deactivations != 4 || p.ThresholdTripped != c.tripped {
				t.Errorf("%+v: deactivations %d/%d tripped %v", c, p.Deactivations, p.ManagedUsers, p.ThresholdTripped)
			}
		}
	})
	t.Run("digest is stable and binds the operations", func(t *testing.T) {
		d := Scope(fixture(), st, nil)
		p1 := Compute(PlanInput{Desired: d, Live: &Live{}, Settings: st})
		p2 := Compute(PlanInput{Desired: Scope(fixture(), st, nil), Live: &Live{}, Settings: st})
		if p1.Digest != p2.Digest {
			t.Fatal("same input, different digest")
		}
		_, live, _ := base()
		if p3 := Compute(PlanInput{Desired: d, Live: live, Settings: st}); p3.Digest == p1.Digest {
			t.Fatal("different plans, same digest")
		}
		if err := CheckConfirmation(p1, Confirmation{TenantID: "t1", Domains: []string{"EU.contoso.com", "contoso.com", "contoso.onmicrosoft.com"}, PlanDigest: p1.Digest}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []Confirmation{{TenantID: "t2", Domains: p1.Domains}, {TenantID: "t1", Domains: p1.Domains[:2]},
			{TenantID: "t1", Domains: append(slices.Clone(p1.Domains), "x.com")}, {TenantID: "t1", Domains: p1.Domains, PlanDigest: "00"}} {
			if err := CheckConfirmation(p1, c); err == nil {
				t.Errorf("%+v accepted", c)
			}
		}
	})
}

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
