package engine

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// The engine's rules end to end on the in-memory ports: each test is a few syncs of memTenant
// and asserts what the organization holds afterwards. The same scenarios through the real
// clients against the emulators are internal/reliability's engine_*_test.go.

func removeUser(s *directory.Snapshot, id string) {
	s.Users = slices.DeleteFunc(s.Users, func(u directory.User) bool { return u.ID == id })
	for g, ms := range s.Members {
		s.Members[g] = slices.DeleteFunc(ms, func(m directory.Member) bool { return m.ID == id })
	}
}

func userByID(s *directory.Snapshot, id string) *directory.User {
	for i := range s.Users {
		if s.Users[i].ID == id {
			return &s.Users[i]
		}
	}
	panic("no user " + id)
}

func TestMemFullThenIncrementalReachesExactState(t *testing.T) {
	w := newWorld(t, memTenant())
	p := w.mustRun(true)
	if !p.Full || len(ops(p, report.CreateUser)) != 11 || len(ops(p, report.CreateGroup)) != 4 {
		t.Fatalf("first run: full=%v, %d user and %d group creates", p.Full, len(ops(p, report.CreateUser)), len(ops(p, report.CreateGroup)))
	}
	w.checkExact()
	writes := w.writes()
	if p := w.mustRun(false); p.Full || p.Len() != 0 || w.writes() != writes {
		t.Fatalf("a run with nothing to change: full=%v, %d ops, %d writes", p.Full, p.Len(), w.writes()-writes)
	}
	w.src.edit(func(s *directory.Snapshot) {
		userByID(s, "u01").JobTitle = "Lead"
		userByID(s, "u02").AccountEnabled = false
		removeUser(s, "u11")
		s.Members["gOps"] = append(s.Members["gOps"], directory.Member{ID: "u12", Kind: directory.MemberUser})
		s.Members["gBack"] = slices.DeleteFunc(s.Members["gBack"], func(m directory.Member) bool { return m.ID == "u03" })
	})
	full := w.preview(true)
	p = w.mustRun(false)
	if p.Full {
		t.Fatal("the run after the edits was a full one")
	}
	if a, b := opKeys(p), opKeys(full); len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("incremental plan\n%v\nfull plan\n%v", a, b)
	}
	for act, want := range map[report.Action]int{report.UpdateUser: 1, report.DeactivateUser: 2, report.AddMember: 1, report.RemoveMember: 3} {
		if got := len(ops(p, act)); got != want {
			t.Errorf("%s: %d ops, want %d", act, got, want)
		}
	}
	w.checkExact()
}

func TestMemThresholdAndConfirmationBlockBeforeWriting(t *testing.T) {
	w := newWorld(t, memTenant())
	p := w.mustRun(true)
	if err := CheckConfirmation(p, Confirmation{TenantID: " T1 ", Domains: []string{"contoso.onmicrosoft.com", "CONTOSO.com "}, PlanDigest: p.Digest}); err != nil {
		t.Fatalf("the exact confirmation: %v", err)
	}
	for _, c := range []Confirmation{{TenantID: "t2", Domains: p.Domains}, {TenantID: "t1", Domains: []string{"contoso.com"}},
		{TenantID: "t1", Domains: p.Domains, PlanDigest: "other"}} {
		if err := CheckConfirmation(p, c); apperr.CodeOf(err) != apperr.ConfirmationRequired {
			t.Errorf("confirmation %+v: %v", c, err)
		}
	}
	w.settings.DeactivationMaxCount = 2
	w.src.edit(func(s *directory.Snapshot) {
		for _, id := range []string{"u01", "u02", "u03"} {
			userByID(s, id).AccountEnabled = false
		}
	})
	writes := w.writes()
	r := w.run(context.Background(), false, Overrides{}, nil)
	if apperr.CodeOf(r.err) != apperr.ThresholdExceeded || w.writes() != writes {
		t.Fatalf("over the threshold: %v, %d writes", r.err, w.writes()-writes)
	}
	if r = w.run(context.Background(), false, Overrides{Threshold: true}, nil); r.err != nil || r.out.Status != report.StatusSucceeded {
		t.Fatalf("overridden: %v", r.err)
	}
	w.checkExact()
	// A domain verified in Entra since: an incremental run sees it (Graph's delta does not
	// carry domains) and the confirmation bound to the old domain set no longer holds.
	w.src.edit(func(s *directory.Snapshot) {
		s.Domains = append(s.Domains, directory.Domain{Name: "eu.contoso.com", IsVerified: true})
	})
	p2 := w.preview(false)
	if p2.Full || !slices.Contains(p2.Domains, "eu.contoso.com") {
		t.Fatalf("incremental plan after a domain change: full=%v domains %v", p2.Full, p2.Domains)
	}
	if err := CheckConfirmation(p2, Confirmation{TenantID: "t1", Domains: p.Domains}); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("the old domain set confirmed the new plan: %v", err)
	}
}

