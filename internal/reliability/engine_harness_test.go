package reliability

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

// harness runs the real engine against the Graph and Atlassian emulators over loopback HTTPS,
// with the real Graph reader, SCIM client and SQLite store.
type harness struct {
	t        testing.TB
	ten      *tenant.Tenant
	g        *graph.Server
	a        *atlemu.Server
	st       *store.Store
	home     string
	settings engine.Settings
	src      engine.Source
	tgt      *atlassian.SCIM
	org      engine.OrgGroups // nil: no organization key
	access   engine.OrgAccess // nil: users who leave scope cannot be suspended
}

func newHarness(t *testing.T, spec tenant.Spec, ao atlemu.Options, faults graph.Faults) *harness {
	t.Helper()
	return newHarnessTB(t, spec, ao, faults)
}

func newHarnessTB(t testing.TB, spec tenant.Spec, ao atlemu.Options, faults graph.Faults) *harness {
	t.Helper()
	auth, err := loopbacktls.Shared()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ten: tenant.Generate(spec), home: t.TempDir()}
	h.g = graph.New(graph.Options{Tenant: h.ten, Authority: auth, NoThrottle: true, Faults: faults})
	if err := h.g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.g.Close)
	ao.Authority = auth
	if h.a, err = atlemu.New(ao); err != nil {
		t.Fatal(err)
	}
	if err := h.a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.a.Close() })
	h.open()
	if err := h.st.CreateDirectory(context.Background(), store.Directory{ID: dirID, Name: "Test", Cloud: "global", ClientID: "c", SCIMBaseURL: h.a.SCIMURL()}); err != nil {
		t.Fatal(err)
	}
	h.settings = mustNorm(t, engine.DefaultSettings())
	h.settings.DeactivationMaxCount, h.settings.DeactivationMaxPercent = 0, 0
	h.settings.RemovalMaxCount, h.settings.RemovalMaxPercent = 0, 0
	h.clients(auth)
	return h
}

func (h *harness) open() {
	st, err := store.Open(context.Background(), h.home)
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	h.t.Cleanup(func() { st.Close() })
}

func (h *harness) clients(auth *loopbacktls.Authority) {
	u, _ := url.Parse(h.g.URL())
	r, err := entra.New(entra.Config{BaseURL: h.g.URL() + "/v1.0", Tokens: entra.StaticToken("test-token", u.Hostname(), u.Host), Transport: auth.Transport()})
	if err != nil {
		h.t.Fatal(err)
	}
	h.src = adapter.Graph{Reader: r}
	h.tgt, err = atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: h.a.SCIMURL(), APIKey: h.a.APIKey(), Transport: auth.Transport(), AllowCustomHost: true,
		LimiterConfig: atlassian.LimiterConfig{Initial: 2000, Max: 20000, Increase: 500},
		Retry:         atlassian.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 200 * time.Millisecond}})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) engine() *engine.Engine {
	return &engine.Engine{DirectoryID: dirID, Source: h.src, Target: adapter.SCIM{SCIM: h.tgt}, Org: h.org, Access: h.access, State: adapter.Store{Store: h.st}, SnapshotDir: h.home + "/snapshots"}
}

// run is one sync through the engine's lifecycle; override lets it past the deactivation
// threshold, hook is ApplyOptions.Hook.
func (h *harness) run(ctx context.Context, full, override bool, hook func(int)) result {
	h.t.Helper()
	return runLifecycle(ctx, h.t, h.engine(), h.st, h.ten, h.settings, h.home, full, engine.Overrides{Threshold: override}, hook)
}

func (h *harness) mustRun(ctx context.Context, full bool) *engine.Plan {
	h.t.Helper()
	r := h.run(ctx, full, true, nil)
	if r.err != nil {
		h.t.Fatal(r.err)
	}
	if r.out.Status != report.StatusSucceeded {
		for i, res := range r.out.All() {
			if res.Result == report.ResultFailed {
				h.t.Errorf("op %+v failed: %+v", r.plan.Op(i), res)
			}
		}
		h.t.Fatalf("status %s", r.out.Status)
	}
	return r.plan
}

