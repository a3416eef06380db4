package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/directory"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

func verifiedDomains(ten *tenant.Tenant) []string {
	var out []string
	for _, d := range ten.Domains {
		if d.IsVerified {
			out = append(out, strings.ToLower(d.Name))
		}
	}
	return out
}

// The deactivation threshold blocks an apply (GUI, headless and automatic) that would deactivate
// more than it allows, before any write; overridden for one run, that run applies.
func TestRailThresholdBlocks(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	c := syncedCrashEnv(ctx, t, tenant.Spec{Seed: 71, Users: 75, Groups: 6})
	doms := verifiedDomains(c.ten)
	s, _ := c.b.Settings(ctx, c.dirID)
	s.DomainMode, s.Domains = engine.DomainsSpecific, doms[:1]
	s.DeactivationMaxCount, s.DeactivationMaxPercent = 3, 5
	s.RemovalMaxCount, s.RemovalMaxPercent = 0, 0 // this test is the deactivation threshold's
	if _, err := c.b.SaveSettings(ctx, c.dirID, s); err != nil {
		t.Fatal(err)
	}
	c.settings = mustNorm(t, s)
	writes := len(c.a.Writes())
	ten, cd := c.confirm()
	_, plan, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: cd})
	if apperr.CodeOf(err) != apperr.ThresholdExceeded || !plan.ThresholdTripped || plan.Deactivations <= 3 {
		t.Fatalf("headless: %v (tripped %v, %d deactivations)", err, plan.ThresholdTripped, plan.Deactivations)
	}
	p, err := c.b.Preview(ctx, c.dirID, backend.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.refusedThenOverridden(ctx, t, p, backend.Confirmation{}, apperr.ThresholdExceeded, writes,
		backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: cd, OverrideThreshold: true})
}

// refusedThenOverridden asserts that the GUI's apply of the preview p, confirmed as shown with the
// overrides in gui, is refused with code; that nothing was written since writes; and that the
// headless sync with o (the override the rail asks for) then applies, exactly.
func (c *crashEnv) refusedThenOverridden(ctx context.Context, t *testing.T, p backend.PlanSummary, gui backend.Confirmation, code apperr.Code,
	writes int, o backend.HeadlessOptions) {
	t.Helper()
	gui.TenantID, gui.Domains, gui.PlanDigest = p.TenantID, p.Domains, p.Digest
	if _, err := c.b.Apply(ctx, p.PlanID, gui); apperr.CodeOf(err) != code {
		t.Fatalf("GUI apply: %v, want %s", err, code)
	}
	if n := len(c.a.Writes()) - writes; n != 0 {
		t.Fatalf("%d writes after blocked applies", n)
	}
	run, _, err := c.b.Headless(ctx, c.dirID, o)
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("override: %v", err)
	}
	if c.checkExact() != 0 {
		t.Fatal("not exact after the overridden run")
	}
}

