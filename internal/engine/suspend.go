package engine

import (
	"context"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/report"
)

// "When a user leaves scope: suspend access" (issue 18 point 11). Instead of deactivating the
// account (SCIM active=false), the plan suspends its access in the directory through the
// Organizations API v2 and restores it when the user returns to scope: Atlassian keeps the
// user's roles and group memberships while suspended and does not bill for them. Suspensions
// count under the deactivation threshold exactly like deactivations, because both take access
// away. The SCIM record stays as it is, so the live state that says who is suspended is the v2
// user search (OrgAccess.Suspended), read once per plan.

// OrgAccess is the Organizations API side of suspend and restore (internal/atlassian.Access
// satisfies it as it is: it speaks only account ids and SCIM ids).
type OrgAccess interface {
	// Suspended returns the account ids whose access is suspended in the directory.
	Suspended(ctx context.Context) (map[string]bool, error)
	Suspend(ctx context.Context, accountID string) error
	Restore(ctx context.Context, accountID string) error
	// AccountID and SCIMUserID are the SCIM links lookups, for SCIM records that do not carry
	// Atlassian's account extension ("" when Atlassian links none).
	AccountID(ctx context.Context, email, scimUserID string) (string, error)
	SCIMUserID(ctx context.Context, accountID string) (string, error)
}

// SuspendNeedsOrgKey is the refusal of a plan that would suspend users without an organization key.
func SuspendNeedsOrgKey() *apperr.Error {
	return apperr.New(apperr.SuspendUnavailable, "users who leave scope are set to have their access suspended, which needs the organization id and API key (Atlassian's Organizations API), and none is set; nothing will be written").
		WithAction("Add the organization id and key (Connection), or choose Deactivate for users who leave scope (Sync settings).")
}

// readSuspended reads who is suspended when the directory suspends users who leave scope, and
// gives the live users without Atlassian's account extension the account id the SCIM links
// lookup knows for each suspended account (one request per suspended account, only then), so
// that an already suspended user is neither suspended again nor forgotten when it returns.
func (e *Engine) readSuspended(ctx context.Context, st Settings, live *Live) (map[string]bool, error) {
	if st.LeaveScope != LeaveScopeSuspend || e.Access == nil {
		return nil, nil
	}
	sus, err := e.Access.Suspended(ctx)
	if err != nil {
		return nil, err
	}
	missing := map[string]*User{}
	for i := range live.Users {
		if live.Users[i].AccountID == "" {
			missing[live.Users[i].ID] = &live.Users[i]
		}
	}
	if len(missing) == 0 {
		return sus, nil
	}
	for aid := range sus {
		sid, err := e.Access.SCIMUserID(ctx, aid)
		if err != nil {
			return nil, err
		}
		if u := missing[sid]; u != nil {
			u.AccountID = aid
		}
	}
	return sus, nil
}

// leaveScope plans what happens to a managed, active account whose user left scope: the
// deactivation op as given, or in suspend mode a suspension (none when already suspended).
func (pl *planner) leaveScope(op Op, u *User) {
	if pl.in.Settings.LeaveScope != LeaveScopeSuspend {
		pl.add(op)
		pl.p.Deactivations++
		return
	}
	if pl.in.Suspended == nil {
		if !pl.suspendBlocked {
			pl.suspendBlocked = true
			pl.p.Blocked = append(pl.p.Blocked, SuspendNeedsOrgKey())
		}
		return
	}
	if u.AccountID != "" && pl.in.Suspended[u.AccountID] {
		return // suspended by an earlier run (or by hand): nothing to do
	}
	op.Action, op.AccountID = report.SuspendUser, u.AccountID
	op.Reason += "; access suspended (roles and group memberships kept, restored when the user returns)"
	pl.add(op)
	pl.p.Deactivations++
}

// restore plans the restore of a user back in scope whose access is suspended.
func (pl *planner) restore(base Op, cur *User, active bool) {
	if !active || cur.AccountID == "" || !pl.in.Suspended[cur.AccountID] {
		return
	}
	op := base
	op.Action, op.User, op.Changes, op.AccountID = report.RestoreUser, nil, nil, cur.AccountID
	op.Reason = "back in scope: its suspended access is restored"
	pl.add(op)
}

// suspendOrRestore runs a suspend_user or restore_user op, looking the account id up when the
// SCIM record did not carry it. A user the directory no longer holds (404) is done for a
// suspension, as for a deactivation, and failed for a restore.
func (a *applier) suspendOrRestore(ctx context.Context, op *Op) OpResult {
	acc := a.e.Access
	if acc == nil {
		return fail(SuspendNeedsOrgKey())
	}
	aid := op.AccountID
	if aid == "" {
		var err error
		if aid, err = acc.AccountID(ctx, op.Email, op.SCIMID); err != nil {
			return fail(err)
		}
		if aid == "" {
			return fail(apperr.New(apperr.AtlassianNotFound, "Atlassian links no account to the SCIM user %s (%s), so its access cannot be %s", op.SCIMID, op.Email,
				map[bool]string{true: "suspended", false: "restored"}[op.Action == report.SuspendUser]).
				WithAction("Check the user in admin.atlassian.com (Directory > Users)."))
		}
	}
	var err error
	if op.Action == report.SuspendUser {
		err = acc.Suspend(ctx, aid)
		if apperr.CodeOf(err) == apperr.AtlassianNotFound {
			err = nil
		}
	} else {
		err = acc.Restore(ctx, aid)
	}
	if err != nil {
		return fail(err)
	}
	return OpResult{Result: report.ResultSucceeded, SCIMID: op.SCIMID}
}
