package reliability

import (
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

// accessClient is the organization key's suspend and restore client of the harness's directory.
func (h *harness) accessClient() *atlassian.Access { return h.orgAPI().Access(h.tgt.DirectoryID()) }

// suspendCalls counts the v2 suspend (or restore) requests sent.
func suspendCalls(a *atlemu.Server, verb string) int {
	n := 0
	for _, r := range a.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/admin/v2/") && strings.HasSuffix(r.Path, "/"+verb) {
			n++
		}
	}
	return n
}

// Issue 18 point 11 end to end, through the real clients and store against the strict emulator:
// users who leave scope (their domain deselected) have their access suspended, not their
// account deactivated; a second sync suspends nobody again; when they return to scope their
// access is restored, and the organization is then exactly the desired state.
func TestLeaveScopeSuspendsThenReturnRestores(t *testing.T) {
	ctx := ctxT(t, 90*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 18, Users: 80, Groups: 8}, atlemu.Options{}, graph.Faults{})
	h.org, h.access = h.orgClient(), h.accessClient()
	h.settings.LeaveScope = engine.LeaveScopeSuspend
	h.settings = mustNorm(t, h.settings)
	h.mustRun(ctx, true)
	h.checkExact()
	if n := suspendCalls(h.a, "suspend") + suspendCalls(h.a, "restore"); n != 0 {
		t.Fatalf("%d suspend/restore requests while everyone is in scope", n)
	}

	// Deselect the first verified domain: its member users leave scope.
	doms := verifiedDomains(h.ten)
	all := h.settings
	h.settings.DomainMode, h.settings.Domains = engine.DomainsSpecific, doms[1:]
	h.settings = mustNorm(t, h.settings)
	p := h.mustRun(ctx, false)
	var leavers []string
	for _, op := range p.Operations() {
		switch op.Action {
		case report.SuspendUser:
			leavers = append(leavers, op.Email)
			if op.AccountID == "" || !strings.Contains(op.Reason, "left scope") {
				t.Errorf("suspend op %+v", op)
			}
		case report.DeactivateUser:
			t.Errorf("deactivated instead of suspended: %+v", op)
		}
	}
	if len(leavers) == 0 || p.Deactivations != len(leavers) {
		t.Fatalf("%d suspensions, %d counted under the threshold", len(leavers), p.Deactivations)
	}
	t.Logf("%d users left scope and were suspended", len(leavers))
	if n := suspendCalls(h.a, "suspend"); n != len(leavers) {
		t.Fatalf("%d suspend requests for %d leavers", n, len(leavers))
	}
	st := h.a.State()
	for _, email := range leavers {
		u, ok := st.UserByUserName(email)
		if !ok || !u.Suspended || !u.Active {
			t.Errorf("%s after leaving scope: %+v (want suspended, account still active)", email, u)
		}
	}
	suspended := 0
	for _, u := range st.Users {
		if u.Suspended {
			suspended++
		}
	}
	if suspended != len(leavers) {
		t.Errorf("%d suspended in the directory, want %d", suspended, len(leavers))
	}

	// The same scope again: the v2 search says who is suspended, so nobody is suspended twice.
	p = h.mustRun(ctx, true)
	if n := len(ops(p, report.SuspendUser)); n != 0 || suspendCalls(h.a, "suspend") != len(leavers) {
		t.Fatalf("suspended again: %d ops", n)
	}

	// They return to scope: restored, once each, and the organization is exact again.
	h.settings = all
	p = h.mustRun(ctx, false)
	re := ops(p, report.RestoreUser)
	if len(re) != len(leavers) || suspendCalls(h.a, "restore") != len(leavers) {
		t.Fatalf("%d restore ops, %d restore requests, for %d returning users", len(re), suspendCalls(h.a, "restore"), len(leavers))
	}
	for _, u := range h.a.State().Users {
		if u.Suspended {
			t.Errorf("%s still suspended after returning", u.UserName)
		}
	}
	h.checkExact()
	if p := h.preview(ctx, true); p.Len() != 0 {
		t.Fatalf("not converged: %d ops", p.Len())
	}
}

// Without the organization key, a directory set to suspend plans nothing for its leavers and
// says why (suspend_unavailable) instead of deactivating them.
func TestSuspendWithoutOrgKeyIsBlocked(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 19, Users: 40, Groups: 4}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	doms := verifiedDomains(h.ten)
	h.settings.LeaveScope = engine.LeaveScopeSuspend
	h.settings.DomainMode, h.settings.Domains = engine.DomainsSpecific, doms[1:]
	h.settings = mustNorm(t, h.settings)
	writes := len(h.a.Writes())
	r := h.run(ctx, false, true, nil)
	if apperr.CodeOf(r.err) != apperr.SuspendUnavailable {
		t.Fatalf("want suspend_unavailable, got %v", r.err)
	}
	if len(h.a.Writes()) != writes {
		t.Fatalf("a blocked plan wrote %d requests", len(h.a.Writes())-writes)
	}
}