// A confirmation binds the tenant and the exact domain set: a domain newly verified in Entra (so
// "all verified domains" grew), a headless confirmation naming the old set, and the directory's
// tenant answering as another tenant each stop the sync before any write.
func TestRailConfirmationBindsTenantAndDomains(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	c := newCrashEnv(t, tenant.Spec{Seed: 72, Users: 120, Groups: 10}, Faults{})
	ten, doms := c.confirm()
	p, err := c.b.Preview(ctx, c.dirID, backend.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run, err := c.b.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest}); err != nil || run.Status != "succeeded" {
		t.Fatalf("first sync: %v", err)
	}
	writes := len(c.a.Writes())
	// A domain that was unverified becomes verified in Entra.
	grew := false
	for i := range c.ten.Domains {
		if !c.ten.Domains[i].IsVerified {
			c.ten.Domains[i].IsVerified, grew = true, true
			break
		}
	}
	if !grew {
		t.Fatal("the tenant has no unverified domain to verify")
	}
	// The automatic sync (an incremental read) sees it and waits for the admin.
	if _, err := c.b.AutoSync(ctx, c.dirID); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("automatic sync after a domain was verified in Entra: %v", err)
	}
	if _, _, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: doms}); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("headless with the old domain set: %v", err)
	}
	// Confirmed with the new set, an incremental sync brings the newly verified domain's users in.
	_, grown := c.confirm()
	if run, plan, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, OverrideThreshold: true, ConfirmTenant: ten, ConfirmDomains: grown}); err != nil || run.Status != "succeeded" || plan.Full {
		t.Fatalf("incremental sync with the new domain set: %v %s full=%v", err, run.Status, plan.Full)
	}
	if c.checkExact() != 0 {
		t.Fatal("not exact after the domain set grew")
	}
	writes = len(c.a.Writes())
	// A plan previewed, then confirmed with the old domain set, another tenant or another digest.
	p, err = c.b.Preview(ctx, c.dirID, backend.PreviewOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.b.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: p.TenantID, Domains: doms, PlanDigest: p.Digest}); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("GUI apply confirming the old domain set: %v", err)
	}
	if _, err := c.b.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: "00000000-0000-0000-0000-000000000000", Domains: p.Domains, PlanDigest: p.Digest}); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("GUI apply confirming another tenant: %v", err)
	}
	if _, err := c.b.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: strings.Repeat("0", 64)}); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("GUI apply confirming another plan: %v", err)
	}
	// The directory's Graph now answers as another tenant (a different sign-in): refused by the pin.
	other := graph.New(graph.Options{Tenant: tenant.Generate(tenant.Spec{Seed: 73, Users: 20, Groups: 2}), Authority: c.auth, NoThrottle: true})
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	b2, err := backendOn(ctx, c.home, other.URL()+"/v1.0", c.dirID, c.a.APIKey(), c.auth.Transport())
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if _, _, err := b2.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, Full: true, ConfirmTenant: ten, ConfirmDomains: doms}); apperr.CodeOf(err) != apperr.TenantMismatch {
		t.Errorf("headless sync of another tenant: %v", err)
	}
	// The automatic sync's incremental read finds delta links of the old endpoint: it reads
	// everything instead, and meets the pin.
	if _, err := b2.AutoSync(ctx, c.dirID); apperr.CodeOf(err) != apperr.TenantMismatch {
		t.Errorf("automatic sync of another tenant: %v", err)
	}
	if _, err := b2.Preview(ctx, c.dirID, backend.PreviewOptions{Full: true}); apperr.CodeOf(err) != apperr.TenantMismatch {
		t.Errorf("preview of another tenant: %v", err)
	}
	if n := len(c.a.Writes()) - writes; n != 0 {
		t.Fatalf("%d writes after refused confirmations", n)
	}
}

// Protected groups are never written: not created, not taken over, no member added or removed,
// never deleted, whatever the settings and the tenant say.
func TestRailProtectedGroupsNeverWritten(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	spec := tenant.Spec{Seed: 74, Users: 100, Groups: 10}
	snap := tenant.Generate(spec).Snapshot()
	var names []string
	for _, g := range snap.Groups {
		if n := strings.TrimSpace(g.DisplayName); n != "" && len(names) < 2 {
			names = append(names, n)
		}
	}
	// The first protected group exists in Atlassian (made by hand, one member); the second does not.
	e := newEnv(t, envOpts{spec: spec, atl: atlemu.Options{
		Users:  []atlemu.User{{UserName: "keeper@hand.example", DisplayName: "Keeper", Active: true}},
		Groups: []atlemu.SeedGroup{{DisplayName: names[0], Members: []string{"keeper@hand.example"}}}}})
	s := e.settings
	s.ProtectedGroups = names
	s.DeleteOutOfScopeGroups = true
	e.settings = mustNorm(t, s)
	g0, _ := e.a.State().GroupByName(names[0])
	for round := 0; round < 3; round++ {
		if round > 0 {
			e.ten.Mutate(0.15, uint64(74+round))
		}
		r := e.mustRun(ctx, round != 1)
		for _, n := range names {
			if skipReason(r, "", n) != engine.ReasonProtectedGroup {
				t.Errorf("round %d: %q not reported as protected", round, n)
			}
		}
	}
	for _, w := range e.a.Writes() {
		if strings.Contains(w.Path, g0.ID) || strings.Contains(w.Body, names[0]) || strings.Contains(w.Body, names[1]) {
			t.Errorf("a write touched a protected group: %s %s %.200s", w.Method, w.Path, w.Body)
		}
	}
	if g, ok := e.a.State().GroupByName(names[0]); !ok || len(g.Members) != 1 {
		t.Fatalf("the protected group changed: %+v", g)
	}
	if _, ok := e.a.State().GroupByName(names[1]); ok {
		t.Fatal("a protected group was created")
	}
}