func TestMemConflictHeldThenTakenOver(t *testing.T) {
	w := newWorld(t, memTenant())
	hand := w.tgt.putUser(User{UserName: "hand@contoso.com", Email: "hand@contoso.com", Active: true})
	sales := w.tgt.putGroup(Group{DisplayName: "SALES", Members: []string{hand.ID}})
	p := w.mustRun(true)
	if len(p.Conflicts) != 1 || p.Conflicts[0].GroupEntraID != "gSales" || p.Conflicts[0].Scope != ConflictInDirectory ||
		!p.Conflicts[0].CanTakeOver || len(ops(p, report.ConflictGroup)) != 1 {
		t.Fatalf("conflicts %+v", p.Conflicts)
	}
	if g, _ := w.groupNamed("Sales"); g.ID != sales.ID || !slices.Equal(g.Members, []string{hand.ID}) {
		t.Fatalf("the held group was written: %+v", g)
	}
	w.checkExact("Sales")
	if err := w.st.SetDecision(context.Background(), memDir, "gSales", DecisionTakeOver); err != nil {
		t.Fatal(err)
	}
	p = w.mustRun(false)
	if len(ops(p, report.AdoptGroup)) != 1 || len(ops(p, report.RemoveMember)) != 1 || len(ops(p, report.AddMember)) != 4 {
		t.Fatalf("take over: %v adopt, %v remove, %v add", opNames(p, report.AdoptGroup), len(ops(p, report.RemoveMember)), len(ops(p, report.AddMember)))
	}
	if m, ok := w.st.mapping("group", "gSales"); !ok || m.SCIMID != sales.ID || !m.Managed {
		t.Fatalf("mapping after the take-over: %+v", m)
	}
	w.checkExact()
}

func TestMemCancelThenResume(t *testing.T) {
	w := newWorld(t, memTenant())
	w.settings.Concurrency = 1
	ctx, cancel := context.WithCancel(context.Background())
	r := w.run(ctx, true, Overrides{}, func(seq int) {
		if seq == 5 {
			cancel()
		}
	})
	if r.err != nil || r.out.Status != report.StatusCanceled {
		t.Fatalf("canceled run: %v", r.err)
	}
	notDone := 0
	for _, res := range r.out.All() {
		if res.Result == report.ResultPlanned && res.Code == string(apperr.Canceled) {
			notDone++
		}
	}
	if notDone == 0 {
		t.Fatal("no operation is reported as not done")
	}
	p := w.mustRun(false)
	if !p.Full {
		t.Fatal("the run after a cancel was incremental")
	}
	w.checkExact()
}

// A process killed mid-apply leaves its run running and its journal pending, with some writes
// made and not recorded; the next run closes it as interrupted and, reading everything, finds
// what the dead run made instead of making it twice.
func TestMemCrashMidApplyThenResume(t *testing.T) {
	w := newWorld(t, memTenant())
	ctx := context.Background()
	e := w.engine()
	if err := w.st.PutRun(ctx, Run{ID: "dead", DirectoryID: memDir, Kind: "apply", Status: string(report.StatusRunning), PID: 1, Host: "h"}); err != nil {
		t.Fatal(err)
	}
	w.settings.Concurrency = 1
	p, err := e.Prepare(ctx, PrepareOptions{Settings: w.settings})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(ctx, p, ApplyOptions{RunID: "dead", Hook: func(seq int) {
		if seq == 8 {
			w.st.mu.Lock()
			w.st.frozen = true // the process dies: nothing more reaches the store or Atlassian
			w.st.mu.Unlock()
			w.tgt.mu.Lock()
			w.tgt.fail = func(string, string) error { return apperr.New(apperr.Canceled, "the process is dead") }
			w.tgt.mu.Unlock()
		}
	}}); err != nil {
		t.Fatal(err)
	}
	w.st.frozen, w.tgt.fail = false, nil
	if pend, _ := w.st.Journal(ctx, "dead", JournalPending); len(pend) == 0 {
		t.Fatal("the dead run left no pending entry")
	}
	made, calls := len(w.tgt.users), w.tgt.calls["CreateUser"]
	p = w.mustRun(false)
	if !p.Full {
		t.Fatal("the run after a crash was incremental: only a full read sees what the dead run did")
	}
	if pend, _ := w.st.Journal(ctx, "dead", JournalPending); len(pend) != 0 {
		t.Fatalf("%d entries of the dead run still pending", len(pend))
	}
	if r := w.st.runs["dead"]; r.Status != string(report.StatusFailed) || r.ErrorCode != "interrupted" {
		t.Fatalf("the dead run: %s %s", r.Status, r.ErrorCode)
	}
	// Units 1-4 create the groups, 5-7 three users: made in Atlassian, never recorded.
	if n := w.tgt.calls["CreateUser"] - calls; made != 3 || n != 11-3 {
		t.Fatalf("%d users made by the dead run, %d creates by the next, want 3 and 8", made, n)
	}
	w.checkExact()
}

