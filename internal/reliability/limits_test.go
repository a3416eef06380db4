package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

// A 50,000-member group read through the real Graph reader (50 user pages, 250 delta pages) is
// beyond Atlassian's 35,000 users per group: the plan is refused with PlanLimitExceeded and an
// over_group_limit skip naming the group and its size, and nothing at all is written. With the
// group left out of the selection, the rest syncs.
func TestGroupBeyondAtlassianLimit(t *testing.T) {
	ctx := ctxT(t, 5*time.Minute)
	t0 := time.Now()
	n := 50_000
	e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 81, Users: n, Groups: 6, Depth: 1, LargeGroup: n, MembersPerGroup: 3,
		GuestFraction: 0.001, DisabledFrac: 0.001, NoMailFrac: 0.001}})
	start := time.Now()
	t.Logf("tenant of %d users generated in %v", n, time.Since(t0).Round(time.Millisecond))
	r := e.run(ctx, true, true)
	if apperr.CodeOf(r.err) != apperr.PlanLimitExceeded {
		t.Fatalf("a %d-member group: got %v, want plan_limit_exceeded", n, r.err)
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
	t.Logf("FIGURES limits: %d-member group read and refused in %v, 0 writes", n, time.Since(start).Round(time.Millisecond))
}

// The limit is exact: 35,000 users in a group (nested, through a cycle) plan; 35,001 are refused.
// Built in memory: the engine's scope and plan, no HTTP.
func TestGroupLimitBoundary(t *testing.T) {
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