// A group that leaves scope (the admin narrows the selection) is left in Atlassian, members and
// all, and reported as no longer managed; only with DeleteOutOfScopeGroups set when it leaves
// is it deleted.
func TestRailGroupLeavingScopeKept(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	for _, del := range []bool{false, true} {
		e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 75, Users: 60, Groups: 6, Depth: 2}})
		e.mustRun(ctx, true)
		before := e.a.State()
		s := e.settings
		s.UserMode, s.Groups = engine.UsersGroups, []string{e.ten.Snapshot().Groups[0].ID}
		s.DeleteOutOfScopeGroups = del
		e.settings = mustNorm(t, s)
		r := e.mustRun(ctx, true)
		deletes, retired := 0, 0
		for _, w := range e.a.Writes() {
			if w.Method == "DELETE" && strings.HasPrefix(w.Path, "/Groups") {
				deletes++
			}
		}
		for _, op := range r.rep.Operations {
			if op.Action == report.RetireGroup || op.Action == report.DeleteGroup {
				retired++
			}
		}
		after := e.a.State()
		if retired == 0 {
			t.Fatalf("delete=%v: the groups that left scope are not reported", del)
		}
		if !del {
			if deletes != 0 || len(after.Groups) != len(before.Groups) {
				t.Fatalf("a group was deleted without the setting: %d deletes, %d groups before, %d after", deletes, len(before.Groups), len(after.Groups))
			}
			for _, g := range before.Groups {
				if a, ok := after.GroupByName(g.DisplayName); !ok || len(a.Members) != len(g.Members) {
					t.Errorf("group %s left scope and was changed: %d members, had %d", g.DisplayName, len(a.Members), len(g.Members))
				}
			}
		} else if deletes != retired || len(after.Groups) != len(before.Groups)-retired {
			t.Fatalf("with the setting: %d deletes for %d groups out of scope", deletes, retired)
		}
	}
}

// Two syncs of one directory at once from two backends on one home (the GUI and a headless run):
// the second is refused with SyncLocked naming the holder; the first completes; nothing is corrupted.
func TestTwoSyncsAtOnceRefused(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	c := newCrashEnv(t, tenant.Spec{Seed: 76, Users: 40, Groups: 4}, Faults{})
	// A standing confirmation, so that the automatic sync below gets as far as the lock (without
	// one it stops earlier, at ConfirmationRequired, and would not test the lock at all).
	ten, doms := c.confirm()
	if err := c.b.Store().SetStandingConfirmation(ctx, c.dirID, store.Confirmation{TenantID: ten, Domains: doms, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// The GUI's first write to Atlassian says its apply holds the lock (an event, not a poll) and
	// waits there until the other syncs were tried: the first sync is still applying when they
	// start, whatever the size of the tenant and the speed of the machine (it took 200 users and
	// 5 ms of emulated latency per request to be likely, 3.2 CPU-s).
	writing, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	let := func() { released.Do(func() { close(release) }) }
	t.Cleanup(let)
	base := c.auth.Transport() // one transport: a new one per request was a TLS handshake each
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/scim/") {
			once.Do(func() { close(writing) })
			<-release
		}
		return base.RoundTrip(r)
	})
	gui, err := backendOn(ctx, c.home, c.gp.URL()+"/v1.0", c.dirID, c.a.APIKey(), tr)
	if err != nil {
		t.Fatal(err)
	}
	defer gui.Close()
	p, err := gui.Preview(ctx, c.dirID, backend.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		run, err := gui.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest})
		if err == nil && run.Status != "succeeded" {
			err = apperr.New(apperr.Internal, "status %s", run.Status)
		}
		done <- err
	}()
	select {
	case <-writing:
	case err := <-done:
		t.Fatalf("the first sync ended before it wrote: %v", err)
	}
	_, _, err = c.headless(ctx)
	if apperr.CodeOf(err) != apperr.SyncLocked || !strings.Contains(err.Error(), "apply") {
		t.Fatalf("the second sync: %v", err)
	}
	if _, err := c.b.AutoSync(ctx, c.dirID); apperr.CodeOf(err) != apperr.SyncLocked {
		t.Fatalf("an automatic sync meanwhile: %v, want %s", err, apperr.SyncLocked)
	}
	let()
	if err := <-done; err != nil {
		t.Fatalf("the first sync: %v", err)
	}
	if c.checkExact() != 0 {
		t.Fatal("not exact")
	}
	// Once it ended, the lock is free again.
	if run, _, err := c.headless(ctx); err != nil || run.Status != "succeeded" {
		t.Fatalf("after the first ended: %v", err)
	}
}