func TestMemRenameCreatesCopiesRetires(t *testing.T) {
	w := newWorld(t, memTenant())
	w.mustRun(true)
	old, _ := w.groupNamed("Sales")
	w.src.edit(func(s *directory.Snapshot) { s.Groups[2].DisplayName = "Revenue" })
	p := w.mustRun(false)
	if len(p.Renames) != 1 || p.Renames[0].OldName != "Sales" || p.Renames[0].NewName != "Revenue" || p.Renames[0].StillGrants != 4 {
		t.Fatalf("renames %+v", p.Renames)
	}
	if !slices.Equal(opNames(p, report.CreateGroup), []string{"Revenue"}) || !slices.Equal(opNames(p, report.RetireGroup), []string{"Sales"}) {
		t.Fatalf("ops %v", opKeys(p))
	}
	nw, ok := w.groupNamed("Revenue")
	if !ok || nw.ExternalID != GroupExternalID("gSales", "Revenue") {
		t.Fatalf("the new group: %+v", nw)
	}
	if kept, _ := w.groupNamed("Sales"); kept.ID != old.ID || len(kept.Members) != 4 {
		t.Fatalf("the retired group lost its members: %+v", kept)
	}
	if m, _ := w.st.mapping("group", "gSales"); m.SCIMID != nw.ID {
		t.Fatalf("the mapping stayed on the old group: %+v", m)
	}
	w.checkExact()
}

func TestMemCreate409OutsideSCIMIsHeldForTheNextPreview(t *testing.T) {
	w := newWorld(t, memTenant())
	w.tgt.outside["ops"] = true
	r := w.run(context.Background(), true, Overrides{}, nil)
	if r.err != nil || r.out.Status != report.StatusPartial {
		t.Fatalf("run: %v %v", r.err, r.out)
	}
	for i, op := range r.plan.All() {
		if op.Action == report.CreateGroup && op.Name == "Ops" && r.out.Result(i).Code != string(apperr.ConflictUnresolved) {
			t.Fatalf("the refused create: %+v", r.out.Result(i))
		}
	}
	if d := w.st.decisions["gOps"]; d != DecisionHeld {
		t.Fatalf("decision %q, want held", d)
	}
	p := w.preview(false)
	if !slices.Equal(opNames(p, report.ConflictGroup), []string{"Ops"}) || len(ops(p, report.CreateGroup)) != 0 ||
		len(p.Conflicts) != 1 || p.Conflicts[0].Scope != ConflictInOrganization || p.Conflicts[0].CanTakeOver {
		t.Fatalf("the next preview: %v %+v", opKeys(p), p.Conflicts)
	}
	// The admin resolved it in Atlassian and asks to retry: the group is created.
	delete(w.tgt.outside, "ops")
	_ = w.st.SetDecision(context.Background(), memDir, "gOps", DecisionRetry)
	w.mustRun(false)
	w.checkExact()
}

