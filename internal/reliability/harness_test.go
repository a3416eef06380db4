package reliability

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/directory"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

// soak is true under `make soak` (IDPSYNC_SOAK=1): bigger tenants, more runs, more crashes.
var soak = os.Getenv("IDPSYNC_SOAK") == "1"

// bySoak is short under `make test` and long under `make soak`: the one place a test's sizes follow it.
func bySoak[T any](short, long T) T {
	if soak {
		return long
	}
	return short
}

const dirID = "rel"

// env is the one harness of this package: the real engine, Graph reader, SCIM client and SQLite
// store against the Graph and Atlassian emulators over loopback HTTPS, each emulator behind a
// FaultProxy when the test puts faults, mangles or watches there (envOpts.proxies). A proxy that
// only passes through doubled every request's HTTP and TLS work under -race and proved nothing.
type env struct {
	t        testing.TB
	auth     *loopbacktls.Authority
	ten      *tenant.Tenant
	g        *graph.Server
	a        *atlemu.Server
	gp, ap   *FaultProxy // nil unless envOpts.proxies
	st       *store.Store
	home     string
	settings engine.Settings
	src      engine.Source
	tgt      *atlassian.SCIM
	org      engine.OrgGroups // nil: no organization key
	access   engine.OrgAccess // nil: users who leave scope cannot be suspended
}

type envOpts struct {
	spec        tenant.Spec
	atl         atlemu.Options
	graph       graph.Options // the Graph emulator's own knobs (Faults, DeltaPageSize…)
	graphFaults Faults
	atlFaults   Faults
	pageSize    int  // Graph $top for users; small pages mean many requests to fault
	scimRetries int  // the SCIM client's 5xx retries; 0: the client's default (4)
	netRetries  int  // the Graph reader's retries after a connection error; 0: its default (3)
	proxies     bool // a FaultProxy in front of each emulator (faults, mangles, counts, kills); else the clients talk to the emulators
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	auth, err := loopbacktls.Shared()
	if err != nil {
		t.Fatal(err)
	}
	if !o.proxies && (o.graphFaults != Faults{} || o.atlFaults != Faults{}) {
		t.Fatal("proxy faults without envOpts.proxies would never be injected")
	}
	e := &env{t: t, auth: auth, ten: tenant.Generate(o.spec), home: t.TempDir()}
	o.graph.Tenant, o.graph.Authority, o.graph.NoThrottle = e.ten, auth, true
	e.g = graph.New(o.graph)
	if err := e.g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.g.Close)
	o.atl.Authority = auth
	if e.a, err = atlemu.New(o.atl); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.a.Close() })
	if o.proxies {
		e.gp = NewFaultProxy(e.g.URL(), auth, o.graphFaults)
		t.Cleanup(e.gp.Close)
		e.ap = NewFaultProxy(e.a.URL(), auth, o.atlFaults)
		t.Cleanup(e.ap.Close)
	}
	e.st = openStore(t, e.home)
	if err := e.st.CreateDirectory(context.Background(), store.Directory{ID: dirID, Name: "Reliability", Cloud: "global", ClientID: "c", SCIMBaseURL: e.scimURL()}); err != nil {
		t.Fatal(err)
	}
	s := engine.DefaultSettings()
	s.DeactivationMaxCount, s.DeactivationMaxPercent = 0, 0
	s.RemovalMaxCount, s.RemovalMaxPercent = 0, 0
	e.settings = mustNorm(t, s)
	e.src, e.tgt = e.clients(o)
	return e
}

// syncedEnv is an env over a tenant of spec after one full sync that must succeed: where most
// tests of a rule start.
func syncedEnv(ctx context.Context, t testing.TB, spec tenant.Spec) *env {
	t.Helper()
	e := newEnv(t, envOpts{spec: spec})
	e.mustRun(ctx, true)
	return e
}