// roundTripFunc lets a test watch the requests a backend sends.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Issue 14 point 1, end to end: a synced group is protected, then renamed in Entra to a spelling
// the matcher folds to its Atlassian name ("ſALES" for "Sales", U+017F) and emptied there. Full
// and incremental syncs then send Atlassian no request that names the group, its members stay,
// and the report says it is protected. Before the fix its members were removed.
func TestIssue14_1_ProtectedGroupRenamedWithUnicodeIsNeverWritten(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	spec := tenant.Spec{Seed: 114, Users: 80, Groups: 8}
	e := newEnv(t, envOpts{spec: spec})
	e.mustRun(ctx, true)
	var gid, name string
	for _, g := range e.ten.Snapshot().Groups {
		if strings.HasPrefix(g.DisplayName, "Sales ") {
			gid, name = g.ID, g.DisplayName
		}
	}
	live, ok := e.a.State().GroupByName(name)
	if gid == "" || !ok || len(live.Members) == 0 {
		t.Fatalf("no synced Sales group with members (%q, %v, %d)", name, ok, len(live.Members))
	}
	s := e.settings
	s.ProtectedGroups = []string{name}
	e.settings = mustNorm(t, s)
	e.mustRun(ctx, false)
	renamed := "ſALES" + strings.TrimPrefix(name, "Sales")
	if !e.ten.RenameGroup(gid, renamed) {
		t.Fatal("rename failed")
	}
	writes := len(e.a.Writes())
	for _, full := range []bool{false, true} {
		r := e.run(ctx, full, true, nil)
		if r.err != nil {
			t.Fatalf("full=%v: %v", full, r.err)
		}
		if skipReason(r, "", renamed) != engine.ReasonProtectedGroup {
			t.Errorf("full=%v: %q is not reported as protected", full, renamed)
		}
	}
	for _, w := range e.a.Writes()[writes:] {
		if strings.Contains(w.Path, live.ID) || strings.Contains(w.Body, live.ID) {
			t.Errorf("a write touched the protected group: %s %s %.200s", w.Method, w.Path, w.Body)
		}
	}
	if g, ok := e.a.State().GroupByName(name); !ok || len(g.Members) != len(live.Members) {
		t.Fatalf("the protected group changed: %d members, had %d", len(g.Members), len(live.Members))
	}
}

func blockedCodes(p backend.PlanSummary) []string {
	var out []string
	for _, b := range p.Blocked {
		out = append(out, b.Code)
	}
	return out
}