func TestMemOrgGroupIsAConflictBeforeAnyWrite(t *testing.T) {
	w := newWorld(t, memTenant())
	if p := w.preview(true); !slices.Contains(p.Notices, NoOrgKeyNotice) || p.OrgChecked {
		t.Fatalf("without an organization key: notices %v", p.Notices)
	}
	w.org = &memOrg{groups: []OrgGroup{{ID: "og-ops", Name: "OPS"}, {ID: "og-x", Name: "Unrelated"}},
		domains: []OrgDomain{{Name: "contoso.com", Status: ClaimVerified}}}
	w.tgt.outside["ops"] = true
	r := w.run(context.Background(), true, Overrides{}, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	p := r.plan
	if !p.OrgChecked || len(p.Conflicts) != 1 || p.Conflicts[0].AtlassianID != "og-ops" || p.Conflicts[0].Scope != ConflictInOrganization {
		t.Fatalf("conflicts %+v", p.Conflicts)
	}
	if slices.Contains(opNames(p, report.CreateGroup), "Ops") || w.st.decisions["gOps"] != "" {
		t.Fatalf("the group was created anyway: %v, decision %q", opKeys(p), w.st.decisions["gOps"])
	}
	// Unverified domains are predicted: the guest's fabrikam.com is not the organization's.
	var warned []string
	for _, op := range ops(p, report.CreateUser) {
		if strings.HasPrefix(op.Warning, MayRefusePrefix) {
			warned = append(warned, op.Email)
		}
	}
	if !slices.Equal(warned, []string{"hal@fabrikam.com"}) || !slices.ContainsFunc(p.Notices, func(n string) bool {
		return strings.HasPrefix(n, "1 user to create is on a domain the Atlassian organization has not verified")
	}) {
		t.Fatalf("warned %v, notices %v", warned, p.Notices)
	}
	w.checkExact("Ops")
}

func TestMemCreatedUserReturningAnotherUsersIDRefused(t *testing.T) {
	w := newWorld(t, memTenant())
	w.mustRun(true)
	ann, _ := w.userNamed("ann@contoso.com")
	ops0, _ := w.groupNamed("Ops")
	w.src.edit(func(s *directory.Snapshot) {
		s.Users = append(s.Users, directory.User{ID: "u13", Mail: "mo@contoso.com", DisplayName: "Mo", AccountEnabled: true, UserType: "Member"})
		s.Members["gOps"] = append(s.Members["gOps"], directory.Member{ID: "u13", Kind: directory.MemberUser})
	})
	w.tgt.createdUser = func(asked User) (User, bool) { return ann, asked.ExternalID == "u13" }
	r := w.run(context.Background(), false, Overrides{}, nil)
	if r.err != nil || r.out.Status != report.StatusPartial {
		t.Fatalf("run: %v", r.err)
	}
	for i, op := range r.plan.All() {
		if op.EntraID == "u13" && r.out.Result(i).Result != report.ResultFailed {
			t.Fatalf("%s of u13: %+v", op.Action, r.out.Result(i))
		}
	}
	if m, _ := w.st.mapping("user", "u01"); m.SCIMID != ann.ID {
		t.Fatalf("ann's mapping moved: %+v", m)
	}
	if _, ok := w.st.mapping("user", "u13"); ok {
		t.Fatal("the new user was linked to ann's account")
	}
	if g, _ := w.groupNamed("Ops"); !slices.Equal(slices.Sorted(slices.Values(g.Members)), slices.Sorted(slices.Values(ops0.Members))) {
		t.Fatalf("the new user's membership was written onto ann's account: %v", g.Members)
	}
}

func TestMemEmptyDeltaKeepsTheSnapshotAndTheNextRunIncremental(t *testing.T) {
	w := newWorld(t, memTenant())
	w.mustRun(true)
	path := w.engine().snapshotPath()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if p := w.mustRun(false); p.Full || p.Len() != 0 || p.keptDigest == "" {
			t.Fatalf("no-change run %d: full=%v ops=%d kept=%q", i, p.Full, p.Len(), p.keptDigest)
		}
	}
	if after, err := os.Stat(path); err != nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Fatalf("the snapshot was rewritten by a run with nothing to change (%v)", err)
	}
	w.src.edit(func(s *directory.Snapshot) { userByID(s, "u04").Department = "Ops" })
	full := w.preview(true)
	p := w.mustRun(false)
	if p.Full || p.keptDigest != "" || !slices.Equal(opKeys(p), opKeys(full)) {
		t.Fatalf("the run after the no-change runs: full=%v kept=%q\n%v\n%v", p.Full, p.keptDigest, opKeys(p), opKeys(full))
	}
	w.checkExact()
}

func TestMemExpiredDeltaFallsBackToFull(t *testing.T) {
	w := newWorld(t, memTenant())
	w.mustRun(true)
	w.src.expired = true
	w.src.edit(func(s *directory.Snapshot) { removeUser(s, "u06") })
	if p := w.mustRun(false); !p.Full || len(ops(p, report.DeactivateUser)) != 1 {
		t.Fatalf("after an expired delta link: full=%v %v", p.Full, opKeys(p))
	}
	w.checkExact()
}

