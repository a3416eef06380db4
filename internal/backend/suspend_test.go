package backend

import (
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/report"
)

func countOf(cs []report.Count, a report.Action, r report.Result) int {
	n := 0
	for _, c := range cs {
		if c.Action == a && (r == "" || c.Result == r) {
			n += c.N
		}
	}
	return n
}

// "When a user leaves scope: suspend access" through the backend as the GUI and the headless
// command use it (issue 18 point 11): the preview counts suspensions, the sync suspends them
// through the organization key and reports them; without the organization key the setting is
// refused and a plan that would suspend is blocked, saying why.
func TestSuspendThroughTheBackend(t *testing.T) {
	ctx, b, env, d := demoBackend(t)
	s, err := b.Settings(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.LeaveScope = engine.LeaveScopeSuspend
	if s, err = b.SaveSettings(ctx, d.ID, s); err != nil || s.LeaveScope != engine.LeaveScopeSuspend {
		t.Fatalf("saving suspend with the organization key: %v", err)
	}
	_, plan, err := b.Headless(ctx, d.ID, HeadlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains, OverrideThreshold: true}); err != nil {
		t.Fatal(err)
	}
	if len(plan.Domains) < 2 {
		t.Fatalf("the demo tenant needs two domains, has %v", plan.Domains)
	}
	s.DomainMode, s.Domains = engine.DomainsSpecific, plan.Domains[1:]
	if _, err := b.SaveSettings(ctx, d.ID, s); err != nil {
		t.Fatal(err)
	}
	_, ps, err := b.Headless(ctx, d.ID, HeadlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := countOf(ps.Counts, report.SuspendUser, "")
	if n == 0 || countOf(ps.Counts, report.DeactivateUser, "") != 0 || ps.Deactivations != n {
		t.Fatalf("preview: %d suspensions, %d deactivations, %d under the threshold", n, countOf(ps.Counts, report.DeactivateUser, ""), ps.Deactivations)
	}
	rs, _, err := b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: ps.TenantID, ConfirmDomains: ps.Domains, OverrideThreshold: true, OverrideRemovalThreshold: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := countOf(rs.Counts, report.SuspendUser, report.ResultSucceeded); got != n || rs.Status != string(report.StatusSucceeded) {
		t.Fatalf("sync: %d of %d suspensions succeeded, status %s", got, n, rs.Status)
	}
	suspended := 0
	for _, u := range env.Atlassian.State().Users {
		if u.Suspended {
			suspended++
		}
	}
	if suspended != n {
		t.Fatalf("%d suspended in Atlassian, want %d", suspended, n)
	}

	// The organization key is gone: the choice is refused, and a plan that would suspend is blocked.
	if err := keychain.DeleteAPIKey(ctx, env.Secrets, d.ID, keychain.OrgKey); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SaveSettings(ctx, d.ID, s); apperr.CodeOf(err) != apperr.SuspendUnavailable || apperr.As(err).Action == "" {
		t.Fatalf("saving suspend without the organization key: %v", err)
	}
	_, blocked, err := b.Headless(ctx, d.ID, HeadlessOptions{Full: true})
	code := apperr.CodeOf(err)
	for _, e := range blocked.Blocked {
		if e.Code == string(apperr.SuspendUnavailable) {
			code = apperr.SuspendUnavailable
		}
	}
	if code != apperr.SuspendUnavailable {
		t.Fatalf("a plan that would suspend without the organization key: %v, blocked %+v", err, blocked.Blocked)
	}
}