// startDemo starts the demo's emulators (Graph, identity, Atlassian; no throttling) with a
// tenant of users and groups, closed when t ends: for the tests that go through the product's
// own demo wiring (sign-in included) rather than this package's harness.
func startDemo(ctx context.Context, t testing.TB, users, groups int) *demo.Env {
	t.Helper()
	env, err := demo.Start(ctx, demo.Options{Users: users, Groups: groups, NoThrottle: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	return env
}

func openStore(t testing.TB, home string) *store.Store {
	st, err := store.Open(context.Background(), home)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustNorm(t testing.TB, s engine.Settings) engine.Settings {
	t.Helper()
	n, err := s.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// graphURL is the Graph service root (before /v1.0) the clients use: the proxy's, if any.
func (e *env) graphURL() string {
	if e.gp == nil {
		return e.g.URL()
	}
	return e.gp.URL()
}

// scimURL is the directory's base URL the clients use: through the proxy, if any.
func (e *env) scimURL() string {
	if e.ap == nil {
		return e.a.SCIMURL()
	}
	return e.ap.URL() + strings.TrimPrefix(e.a.SCIMURL(), e.a.URL())
}

func (e *env) clients(o envOpts) (engine.Source, *atlassian.SCIM) {
	u, _ := url.Parse(e.graphURL())
	r, err := entra.New(entra.Config{BaseURL: e.graphURL() + "/v1.0", Tokens: entra.StaticToken("test-token", u.Hostname(), u.Host),
		Transport: e.auth.Transport(), PageSize: o.pageSize, NetworkRetries: o.netRetries})
	if err != nil {
		e.t.Fatal(err)
	}
	tgt, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: e.scimURL(), APIKey: e.a.APIKey(), Transport: e.auth.Transport(), AllowCustomHost: true,
		LimiterConfig: atlassian.LimiterConfig{Initial: 2000, Max: 20000, Increase: 500},
		Retry:         atlassian.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 200 * time.Millisecond, MaxRetries: o.scimRetries}})
	if err != nil {
		e.t.Fatal(err)
	}
	return adapter.Graph{Reader: r}, tgt
}

func (e *env) engine() *engine.Engine {
	return &engine.Engine{DirectoryID: dirID, Source: e.src, Target: adapter.SCIM{SCIM: e.tgt}, Org: e.org, Access: e.access, State: adapter.Store{Store: e.st},
		SnapshotDir: e.home + "/snapshots"}
}

type result struct {
	plan *engine.Plan
	out  *engine.Outcome
	rep  *report.Report
	err  error
}

// run is one sync through the engine's lifecycle, as the headless command runs it; override lets
// it past the deactivation and removal thresholds and the read-shrink rail; hook is RunSpec.Hook.
func (e *env) run(ctx context.Context, full, override bool, hook func(int)) result {
	e.t.Helper()
	o := engine.Overrides{Threshold: override, RemovalThreshold: override, ReadShrink: override}
	return runLifecycle(ctx, e.t, e.engine(), e.st, e.ten, e.settings, e.home, full, o, hook)
}

// runLifecycle runs one sync of eng through engine.Run (lock, key proof, prepare, confirmation,
// rails, record, resume, apply, commit, report) as an admin who confirms the tenant as it is now,
// and reads back the report it wrote.
func runLifecycle(ctx context.Context, t testing.TB, eng *engine.Engine, st *store.Store, ten *tenant.Tenant, s engine.Settings, home string,
	full bool, o engine.Overrides, hook func(int)) result {
	t.Helper()
	res, err := eng.Run(ctx, lifecycleSpec(st, s, home, full, confirmation(ten, s), o, hook))
	r := result{plan: res.Plan, out: res.Outcome, err: err}
	path := res.ReportPath
	if path == "" && res.Preview != nil {
		path = res.Preview.ReportPath
	}
	if path != "" {
		l, lerr := report.LoadFile(path)
		if lerr != nil {
			t.Fatalf("the run's report: %v", lerr)
		}
		r.rep = l.Report
	}
	return r
}

// lifecycleSpec is the spec of one run of the directory in home.
func lifecycleSpec(st *store.Store, s engine.Settings, home string, full bool, c engine.Confirmation, o engine.Overrides, hook func(int)) engine.RunSpec {
	return engine.RunSpec{PreviewSpec: engine.PreviewSpec{DirectoryName: "Reliability", Settings: s, Full: full, AppVersion: "test",
		Reports: engine.ReportFiles{Dir: home + "/reports"}},
		Confirm: c, Overrides: o, Purpose: "reliability test", Lock: st, Hook: hook}
}

// confirmation is what the admin confirms for the tenant as it is now: its id and the domain
// set the settings select.
func confirmation(ten *tenant.Tenant, s engine.Settings) engine.Confirmation {
	return engine.Confirmation{TenantID: ten.Org().ID, Domains: engine.SyncDomains(ten.DomainList(), s)}
}

// mustRun runs a sync that must succeed completely.
func (e *env) mustRun(ctx context.Context, full bool) result {
	e.t.Helper()
	r := e.run(ctx, full, true, nil)
	if r.err != nil {
		e.t.Fatalf("sync failed: %v", r.err)
	}
	if r.out.Status != report.StatusSucceeded {
		for i, res := range r.out.All() {
			if res.Result == report.ResultFailed {
				e.t.Errorf("op %s %s %s failed: %s %s", r.plan.Op(i).Action, r.plan.Op(i).Name, r.plan.Op(i).Email, res.Code, res.Message)
			}
		}
		e.t.Fatalf("status %s, errors %+v", r.out.Status, r.out.Errors)
	}
	checkReport(e.t, r.rep)
	return r
}

// preview plans without applying.
func (e *env) preview(ctx context.Context, full bool) *engine.Plan {
	e.t.Helper()
	p, err := e.engine().Prepare(ctx, engine.PrepareOptions{Settings: e.settings, Full: full})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// previewed is a preview through the lifecycle with eng, for a test that changes the world between
// the preview and its apply.
func (e *env) previewed(ctx context.Context, eng *engine.Engine) *engine.Plan {
	e.t.Helper()
	pv, err := eng.Preview(ctx, lifecycleSpec(e.st, e.settings, e.home, false, engine.Confirmation{}, engine.Overrides{}, nil).PreviewSpec)
	if err != nil {
		e.t.Fatal(err)
	}
	return pv.Plan
}

// applyPreviewed applies a previewed plan through the lifecycle, as the app's Apply does after
// the admin confirmed the tenant, domains and digest shown.
func (e *env) applyPreviewed(ctx context.Context, eng *engine.Engine, p *engine.Plan) (*engine.Outcome, error) {
	e.t.Helper()
	spec := lifecycleSpec(e.st, e.settings, e.home, false, engine.Confirmation{TenantID: p.Tenant.ID, Domains: p.Domains, PlanDigest: p.Digest},
		engine.Overrides{Threshold: true}, nil)
	spec.Plan = p
	res, err := eng.Run(ctx, spec)
	return res.Outcome, err
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

func ops(p *engine.Plan, a report.Action) []engine.Op {
	var out []engine.Op
	for _, o := range p.Operations() {
		if o.Action == a {
			out = append(out, o)
		}
	}
	return out
}

// checkReport asserts that the report accounts for every operation: each has a final result,
// every failure has a code, and the counts add up to the operations, key by key.
func checkReport(t testing.TB, r *report.Report) {
	t.Helper()
	tally := map[string]int{}
	for _, op := range r.Operations {
		if r.Kind == report.KindApply && op.Result == report.ResultPlanned {
			t.Errorf("op %d %s %s has no result", op.Seq, op.Action, op.Object.Name)
		}
		if op.Result == report.ResultFailed && op.Code == "" {
			t.Errorf("op %d %s failed without a code", op.Seq, op.Action)
		}
		tally[fmt.Sprint(op.Action, "|", op.Result)]++
	}
	sum := 0
	for _, c := range r.Counts {
		sum += c.N
		tally[fmt.Sprint(c.Action, "|", c.Result)] -= c.N
	}
	if sum != len(r.Operations) {
		t.Errorf("counts add up to %d, the report has %d operations", sum, len(r.Operations))
	}
	for k, v := range tally {
		if v != 0 {
			t.Errorf("count %s is off by %d", k, -v)
		}
	}
	for _, s := range r.Skips {
		if s.Reason == "" {
			t.Errorf("skip of %s has no reason", s.Object.Name)
		}
	}
}

// skipReason is the reason the run's report gives for skipping the object with this Entra id, or
// (entraID empty) with this name; "" when the report does not skip it.
func skipReason(r result, entraID, name string) string {
	for _, s := range r.rep.Skips {
		if (entraID != "" && s.Object.EntraID == entraID) || (entraID == "" && s.Object.Name == name) {
			return s.Reason
		}
	}
	return ""
}

func fromEmu(u atlemu.User) engine.User {
	return engine.User{ID: u.ID, ExternalID: u.ExternalID, UserName: u.UserName, DisplayName: u.DisplayName, GivenName: u.GivenName,
		FamilyName: u.FamilyName, Email: u.Email(), Title: u.Title, PreferredLanguage: u.PreferredLanguage, MobilePhone: u.Phone("mobile"),
		WorkPhone: u.Phone("work"), Department: u.Department, Active: u.Active}
}

// lost counts objects of the desired state missing or wrong in the organization (users,
// attributes, active flags, groups, memberships); checkExact reports each and returns the count.
func (e *env) checkExact(held ...string) int {
	e.t.Helper()
	return checkExact(e.t, e.ten.Snapshot(), e.settings, e.a.State(), held...) + integrity(e.t, e.st)
}

func integrity(t testing.TB, st *store.Store) int {
	t.Helper()
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("store integrity: %v", err)
		return 1
	}
	return 0
}

func checkExact(t testing.TB, snap *directory.Snapshot, st engine.Settings, state atlemu.State, held ...string) int {
	t.Helper()
	d := engine.Scope(snap, st, nil)
	bad := 0
	fail := func(format string, a ...any) {
		bad++
		if bad <= 20 {
			t.Errorf(format, a...)
		}
	}
	byExt := map[string]engine.User{}
	names := map[string]int{}
	byName := map[string]atlemu.User{} // lower userName → the account holding it
	for _, u := range state.Users {
		names[strings.ToLower(u.UserName)]++
		byName[strings.ToLower(u.UserName)] = u
		if u.ExternalID != "" {
			if _, dup := byExt[u.ExternalID]; dup {
				fail("externalId %s twice", u.ExternalID)
			}
			byExt[u.ExternalID] = fromEmu(u)
		}
	}
	for n, c := range names {
		if c > 1 {
			fail("user %s exists %d times", n, c)
		}
	}
	for id, du := range d.Users {
		cur, ok := byExt[id]
		if !ok {
			// Atlassian refuses a user whose userName (in any case) an account holds, a
			// deactivated one too (409 uniqueness, KB-409), and the sync adopts by userName only
			// an account no other Entra object owns: a desired user whose name is held by the
			// deactivated account of an Entra user out of scope (a deleted case twin) waits,
			// skipped as username_taken. Any other holder is counted below (a desired owner's
			// account differs, an out-of-scope one is active).
			if h, held := byName[strings.ToLower(du.SCIM.UserName)]; held && h.ExternalID != "" && h.ExternalID != id && !h.Active {
				if _, owned := d.Users[h.ExternalID]; !owned {
					continue
				}
			}
			if du.SCIM.Active {
				fail("user %s (%s) missing", du.SCIM.UserName, id)
			}
			continue
		}
		if ch := engine.DiffUser(cur, du.SCIM); len(ch) > 0 {
			fail("user %s differs: %+v", du.SCIM.UserName, ch)
		}
	}
	for ext, u := range byExt {
		if _, ok := d.Users[ext]; !ok && u.Active {
			fail("user %s (%s) out of scope but active", u.UserName, ext)
		}
	}
	groups := map[string]atlemu.Group{}
	for _, g := range state.Groups {
		if _, dup := groups[strings.ToLower(g.DisplayName)]; dup {
			fail("group %s twice", g.DisplayName)
		}
		groups[strings.ToLower(g.DisplayName)] = g
	}
	for id, dg := range d.Groups {
		if slices.Contains(held, dg.Name) {
			continue
		}
		g, ok := groups[strings.ToLower(dg.Name)]
		if !ok {
			fail("group %s missing", dg.Name)
			continue
		}
		if g.ExternalID != "" && engine.ExternalOwner(g.ExternalID) != id {
			fail("group %s has externalId %s, want %s", dg.Name, g.ExternalID, id)
		}
		var want []string
		for _, m := range dg.Members {
			if u, ok := byExt[m]; ok {
				want = append(want, u.ID)
			}
		}
		slices.Sort(want)
		got := slices.Clone(g.Members)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			fail("group %s has %d members, want %d", dg.Name, len(got), len(want))
		}
	}
	return bad
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