func TestMemFullReconcileEveryNRunsCatchesHandEdits(t *testing.T) {
	w := newWorld(t, memTenant())
	w.settings.FullReconcileEvery = 3
	w.mustRun(true)
	ann, _ := w.userNamed("ann@contoso.com")
	w.tgt.mu.Lock()
	ann.Title = "edited by hand"
	w.tgt.users[ann.ID] = ann
	w.tgt.mu.Unlock()
	var fulls []bool
	for i := 0; i < 3; i++ {
		fulls = append(fulls, w.mustRun(false).Full)
	}
	if !slices.Equal(fulls, []bool{false, false, true}) {
		t.Fatalf("full runs %v, want every third", fulls)
	}
	w.checkExact()
}

func TestMemReadShrinkRailHoldsAnEmptyRead(t *testing.T) {
	w := newWorld(t, memTenant())
	w.mustRun(true)
	w.src.edit(func(s *directory.Snapshot) { s.Users, s.Groups, s.Members = nil, nil, map[string][]directory.Member{} })
	writes := w.writes()
	r := w.run(context.Background(), true, Overrides{}, nil)
	if apperr.CodeOf(r.err) != apperr.ReadShrank || w.writes() != writes || len(r.plan.ReadShrink) != 3 {
		t.Fatalf("an empty read: %v, %d writes, %+v", r.err, w.writes()-writes, r.plan.ReadShrink)
	}
	if r = w.run(context.Background(), true, Overrides{ReadShrink: true}, nil); r.err != nil {
		t.Fatalf("overridden: %v", r.err)
	}
	w.checkExact()
}

func TestMemFailedCreateFailsItsMembershipsThenTheNextRunCompletes(t *testing.T) {
	w := newWorld(t, memTenant())
	w.tgt.fail = func(call, key string) error {
		if call == "CreateUser" && key == "jon@contoso.com" {
			return apperr.New(apperr.AtlassianUnavailable, "503")
		}
		return nil
	}
	r := w.run(context.Background(), true, Overrides{}, nil)
	if r.err != nil || r.out.Status != report.StatusPartial {
		t.Fatalf("run: %v", r.err)
	}
	for i, op := range r.plan.All() {
		if op.EntraID != "u10" {
			continue
		}
		want := string(apperr.AtlassianUnavailable)
		if op.Action == report.AddMember {
			want = codeDependency
		}
		if res := r.out.Result(i); res.Result != report.ResultFailed || res.Code != want {
			t.Fatalf("%s of u10: %+v, want failed %s", op.Action, res, want)
		}
	}
	w.tgt.fail = nil
	if p := w.mustRun(false); !p.Full {
		t.Fatal("the run after a partial one was incremental")
	}
	w.checkExact()
}

func TestMemHeldConflictClearsWhenTheOrganizationNoLongerHasIt(t *testing.T) {
	w := newWorld(t, memTenant())
	_ = w.st.SetDecision(context.Background(), memDir, "gOps", DecisionHeld)
	if p := w.preview(true); !slices.Equal(opNames(p, report.ConflictGroup), []string{"Ops"}) {
		t.Fatalf("a held group without an organization key must stay held: %v", opKeys(p))
	}
	w.org = &memOrg{}
	if p := w.mustRun(true); len(p.Conflicts) != 0 || !slices.Contains(opNames(p, report.CreateGroup), "Ops") {
		t.Fatalf("held although the organization has no such group: %+v", p.Conflicts)
	}
	w.checkExact()
}

// A protected Atlassian group is never written, whatever the Entra group of its name wants: its
// hand-made member stays, nobody is added, and the plan says why.
func TestMemProtectedGroupIsNeverWritten(t *testing.T) {
	w := newWorld(t, memTenant())
	w.settings.ProtectedGroups = []string{"sales"}
	hand := w.tgt.putUser(User{UserName: "hand@contoso.com", Email: "hand@contoso.com", Active: true})
	sales := w.tgt.putGroup(Group{DisplayName: "Sales", ExternalID: "gSales", Members: []string{hand.ID}})
	p := w.mustRun(true)
	if g, _ := w.groupNamed("Sales"); g.ID != sales.ID || !slices.Equal(g.Members, []string{hand.ID}) {
		t.Fatalf("the protected group was written: %+v", g)
	}
	if !slices.ContainsFunc(p.Skips, func(s report.Skip) bool { return s.Reason == ReasonProtectedGroup && s.Object.EntraID == "gSales" }) {
		t.Fatalf("no protected-group skip: %+v", p.Skips)
	}
	w.checkExact("Sales")
}
