package reliability

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/apperr"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

// reusingTarget answers the create of one user with another user's existing account, as a
// hostile or broken SCIM service could.
type reusingTarget struct {
	engine.Target
	forUserName string
	account     engine.User
}

func (r *reusingTarget) CreateUser(ctx context.Context, u engine.User) (engine.User, error) {
	if strings.EqualFold(u.UserName, r.forUserName) {
		return r.account, nil
	}
	return r.Target.CreateUser(ctx, u)
}

// Issue 14 point 9: a SCIM id returned for a created user that already belongs to another mapped
// user is refused and reported as a failed operation with a code; neither user's mapping moves,
// and the new user's memberships are not written onto the other user's account.
func TestIssue14_09_CreatedUserReturningAnotherUsersIDRefused(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	h := newHarness(t, tenant.Spec{Seed: 19, Users: 60, Groups: 6}, atlemu.Options{}, graph.Faults{})
	h.mustRun(ctx, true)
	before, err := h.st.Mappings(ctx, dirID)
	if err != nil {
		t.Fatal(err)
	}
	if ch := h.ten.Mutate(0.2, 5); len(ch.AddedUsers) == 0 {
		t.Fatal("the seeded mutation must add users")
	}
	e := h.engine()
	p := h.previewed(ctx, e)
	var created *engine.Op
	ops := p.Operations()
	for i := range ops {
		if ops[i].Action == report.CreateUser {
			created = &ops[i]
			break
		}
	}
	if created == nil {
		t.Fatalf("plan lacks a create: %v", opKeys(p))
	}
	// The victim: a user mapped by the first run and untouched by this plan.
	touched := map[string]bool{}
	for _, op := range p.Operations() {
		touched[op.EntraID] = true
	}
	var victim store.Mapping
	for _, m := range before {
		if m.Kind == "user" && m.SCIMID != "" && !touched[m.EntraID] {
			victim = m
			break
		}
	}
	if victim.SCIMID == "" {
		t.Fatal("no untouched mapped user")
	}
	acct, err := h.tgt.GetUser(ctx, victim.SCIMID)
	if err != nil {
		t.Fatal(err)
	}
	e.Target = &reusingTarget{Target: adapter.SCIM{SCIM: h.tgt}, forUserName: created.User.UserName, account: engine.User(acct)}
	out, err := h.applyPreviewed(ctx, e, p)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != report.StatusPartial {
		t.Errorf("run status %s, want partial", out.Status)
	}
	for i, op := range ops {
		r := out.Result(i)
		switch {
		case &ops[i] == created:
			if r.Result != report.ResultFailed || r.Code != string(apperr.AtlassianConflict) || !strings.Contains(r.Message, victim.EntraID) || r.SCIMID == victim.SCIMID {
				t.Errorf("the create that got another user's account: %+v; want failed, atlassian_conflict, naming %s", r, victim.EntraID)
			}
		case op.EntraID == created.EntraID && op.Action == report.AddMember:
			if r.Result != report.ResultFailed {
				t.Errorf("membership of the refused user in %s: %+v, want failed", op.Group.Name, r)
			}
		case r.Result == report.ResultFailed:
			t.Errorf("unrelated op %s %s failed: %+v", op.Action, op.Email, r)
		}
	}
	after, err := h.st.Mappings(ctx, dirID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range after {
		if m.Kind != "user" {
			continue
		}
		if m.SCIMID == victim.SCIMID && m.EntraID != victim.EntraID {
			t.Errorf("the account %s is now mapped to %s too", victim.SCIMID, m.EntraID)
		}
		if m.EntraID == victim.EntraID && m.SCIMID != victim.SCIMID {
			t.Errorf("the victim's mapping moved to %s", m.SCIMID)
		}
	}
	// The new user's groups did not get the victim's account (unless the victim belongs there
	// too). Groups are told apart by the Entra id in their externalId: names are Unicode, and a
	// group deleted in Entra keeps its members in Atlassian, so only these groups say anything.
	own, theirs := map[string]bool{}, map[string]bool{}
	for id, g := range engine.Scope(h.ten.Snapshot(), h.settings, nil).Groups {
		for _, m := range g.Members {
			if m == victim.EntraID {
				own[id] = true
			}
		}
	}
	for _, op := range p.Operations() {
		if op.EntraID == created.EntraID && op.Action == report.AddMember {
			theirs[op.Group.EntraID] = true
		}
	}
	if len(theirs) == 0 {
		t.Fatal("the created user has no memberships to check")
	}
	for _, g := range h.a.State().Groups {
		if ext := engine.ExternalOwner(g.ExternalID); !theirs[ext] || own[ext] {
			continue
		}
		for _, mid := range g.Members {
			if mid == victim.SCIMID {
				t.Errorf("group %s now holds the victim's account", g.DisplayName)
			}
		}
	}
	// The next run, with Atlassian behaving, creates the user properly.
	h.mustRun(ctx, true)
	h.checkExact()
}
