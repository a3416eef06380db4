package reliability

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

// orgTenant is a small tenant and the names of two of its groups (sorted, non-empty, distinct).
func orgTenant(t *testing.T, seed uint64) (tenant.Spec, string, string) {
	spec := tenant.Spec{Seed: seed, Users: 60, Groups: 8}
	var names []string
	for _, g := range tenant.Generate(spec).Snapshot().Groups {
		if n := strings.TrimSpace(g.DisplayName); n != "" && n == g.DisplayName && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) < 2 {
		t.Fatal("the seeded tenant needs two named groups")
	}
	slices.Sort(names)
	return spec, names[0], names[1]
}

func (h *harness) orgClient() engine.OrgGroups { return adapter.Org{Org: h.orgAPI()} }

// orgAPI is the organization key's client of the emulated organization.
func (h *harness) orgAPI() *atlassian.Org {
	h.t.Helper()
	o, err := atlassian.NewOrg(atlassian.OrgConfig{BaseURL: h.a.URL(), OrgID: h.a.OrgID(), APIKey: h.a.OrgAPIKey(), Transport: h.a.Transport(),
		AllowCustomHost: true, Retry: atlassian.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 100 * time.Millisecond}})
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

func conflictNamed(p *engine.Plan, name string) *engine.Conflict {
	for i := range p.Conflicts {
		if p.Conflicts[i].DisplayName == name {
			return &p.Conflicts[i]
		}
	}
	return nil
}

func groupPosts(a *atlemu.Server, name string) int {
	n := 0
	for _, r := range a.Requests() {
		if r.Method == "POST" && r.Path == "/Groups" && strings.Contains(r.Body, name) {
			n++
		}
	}
	return n
}

