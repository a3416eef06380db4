package reliability

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
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
	ctx := ctxT(t, 2*time.Minute)
	c := newCrashEnv(t, tenant.Spec{Seed: 71, Users: 150, Groups: 12}, Faults{})
	if run, _, err := c.headless(ctx); err != nil || run.Status != "succeeded" {
		t.Fatalf("first sync: %v", err)
	}
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
	if _, err := c.b.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest}); apperr.CodeOf(err) != apperr.ThresholdExceeded {
		t.Fatalf("GUI apply: %v", err)
	}
	if n := len(c.a.Writes()) - writes; n != 0 {
		t.Fatalf("%d writes after blocked applies", n)
	}
	run, _, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: cd, OverrideThreshold: true})
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
			if reasonOfName(r, n) != engine.ReasonProtectedGroup {
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

func reasonOfName(r result, name string) string {
	for _, s := range r.rep.Skips {
		if s.Object.Name == name {
			return s.Reason
		}
	}
	return ""
}

// A group that leaves scope (the admin narrows the selection) is left in Atlassian, members and
// all, and reported as no longer managed; only with DeleteOutOfScopeGroups set when it leaves
// is it deleted.
func TestRailGroupLeavingScopeKept(t *testing.T) {
	ctx := ctxT(t, 2*time.Minute)
	for _, del := range []bool{false, true} {
		e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 75, Users: 120, Groups: 12, Depth: 2}})
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
	ctx := ctxT(t, 2*time.Minute)
	c := newCrashEnv(t, tenant.Spec{Seed: 76, Users: 200, Groups: 15}, Faults{})
	c.a.SetLatency(5 * time.Millisecond) // the first sync is still applying when the second starts
	// A standing confirmation, so that the automatic sync below gets as far as the lock (without
	// one it stops earlier, at ConfirmationRequired, and would not test the lock at all).
	ten, doms := c.confirm()
	if err := c.b.Store().SetStandingConfirmation(ctx, c.dirID, store.Confirmation{TenantID: ten, Domains: doms, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// The GUI's first write to Atlassian says its apply holds the lock: an event, not a poll.
	writing := make(chan struct{})
	var once sync.Once
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/scim/") {
			once.Do(func() { close(writing) })
		}
		return c.auth.Transport().RoundTrip(r)
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