// preview plans without applying.
func (h *harness) preview(ctx context.Context, full bool) *engine.Plan {
	h.t.Helper()
	p, err := h.engine().Prepare(ctx, engine.PrepareOptions{Settings: h.settings, Full: full})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// previewed is a preview through the lifecycle with e, for a test that changes the world between
// the preview and its apply.
func (h *harness) previewed(ctx context.Context, e *engine.Engine) *engine.Plan {
	h.t.Helper()
	pv, err := e.Preview(ctx, lifecycleSpec(h.st, h.settings, h.home, false, engine.Confirmation{}, engine.Overrides{}, nil).PreviewSpec)
	if err != nil {
		h.t.Fatal(err)
	}
	return pv.Plan
}

// applyPreviewed applies a previewed plan through the lifecycle, as the app's Apply does after
// the admin confirmed the tenant, domains and digest shown.
func (h *harness) applyPreviewed(ctx context.Context, e *engine.Engine, p *engine.Plan) (*engine.Outcome, error) {
	h.t.Helper()
	spec := lifecycleSpec(h.st, h.settings, h.home, false, engine.Confirmation{TenantID: p.Tenant.ID, Domains: p.Domains, PlanDigest: p.Digest},
		engine.Overrides{Threshold: true}, nil)
	spec.Plan = p
	res, err := e.Run(ctx, spec)
	return res.Outcome, err
}

// checkExact asserts that the organization is exactly the desired state of the tenant as it is
// now: every user once with every attribute, active flags, every group with exactly its
// flattened members, and managed users out of scope deactivated.
func (h *harness) checkExact(held ...string) {
	h.t.Helper()
	checkExact(h.t, h.ten.Snapshot(), h.settings, h.a.State(), held...)
	integrity(h.t, h.st)
}

func opKeys(p *engine.Plan) []string {
	var out []string
	for _, o := range p.Operations() {
		k := string(o.Action) + "|" + o.EntraID + "|" + o.SCIMID
		if o.Group != nil {
			k += "|" + o.Group.EntraID
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestEndToEndFullDeltaAndDomainChange(t *testing.T) {
	ctx := ctxT(t, 90*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 11, Users: 300, Groups: 30, Depth: 3}, atlemu.Options{}, graph.Faults{})
	p := h.mustRun(ctx, true)
	if !p.Full || p.Len() == 0 {
		t.Fatalf("first run: full=%v ops=%d", p.Full, p.Len())
	}
	h.checkExact()

	// Nothing changed: an incremental run and a full reconcile both plan nothing.
	if p := h.preview(ctx, false); p.Full || p.Len() != 0 {
		t.Fatalf("second run: full=%v ops=%d: %v", p.Full, p.Len(), opKeys(p))
	}
	if p := h.preview(ctx, true); p.Len() != 0 {
		t.Fatalf("full reconcile after sync plans %d ops: %v", p.Len(), opKeys(p))
	}

	for round := 1; round <= 3; round++ {
		ch := h.ten.Mutate(0.08, uint64(round))
		t.Logf("round %d: +%d users, %d updated (%d renamed, %d disabled), -%d users, +%d/-%d memberships, groups +%d ~%d -%d", round,
			len(ch.AddedUsers), len(ch.UpdatedUsers), len(ch.RenamedUsers), len(ch.DisabledUsers), len(ch.RemovedUsers),
			len(ch.MembersAdded), len(ch.MembersRemoved), len(ch.AddedGroups), len(ch.UpdatedGroups), len(ch.RemovedGroups))
		// The delta plan is exactly what a full reconcile would plan at this moment.
		fullPlan := h.preview(ctx, true)
		r := h.run(ctx, false, true, nil)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.plan.Full {
			t.Fatalf("round %d was not incremental", round)
		}
		if a, b := opKeys(r.plan), opKeys(fullPlan); !slices.Equal(a, b) {
			t.Fatalf("round %d: delta plan (%d ops) differs from the full plan (%d ops)\ndelta: %v\nfull: %v", round, len(a), len(b), a, b)
		}
		if r.out.Status != report.StatusSucceeded {
			for i, res := range r.out.All() {
				if res.Result == report.ResultFailed {
					t.Errorf("op %+v failed: %+v", r.plan.Op(i), res)
				}
			}
			t.Fatalf("round %d: %s", round, r.out.Status)
		}
		h.checkExact()
		if p := h.preview(ctx, true); p.Len() != 0 {
			t.Fatalf("round %d: full reconcile after the delta plans %v", round, opKeys(p))
		}
	}

	// A domain deselected: its users are deactivated (never deleted); the settings change forces a full read.
	doms := verifiedDomains(h.ten)
	h.settings.DomainMode, h.settings.Domains = engine.DomainsSpecific, doms[1:]
	h.settings = mustNorm(t, h.settings)
	p = h.mustRun(ctx, false)
	if !p.Full || p.Deactivations == 0 {
		t.Fatalf("deselecting %s: full=%v deactivations=%d", doms[0], p.Full, p.Deactivations)
	}
	h.checkExact()
}

func TestThresholdAndConfirmationBlockBeforeWriting(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 12, Users: 120, Groups: 10}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	doms := verifiedDomains(h.ten)
	h.settings.DomainMode, h.settings.Domains = engine.DomainsSpecific, doms[:1]
	h.settings.DeactivationMaxCount, h.settings.DeactivationMaxPercent = 5, 10
	h.settings.RemovalMaxCount, h.settings.RemovalMaxPercent = 0, 0 // this test is the deactivation threshold's
	h.settings = mustNorm(t, h.settings)
	writes := len(h.a.Writes())
	r := h.run(ctx, false, false, nil)
	if apperr.CodeOf(r.err) != apperr.ThresholdExceeded || !r.plan.ThresholdTripped {
		t.Fatalf("want threshold_exceeded, got %v", r.err)
	}
	if n := len(h.a.Writes()); n != writes {
		t.Fatalf("%d writes after a blocked apply", n-writes)
	}
	if err := engine.CheckConfirmation(r.plan, engine.Confirmation{TenantID: r.plan.Tenant.ID, Domains: doms}); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("a changed domain set must be refused, got %v", err)
	}
	// Overridden for this run, it applies.
	if r := h.run(ctx, false, true, nil); r.err != nil || r.out.Status != report.StatusSucceeded {
		t.Fatalf("override: %v", r.err)
	}
	h.checkExact()
}

func TestConflictHeldThenTakenOver(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	ten := tenant.Generate(tenant.Spec{Seed: 13, Users: 80, Groups: 8})
	var name string
	for _, g := range ten.Snapshot().Groups {
		if strings.TrimSpace(g.DisplayName) != "" {
			name = g.DisplayName
			break
		}
	}
	h := newHarness(t, tenant.Spec{Seed: 13, Users: 80, Groups: 8}, atlemu.Options{
		Users:  []atlemu.User{{UserName: "hand@made.example", DisplayName: "Hand Made", Active: true}},
		Groups: []atlemu.SeedGroup{{DisplayName: name, Members: []string{"hand@made.example"}}}}, graph.Faults{})
	p := h.mustRun(ctx, true)
	if len(p.Conflicts) != 1 || p.Conflicts[0].DisplayName != name || len(ops(p, report.ConflictGroup)) != 1 {
		t.Fatalf("conflicts %+v", p.Conflicts)
	}
	g, _ := h.a.State().GroupByName(name)
	if len(g.Members) != 1 {
		t.Fatalf("the held group was written: %d members", len(g.Members))
	}
	h.checkExact(name)
	if err := h.st.SetDecision(ctx, dirID, p.Conflicts[0].GroupEntraID, engine.DecisionTakeOver); err != nil {
		t.Fatal(err)
	}
	p = h.mustRun(ctx, false)
	if len(ops(p, report.AdoptGroup)) != 1 || len(ops(p, report.RemoveMember)) != 1 {
		t.Fatalf("take over plan: %v", opKeys(p))
	}
	h.checkExact()
	if u, _ := h.a.State().UserByUserName("hand@made.example"); !u.Active {
		t.Fatal("the account made by hand was deactivated")
	}
}

func TestCancelThenResume(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 14, Users: 200, Groups: 20}, atlemu.Options{}, graph.Faults{})
	cctx, cancel := context.WithCancel(ctx)
	r := h.run(cctx, true, true, func(seq int) {
		if seq == 60 {
			cancel()
		}
	})
	if r.err != nil || r.out.Status != report.StatusCanceled {
		t.Fatalf("want canceled, got %v %v", r.err, r.out)
	}
	notDone := 0
	for _, res := range r.out.All() {
		if res.Code == string(apperr.Canceled) {
			notDone++
		}
	}
	if notDone == 0 {
		t.Fatal("nothing recorded as not done")
	}
	p := h.mustRun(ctx, false)
	if !p.Full {
		t.Fatal("the run after a cancel must reconcile the live state")
	}
	h.checkExact()
}

