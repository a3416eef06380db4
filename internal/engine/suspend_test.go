package engine

import (
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/report"
)

// "When a user leaves scope: suspend access" (issue 18 point 11): a managed user who leaves
// scope is suspended instead of deactivated (once), counts under the deactivation threshold,
// and is restored when it returns; a user disabled in Entra is still deactivated; without the
// organization key the plan is blocked with what to do instead of deactivating silently.
func TestPlanSuspendsAndRestores(t *testing.T) {
	st := norm(t, DefaultSettings())
	st.LeaveScope = LeaveScopeSuspend
	st.DeactivationMaxCount, st.DeactivationMaxPercent = 1, 0
	base := func() (*Desired, *Live, []Mapping) {
		d := Scope(fixture(), st, nil)
		live, maps := synced(d)
		for i := range live.Users {
			live.Users[i].AccountID = "acc-" + live.Users[i].ExternalID
		}
		// u3 (unverified domain: out of scope) and a second leaver, both managed and active.
		live.Users = append(live.Users,
			User{ID: "s-u3", ExternalID: "u3", UserName: "cid@unverified.com", Active: true, AccountID: "acc-u3"},
			User{ID: "s-gone", ExternalID: "gone", UserName: "gone@contoso.com", Active: true, AccountID: "acc-gone"})
		maps = append(maps, Mapping{Kind: "user", EntraID: "u3", SCIMID: "s-u3", Managed: true},
			Mapping{Kind: "user", EntraID: "gone", SCIMID: "s-gone", Managed: true})
		return d, live, maps
	}

	t.Run("leavers are suspended, not deactivated, and trip the deactivation threshold", func(t *testing.T) {
		d, live, maps := base()
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st, Suspended: map[string]bool{}})
		su := ops(p, report.SuspendUser)
		if len(su) != 2 || len(ops(p, report.DeactivateUser)) != 0 {
			t.Fatalf("\n%s", desc(p))
		}
		for _, o := range su {
			if o.AccountID != "acc-"+o.EntraID || !strings.Contains(o.Reason, "access suspended") || o.Object() != "user" {
				t.Errorf("suspend op %+v", o)
			}
		}
		if p.Deactivations != 2 || !p.ThresholdTripped {
			t.Errorf("deactivations %d tripped %v: suspensions must count under the threshold", p.Deactivations, p.ThresholdTripped)
		}
		if err := p.ThresholdError(); !strings.Contains(err.Message, "deactivates or suspends 2") {
			t.Errorf("threshold message %q", err.Message)
		}
		// The phase order: suspensions run with the deactivations, after membership changes.
		if all := p.Operations(); all[len(all)-1].Action != report.SuspendUser && all[len(all)-1].Action != report.RetireGroup {
			t.Errorf("last op %s", all[len(all)-1].Action)
		}
	})
	t.Run("an already suspended leaver is left alone; a suspended user back in scope is restored", func(t *testing.T) {
		d, live, maps := base()
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st,
			Suspended: map[string]bool{"acc-u3": true, "acc-gone": true, "acc-u1": true}})
		if n := len(ops(p, report.SuspendUser)); n != 0 {
			t.Fatalf("suspended twice:\n%s", desc(p))
		}
		re := ops(p, report.RestoreUser)
		if len(re) != 1 || re[0].EntraID != "u1" || re[0].AccountID != "acc-u1" || re[0].SCIMID != "s-u1" {
			t.Fatalf("restore:\n%s", desc(p))
		}
		if p.Deactivations != 0 || p.ThresholdTripped {
			t.Errorf("a restore counted as a deactivation: %d", p.Deactivations)
		}
	})
	t.Run("disabled in Entra is still a deactivation", func(t *testing.T) {
		d, live, maps := base()
		live.Users = append(live.Users, User{ID: "s-u4", ExternalID: "u4", UserName: "dan@contoso.com", Active: true, AccountID: "acc-u4"})
		maps = append(maps, Mapping{Kind: "user", EntraID: "u4", SCIMID: "s-u4", Managed: true})
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st, Suspended: map[string]bool{}})
		de := ops(p, report.DeactivateUser)
		if len(de) != 1 || de[0].EntraID != "u4" || len(ops(p, report.SuspendUser)) != 2 {
			t.Fatalf("\n%s", desc(p))
		}
	})
	t.Run("deactivate (the default) is unchanged", func(t *testing.T) {
		d, live, maps := base()
		st2 := st
		st2.LeaveScope = LeaveScopeDeactivate
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st2})
		if len(ops(p, report.DeactivateUser)) != 2 || len(ops(p, report.SuspendUser)) != 0 || len(p.Blocked) != 0 {
			t.Fatalf("\n%s", desc(p))
		}
	})
	t.Run("without the organization key the plan is blocked, with what to do", func(t *testing.T) {
		d, live, maps := base()
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st})
		if len(p.Blocked) != 1 || p.Blocked[0].Code != apperr.SuspendUnavailable || !strings.Contains(p.Blocked[0].Action, "Deactivate") {
			t.Fatalf("blocked %+v", p.Blocked)
		}
		if len(ops(p, report.DeactivateUser))+len(ops(p, report.SuspendUser)) != 0 {
			t.Fatalf("the plan deactivated instead:\n%s", desc(p))
		}
		// Nobody leaving scope: nothing to block.
		d2, live2, maps2 := base()
		live2.Users, maps2 = live2.Users[:len(live2.Users)-2], maps2[:len(maps2)-2]
		if p := Compute(PlanInput{Desired: d2, Live: live2, Mappings: maps2, Settings: st}); len(p.Blocked) != 0 {
			t.Fatalf("blocked with no leaver: %+v", p.Blocked)
		}
	})
	t.Run("settings: unknown choice refused, empty is deactivate", func(t *testing.T) {
		s := DefaultSettings()
		s.LeaveScope = ""
		if n, err := s.Normalize(); err != nil || n.LeaveScope != LeaveScopeDeactivate {
			t.Fatalf("%+v %v", n.LeaveScope, err)
		}
		s.LeaveScope = "delete"
		if _, err := s.Normalize(); apperr.CodeOf(err) != apperr.InvalidInput {
			t.Fatalf("unknown choice accepted: %v", err)
		}
	})
}