// With the organization key, a group that exists in the organization outside the SCIM directory
// (invisible to GET /Groups) is a conflict in the first preview, before anything is written; a
// default access group is shown as such and cannot be taken over; skip and retry do what they say.
func TestOrgGroupOutsideSCIMIsAConflictBeforeAnyWrite(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	spec, plain, def := orgTenant(t, 31)
	h := newHarness(t, spec, atlemu.Options{OrgGroups: []atlemu.OrgGroup{{Name: strings.ToUpper(plain)}, {Name: def, DefaultAccess: true}}}, graph.Faults{})
	h.org = h.orgClient()

	r := h.run(ctx, true, true, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	p := r.plan
	if !p.OrgChecked || slices.Contains(p.Notices, engine.NoOrgKeyNotice) {
		t.Fatalf("org checked %v, notices %q", p.OrgChecked, p.Notices)
	}
	for _, name := range []string{plain, def} {
		c := conflictNamed(p, name)
		if c == nil || c.Scope != engine.ConflictInOrganization || c.CanTakeOver || c.AtlassianID == "" || c.Hint == "" {
			t.Fatalf("conflict of %q: %+v (all: %+v)", name, c, p.Conflicts)
		}
		if c.DefaultAccess != (name == def) {
			t.Errorf("%q default access = %v", name, c.DefaultAccess)
		}
		if groupPosts(h.a, name) != 0 {
			t.Errorf("POST /Groups was sent for %q, which the preview held", name)
		}
		for _, op := range p.Operations() {
			if op.Name == name && op.Action != report.ConflictGroup {
				t.Errorf("%q planned as %s", name, op.Action)
			}
		}
	}
	if !strings.Contains(conflictNamed(p, def).Hint, "default") {
		t.Errorf("the default access hint does not say so: %q", conflictNamed(p, def).Hint)
	}
	h.checkExact(plain, def)

	// Skip the plain one; "retry" on the default access group keeps it held while Atlassian still
	// says it is a default group.
	gp, gd := conflictNamed(p, plain).GroupEntraID, conflictNamed(p, def).GroupEntraID
	_ = h.st.SetDecision(ctx, dirID, gp, engine.DecisionSkip)
	_ = h.st.SetDecision(ctx, dirID, gd, engine.DecisionRetry)
	p = h.preview(ctx, true)
	if c := conflictNamed(p, plain); c == nil || c.Decision != engine.DecisionSkip || len(ops(p, report.CreateGroup)) != 0 {
		t.Fatalf("after skip: %+v, ops %v", c, opKeys(p))
	}
	skipped := false
	for _, s := range p.Skips {
		skipped = skipped || (s.Object.EntraID == gp && s.Reason == engine.ReasonConflictSkipped)
	}
	if !skipped {
		t.Error("the skipped group is not in the skips")
	}
	if held := ops(p, report.ConflictGroup); len(held) != 1 || held[0].EntraID != gd {
		t.Fatalf("the default access group must stay held: %v", opKeys(p))
	}
}

// Without the organization key, the preview says that such conflicts cannot be detected; the
// apply's 409 becomes a held conflict that the next preview shows (no longer a create_group that
// fails forever), and the admin's "skip" makes the next run succeed.
func TestCreate409OutsideSCIMIsHeldForTheNextPreview(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	spec, name, _ := orgTenant(t, 32)
	h := newHarness(t, spec, atlemu.Options{OrgGroups: []atlemu.OrgGroup{{Name: name}}}, graph.Faults{})

	r := h.run(ctx, true, true, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !slices.Contains(r.plan.Notices, engine.NoOrgKeyNotice) || r.plan.OrgChecked {
		t.Fatalf("notices %q", r.plan.Notices)
	}
	code := ""
	for i, op := range r.plan.Operations() {
		if op.Action == report.CreateGroup && op.Name == name {
			code = r.out.Result(i).Code
		}
	}
	if code != string(apperr.ConflictUnresolved) {
		t.Fatalf("the 409 create ended with %q", code)
	}

	p := h.preview(ctx, false)
	c := conflictNamed(p, name)
	if c == nil || c.Scope != engine.ConflictInOrganization || c.CanTakeOver || c.Decision != "" {
		t.Fatalf("the next preview shows no held conflict: %+v ops %v", p.Conflicts, opKeys(p))
	}
	for _, op := range p.Operations() {
		if op.Name == name && op.Action == report.CreateGroup {
			t.Fatal("the next preview plans the failing create again")
		}
	}
	if err := h.st.SetDecision(ctx, dirID, c.GroupEntraID, engine.DecisionSkip); err != nil {
		t.Fatal(err)
	}
	before := groupPosts(h.a, name)
	p = h.mustRun(ctx, false)
	if groupPosts(h.a, name) != before || len(ops(p, report.ConflictGroup)) != 0 {
		t.Fatalf("skip still writes or holds: %v", opKeys(p))
	}
	h.checkExact(name)
}

// Once the organization key is added, a group held after a 409 whose cause is gone (renamed in
// admin.atlassian.com) is created again without a decision.
func TestHeldConflictClearsWhenTheOrganizationNoLongerHasIt(t *testing.T) {
	ctx := context.Background()
	spec, name, _ := orgTenant(t, 33)
	h := newHarness(t, spec, atlemu.Options{}, graph.Faults{})
	p := h.preview(ctx, true)
	var gid string
	for _, op := range ops(p, report.CreateGroup) {
		if op.Name == name {
			gid = op.EntraID
		}
	}
	if err := h.st.SetDecision(ctx, dirID, gid, engine.DecisionHeld); err != nil {
		t.Fatal(err)
	}
	if p = h.preview(ctx, true); conflictNamed(p, name) == nil {
		t.Fatal("a held group without an organization key must stay held")
	}
	h.org = h.orgClient()
	p = h.mustRun(ctx, true)
	if conflictNamed(p, name) != nil {
		t.Fatalf("held although the organization has no such group: %+v", p.Conflicts)
	}
	h.checkExact()
}

// Users to create on a domain the organization has not verified are flagged "Atlassian may
// refuse" in the plan and the report, guests included; verified domains are not; and with a
// server that does refuse them, every unflagged create succeeds.
func TestIssue18_04_UnverifiedDomainsPredicted(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	spec := tenant.Spec{Seed: 34, Users: 80, Groups: 6}
	h := newHarness(t, spec, atlemu.Options{RejectUnverifiedDomains: true,
		Domains: []atlemu.Domain{{Name: "contoso.example", ClaimType: "dns", Status: "verified"}, {Name: "eu.contoso.example", ClaimType: "dns", Status: "unverified"}}}, graph.Faults{})
	h.org = h.orgClient()
	r := h.run(ctx, true, true, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	flagged, plain := 0, 0
	for i, op := range r.plan.Operations() {
		if op.Action != report.CreateUser {
			continue
		}
		dom := strings.ToLower(op.Email[strings.LastIndexByte(op.Email, '@')+1:])
		res := r.out.Result(i)
		switch {
		case op.Warning != "":
			flagged++
			if !strings.HasPrefix(op.Warning, engine.MayRefusePrefix) || !strings.Contains(op.Warning, dom) {
				t.Errorf("warning %q for %s", op.Warning, op.Email)
			}
			if dom == "contoso.example" {
				t.Errorf("%s is on a verified domain but flagged", op.Email)
			}
		default:
			plain++
			if dom != "contoso.example" {
				t.Errorf("%s (%s) is not flagged", op.Email, dom)
			}
			if res.Result != report.ResultSucceeded {
				t.Errorf("an unflagged create failed: %s %+v", op.Email, res)
			}
		}
	}
	if flagged == 0 || plain == 0 {
		t.Fatalf("flagged %d, plain %d: the tenant must have both", flagged, plain)
	}
	found := false
	for _, n := range r.plan.Notices {
		found = found || (strings.Contains(n, engine.MayRefusePrefix) && strings.Contains(n, strconv.Itoa(flagged)+" user"))
	}
	if !found {
		t.Errorf("notices %q", r.plan.Notices)
	}
	rep := engine.BuildReport(engine.RunInfo{RunID: "r", Kind: report.KindApply}, r.plan, r.out)
	inReport := 0
	for _, o := range rep.Operations {
		if strings.HasPrefix(o.Warning, engine.MayRefusePrefix) {
			inReport++
		}
	}
	if inReport != flagged {
		t.Errorf("%d warnings in the report, %d in the plan", inReport, flagged)
	}
}