func TestFaultStormsOnBothSides(t *testing.T) {
	ctx := ctxT(t, 100*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 15, Users: 150, Groups: 15},
		atlemu.Options{FaultRate: 0.1, ResetRate: 0.03, RateLimit: 300, Burst: 20, RetryAfter: 50 * time.Millisecond, Seed: 5},
		graph.Faults{Seed: 3, Rate429: 0.08, Rate503: 0.05, Rate504: 0.03, RateReset: 0.02})
	// A deterministic 429 storm on top of the random faults: 40 creates in a row refused.
	h.a.Inject(atlemu.Fault{Method: "POST", Status: 429, RetryAfter: "0", Times: 40}, atlemu.Fault{Method: "PATCH", Status: 503, Times: 10})
	h.mustRun(ctx, true)
	h.checkExact()
	h.ten.Mutate(0.1, 9)
	h.a.Inject(atlemu.Fault{Method: "PATCH", Status: 429, RetryAfter: "0", Times: 20})
	h.mustRun(ctx, false)
	h.checkExact()
	if h.a.StatusCount(429) < 60 || h.a.StatusCount(500)+h.a.StatusCount(503)+h.a.StatusCount(504) == 0 {
		t.Fatalf("no faults injected: 429=%d", h.a.StatusCount(429))
	}
}

