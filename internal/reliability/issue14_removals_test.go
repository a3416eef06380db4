package reliability

import (
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

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
	ctx := ctxT(t, 3*time.Minute)
	c := newCrashEnv(t, tenant.Spec{Seed: 141, Users: 150, Groups: 12}, Faults{})
	if run, _, err := c.headless(ctx); err != nil || run.Status != "succeeded" {
		t.Fatalf("first sync: %v", err)
	}
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
	if _, err := c.b.Apply(ctx, p.PlanID, backend.Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest, OverrideThreshold: true}); apperr.CodeOf(err) != apperr.RemovalsExceeded {
		t.Fatalf("GUI apply with only the deactivation override: %v", err)
	}
	if n := len(c.a.Writes()) - writes; n != 0 {
		t.Fatalf("%d writes after blocked applies", n)
	}
	run, _, err := c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: doms, OverrideRemovalThreshold: true})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("override: %v", err)
	}
	if c.checkExact() != 0 {
		t.Fatal("not exact after the overridden run")
	}

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
	run, _, err = c.b.Headless(ctx, c.dirID, backend.HeadlessOptions{Apply: true, Yes: true, ConfirmTenant: ten, ConfirmDomains: doms, OverrideReadShrink: true})
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
