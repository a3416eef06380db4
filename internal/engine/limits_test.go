package engine

import (
	"strings"
	"sync"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
)

// bigGroup adds n users of contoso.com to gSales.
func bigGroup(n int) *directory.Snapshot {
	s := fixture()
	for i := 0; i < n; i++ {
		id := "x" + itoa(100000+i)
		s.Users = append(s.Users, directory.User{ID: id, Mail: id + "@contoso.com", AccountEnabled: true})
		s.Members["gSales"] = append(s.Members["gSales"], directory.Member{ID: id, Kind: directory.MemberUser})
	}
	return s
}

// overGroup is the scope and plan of bigGroup(MaxUsersPerGroup+1), a group one user over
// Atlassian's default 35,000 users per group, under the default settings, made once:
// TestScopeLimits and TestIssue18_10_LimitsAreDirectorySettings both check it and neither
// changes it, and each scope and plan of the 35,001-user group costs about 1.5 CPU-s under -race.
var overGroup = sync.OnceValues(func() (*Desired, *Plan) {
	st, err := DefaultSettings().Normalize()
	if err != nil {
		panic(err)
	}
	d := Scope(bigGroup(MaxUsersPerGroup+1), st, nil)
	return d, Compute(PlanInput{Desired: d, Live: &Live{}, Settings: st})
})

func blockedBy(t *testing.T, s *directory.Snapshot, st Settings) (bool, string) {
	t.Helper()
	st = norm(t, st)
	return limitBlock(Compute(PlanInput{Desired: Scope(s, st, nil), Live: &Live{}, Settings: st}))
}

// limitBlock says whether p is blocked by a limit, with the block's message and action.
func limitBlock(p *Plan) (bool, string) {
	for _, b := range p.Blocked {
		if b.Code == apperr.PlanLimitExceeded {
			return true, b.Message + " " + b.Action
		}
	}
	return false, ""
}

// The limits are per-directory settings: Atlassian's defaults (150,000 users, 35,000 per group)
// unless the admin enters the limits Atlassian raised for the organization, up to the published
// maxima; the plan checks them exactly as it checked the hard-coded ones.
func TestIssue18_10_LimitsAreDirectorySettings(t *testing.T) {
	_, p := overGroup()
	if over, msg := limitBlock(p); !over || !strings.Contains(msg, "35000 users per group") || !strings.Contains(msg, `"Sales"`) {
		t.Fatalf("default: blocked=%v %q", over, msg)
	}
	s := bigGroup(MaxUsersPerGroup + 1)
	raised := DefaultSettings()
	raised.Limits.UsersPerGroup = 50_000
	if over, msg := blockedBy(t, s, raised); over {
		t.Fatalf("a limit raised to 50,000 still blocks a 35,001-user group: %s", msg)
	}
	// Exactly at the directory's limit passes, one more blocks (gSales: 20 added users and sam).
	// The comparison is the same at any limit, so this boundary is tested on a small group: each
	// plan of the 35,001-user group costs about 4 s under -race.
	edge := DefaultSettings()
	edge.Limits.UsersPerGroup = 21
	if over, _ := blockedBy(t, bigGroup(20), edge); over {
		t.Fatal("a group exactly at the limit is blocked")
	}
	edge.Limits.UsersPerGroup = 20
	if over, _ := blockedBy(t, bigGroup(20), edge); !over {
		t.Fatal("a group one over the limit passes")
	}
	// Users per directory, groups and memberships.
	small := DefaultSettings()
	small.Limits = Limits{Users: 10}
	if over, msg := blockedBy(t, bigGroup(20), small); !over || !strings.Contains(msg, "users, over the directory's limit of 10") {
		t.Fatalf("users: %v %q", over, msg)
	}
	small.Limits = Limits{Groups: 2}
	d := Scope(fixture(), norm(t, small), nil)
	if over, _ := blockedBy(t, fixture(), small); !over || len(d.Groups) != 2 || skipReason(d, "gSales") != ReasonOverGroupCountLimit {
		t.Fatalf("groups: %d groups kept, gSales %q", len(d.Groups), skipReason(d, "gSales"))
	}
	small.Limits = Limits{Memberships: 3}
	if over, msg := blockedBy(t, fixture(), small); !over || !strings.Contains(msg, "memberships, over the directory's limit of 3") {
		t.Fatalf("memberships: %v %q", over, msg)
	}
}

func TestIssue18_10_LimitsStopAtAtlassiansMaxima(t *testing.T) {
	n := norm(t, Settings{})
	if n.Limits != (Limits{Users: 150_000, UsersPerGroup: 35_000, Groups: 250_000, Memberships: 8_000_000}) {
		t.Fatalf("defaults %+v", n.Limits)
	}
	ok := Settings{Limits: Limits{Users: 1_000_000, UsersPerGroup: 290_000, Groups: 250_000, Memberships: 8_000_000}}
	if _, err := ok.Normalize(); err != nil {
		t.Fatalf("the published maxima are refused: %v", err)
	}
	for _, l := range []Limits{{Users: 1_000_001}, {UsersPerGroup: 290_001}, {Groups: 250_001}, {Memberships: 8_000_001}, {Users: -1}} {
		_, err := Settings{Limits: l}.Normalize()
		if apperr.CodeOf(err) != apperr.InvalidInput || !strings.Contains(err.Error(), "published maximum") {
			t.Errorf("%+v: %v", l, err)
		}
	}
}