// Issue 14 point 2: emptying groups in Entra, with no user deactivated, trips the
// membership-removal threshold; the automatic sync, the GUI apply and the headless sync stop
// before any write, the deactivation threshold's override does not let it by, and only its own
// override (GUI tick, --override-removal-threshold) applies the run. Then a read holding far fewer
// users than the last sync (and an empty one) trips the read-shrink rail with every threshold
// off, under the same rules.
func TestIssue14_2_MembershipRemovalsAndShrunkenReadsTripARailBeforeWriting(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 3*time.Minute)
	c := syncedCrashEnv(ctx, t, tenant.Spec{Seed: 141, Users: 150, Groups: 12})
	s, _ := c.b.Settings(ctx, c.dirID)
	s.DeactivationMaxCount, s.DeactivationMaxPercent = 0, 0 // off: removals alone must trip
	s.RemovalMaxCount, s.RemovalMaxPercent = 20, 0
	if _, err := c.b.SaveSettings(ctx, c.dirID, s); err != nil {
		t.Fatal(err)
	}
	c.settings = mustNorm(t, s)
	removed := c.ten.EmptyGroups(3)
	if removed <= 20 {
		t.Fatalf("emptying 3 groups removed only %d direct memberships", removed)
	}
	writes := len(c.a.Writes())
	if _, err := c.b.AutoSync(ctx, c.dirID); apperr.CodeOf(err) != apperr.RemovalsExceeded {
		t.Fatalf("automatic sync after groups were emptied: %v", err)
	}
	ten, doms := c.confirm()
	_, plan, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: doms, OverrideThreshold: true})
	if apperr.CodeOf(err) != apperr.RemovalsExceeded || !plan.RemovalThresholdTripped || plan.Deactivations != 0 || plan.MembershipRemovals <= 20 {
		t.Fatalf("headless with only the deactivation override: %v (tripped %v, %d removals, %d deactivations)", err, plan.RemovalThresholdTripped, plan.MembershipRemovals, plan.Deactivations)
	}
	t.Logf("emptied 3 groups (%d direct memberships): the plan removes %d of %d managed memberships, 0 deactivations", removed, plan.MembershipRemovals, plan.ManagedMemberships)
	if !strings.Contains(apperr.As(err).Message, "managed group memberships") {
		t.Errorf("the message does not say what is removed: %q", apperr.As(err).Message)
	}
	p, err := c.b.Preview(ctx, c.dirID, backend.PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if codes := blockedCodes(p); len(codes) != 1 || codes[0] != string(apperr.RemovalsExceeded) {
		t.Errorf("the preview shows %v, want the removal threshold", codes)
	}
	// The GUI apply with only the deactivation override is refused; the removal override applies.
	c.refusedThenOverridden(ctx, t, p, backend.Confirmation{OverrideThreshold: true}, apperr.RemovalsExceeded, writes,
		backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: doms, OverrideRemovalThreshold: true})

	// A read with 20 of 150 users (the rest gone: a permission or a filter, or a real purge),
	// every threshold off.
	s.RemovalMaxCount, s.RemovalMaxPercent = 0, 0
	if _, err := c.b.SaveSettings(ctx, c.dirID, s); err != nil {
		t.Fatal(err)
	}
	c.settings = mustNorm(t, s)
	before := c.ten.UserCount()
	c.ten.DeleteUsers(20)
	writes = len(c.a.Writes())
	for _, full := range []bool{false, true} {
		p, err := c.b.Preview(ctx, c.dirID, backend.PreviewOptions{Full: full})
		if err != nil {
			t.Fatal(err)
		}
		if !p.ReadShrinkTripped || !strings.Contains(strings.Join(blockedCodes(p), ","), string(apperr.ReadShrank)) {
			t.Fatalf("full=%v: %d of %d users read, rail not tripped: %v", full, c.ten.UserCount(), before, p.Blocked)
		}
		if _, err := c.b.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest, OverrideThreshold: true, OverrideRemovalThreshold: true}); apperr.CodeOf(err) != apperr.ReadShrank {
			t.Fatalf("full=%v: GUI apply with the threshold overrides: %v", full, err)
		}
	}
	if _, err := c.b.AutoSync(ctx, c.dirID); apperr.CodeOf(err) != apperr.ReadShrank {
		t.Fatalf("automatic sync after the read shrank: %v", err)
	}
	if _, _, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: doms, OverrideThreshold: true, OverrideRemovalThreshold: true}); apperr.CodeOf(err) != apperr.ReadShrank {
		t.Fatalf("headless without --override-read-shrink: %v", err)
	} else if m := apperr.As(err).Message; !strings.Contains(m, "20 users where the last sync read 150") {
		t.Errorf("the message does not give the counts: %q", m)
	}
	// An empty read (every user and every group gone) trips it too.
	c.ten.DeleteUsers(0)
	c.ten.EmptyGroups(1 << 20)
	if _, err := c.b.AutoSync(ctx, c.dirID); apperr.CodeOf(err) != apperr.ReadShrank {
		t.Fatalf("automatic sync after an empty read: %v", err)
	}
	if n := len(c.a.Writes()) - writes; n != 0 {
		t.Fatalf("%d writes after a shrunken read", n)
	}
	run, _, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: doms, OverrideReadShrink: true})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("override of the read-shrink rail: %v", err)
	}
	if c.checkExact() != 0 {
		t.Fatal("not exact after the overridden run")
	}
	// The overridden run is the new yardstick: the next automatic sync runs.
	if run, err := c.b.AutoSync(ctx, c.dirID); err != nil || run.Status != "succeeded" {
		t.Fatalf("automatic sync after the override: %v", err)
	}
}