func TestExpiredDeltaFallsBackToFull(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 17, Users: 100, Groups: 10}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	h.ten.Mutate(0.1, 4)
	h.g.ExpireDeltaTokens()
	p := h.mustRun(ctx, false)
	if !p.Full {
		t.Fatal("an expired delta token must fall back to a full read")
	}
	h.checkExact()
	if p := h.preview(ctx, false); p.Full || p.Len() != 0 {
		t.Fatalf("after the fallback: full=%v ops=%v", p.Full, opKeys(p))
	}
}

// Between the preview and the apply, someone creates one of the planned users by hand (409 on
// create: adopted) and deletes a user that the plan updates (404 on update: created again).
func TestConflictAndNotFoundDuringApply(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 18, Users: 60, Groups: 6}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	ch := h.ten.Mutate(0.2, 5)
	if len(ch.AddedUsers) == 0 || len(ch.UpdatedUsers) == 0 {
		t.Fatal("the seeded mutation must add and update users")
	}
	e := h.engine()
	p := h.previewed(ctx, e)
	var created, updated *engine.Op
	ops := p.Operations()
	for i := range ops {
		switch {
		case ops[i].Action == report.CreateUser && created == nil:
			created = &ops[i]
		case ops[i].Action == report.UpdateUser && updated == nil:
			updated = &ops[i]
		}
	}
	if created == nil || updated == nil {
		t.Fatalf("plan lacks a create and an update: %v", opKeys(p))
	}
	if _, err := h.a.SeedUser(atlemu.User{UserName: created.User.UserName, ExternalID: created.EntraID, Active: true}); err != nil {
		t.Fatal(err)
	}
	if !h.a.DeleteUserByHand(updated.SCIMID) {
		t.Fatal("could not delete by hand")
	}
	out, err := h.applyPreviewed(ctx, e, p)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out.All() {
		if r.Result == report.ResultFailed {
			t.Errorf("op %s %s failed: %+v", p.Op(i).Action, p.Op(i).Email, r)
		}
	}
	h.mustRun(ctx, true) // memberships of the re-created user are restored by the next full reconcile
	h.checkExact()
}

func TestFullReconcileEveryNRunsCatchesHandEdits(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 19, Users: 60, Groups: 6}, atlemu.Options{}, graph.Faults{})
	h.settings.FullReconcileEvery = 3
	var kinds []bool
	for i := 0; i < 4; i++ {
		if i == 1 {
			// A change made by hand in Atlassian: invisible to a delta, caught by the periodic full reconcile.
			for _, u := range h.a.State().Users {
				if u.Active {
					h.a.DeleteUserByHand(u.ID)
					break
				}
			}
		}
		kinds = append(kinds, h.mustRun(ctx, false).Full)
	}
	if !slices.Equal(kinds, []bool{true, false, false, true}) {
		t.Fatalf("full runs %v, want full every 3rd run", kinds)
	}
	h.checkExact()
}

func ops(p *engine.Plan, a report.Action) []engine.Op {
	var out []engine.Op
	for _, o := range p.Operations() {
		if o.Action == a {
			out = append(out, o)
		}
	}
	return out
}