// A group beyond the directory's users-per-group limit, read through the real Graph reader over
// many pages, is refused with PlanLimitExceeded and an over_group_limit skip naming the group and
// its size, and nothing at all is written. The directory's limit is set to 100 here (Settings.Limits,
// where Atlassian's raised limits go) so that a 150-member group trips it: the rule under test is
// the whole path from the read to the refusal, which a 50,000-member group proved in 46 s; the
// exact default of 35,000 is TestGroupLimitBoundary's, in memory. Pages of 10 users and 10 delta
// entries keep the read many requests long.
func TestGroupBeyondAtlassianLimit(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	const limit, n = 100, 150
	e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 81, Users: n, Groups: 6, Depth: 1, LargeGroup: n, MembersPerGroup: 3,
		GuestFraction: 0.01, DisabledFrac: 0.01, NoMailFrac: 0.01}, pageSize: 10, graph: graph.Options{DeltaPageSize: 10}})
	e.settings.Limits.UsersPerGroup = limit
	e.settings = mustNorm(t, e.settings)
	start := time.Now()
	r := e.run(ctx, true, true, nil)
	if apperr.CodeOf(r.err) != apperr.PlanLimitExceeded {
		t.Fatalf("a %d-member group over a limit of %d: got %v, want plan_limit_exceeded", n, limit, r.err)
	}
	found := 0
	for _, s := range r.rep.Skips {
		if s.Reason == engine.ReasonOverGroupLimit && s.Object.Type == "group" && s.Object.Name != "" && strings.Contains(s.Detail, " users") {
			found++
			t.Logf("%s: %s (%s)", s.Object.Name, s.Reason, s.Detail)
		}
	}
	if found != 1 {
		t.Errorf("%d over_group_limit skips, want the one group", found)
	}
	if r.rep.Status != report.StatusBlocked || len(r.rep.Errors) == 0 || r.rep.Errors[0].Code != string(apperr.PlanLimitExceeded) {
		t.Errorf("report status %s errors %+v", r.rep.Status, r.rep.Errors)
	}
	if w := len(e.a.Writes()); w != 0 {
		t.Fatalf("%d writes for a plan over the limit", w)
	}
	if gets := len(e.g.Log()); gets < n/10 {
		t.Fatalf("the read took %d Graph requests, want at least %d pages", gets, n/10)
	}
	t.Logf("FIGURES limits: %d-member group over a limit of %d read in %d Graph requests and refused in %v, 0 writes",
		n, limit, len(e.g.Log()), time.Since(start).Round(time.Millisecond))
}

// The limit is exact: 35,000 users in a group (nested, through a cycle) plan; 35,001 are refused.
// Built in memory: the engine's scope and plan, no HTTP.
func TestGroupLimitBoundary(t *testing.T) {
	t.Parallel()
	for _, n := range []int{engine.MaxUsersPerGroup, engine.MaxUsersPerGroup + 1} {
		snap := &directory.Snapshot{Tenant: directory.Tenant{ID: "t", DisplayName: "T"}, Domains: []directory.Domain{{Name: "big.example", IsVerified: true}},
			Groups:  []directory.Group{{ID: "g-top", DisplayName: "Top"}, {ID: "g-mid", DisplayName: "Mid"}},
			Members: map[string][]directory.Member{}}
		// Top contains Mid and Mid contains Top (a cycle); users hang off both.
		snap.Members["g-top"] = append(snap.Members["g-top"], directory.Member{ID: "g-mid", Kind: directory.MemberGroup})
		snap.Members["g-mid"] = append(snap.Members["g-mid"], directory.Member{ID: "g-top", Kind: directory.MemberGroup})
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("u%06d", i)
			snap.Users = append(snap.Users, directory.User{ID: id, UserPrincipalName: id + "@big.example", Mail: id + "@big.example", DisplayName: id, AccountEnabled: true})
			g := "g-top"
			if i%2 == 1 {
				g = "g-mid"
			}
			snap.Members[g] = append(snap.Members[g], directory.Member{ID: id, Kind: directory.MemberUser})
		}
		st, _ := engine.DefaultSettings().Normalize()
		d := engine.Scope(snap, st, nil)
		over := d.OverLimit
		if over != (n > engine.MaxUsersPerGroup) {
			t.Errorf("%d users in a group: over the limit %v", n, over)
		}
		if over {
			// The plan built from it is refused as a whole (here with a small scope: the rule,
			// not the size, is what Compute adds).
			p := engine.Compute(engine.PlanInput{Desired: &engine.Desired{Tenant: d.Tenant, Users: map[string]*engine.DesiredUser{},
				Groups: map[string]*engine.DesiredGroup{}, Flat: d.Flat, OverLimit: true}, Live: &engine.Live{}, Settings: st})
			if len(p.Blocked) == 0 || p.Blocked[0].Code != apperr.PlanLimitExceeded {
				t.Errorf("a plan over the limit is not blocked: %v", p.Blocked)
			}
		}
		if !over && len(d.Groups["g-top"].Members) != n {
			t.Errorf("%d users: Top has %d members through the cycle", n, len(d.Groups["g-top"].Members))
		}
	}
}
