package engine

import (
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/report"
)

// Issue 14 point 2, the plan's side: membership removals are counted per run against the
// managed groups' memberships, by count and by percent; a group the plan deletes counts with
// every member it holds (only with deleteOutOfScopeGroups: a retired group keeps them); no
// deactivation is needed to trip it; and a read far smaller than the last synced one trips the
// read-shrink rail, an empty one always.
func TestIssue14_2_MembershipRemovalThresholdCountsRemovalsAndDeletedGroups(t *testing.T) {
	st := norm(t, DefaultSettings())
	st.DeactivationMaxCount, st.DeactivationMaxPercent = 0, 0
	d := Scope(fixture(), st, nil)
	live, maps := synced(d)
	managed := 0
	for _, g := range live.Groups {
		managed += len(g.Members)
	}
	// Entra emptied group gEng: its live members become removals; nobody is deactivated.
	d.Groups["gEng"].Members = nil
	gone := 0
	for _, g := range live.Groups {
		if g.ExternalID == "gEng" {
			gone = len(g.Members)
		}
	}
	// A managed group deleted in Entra, holding 3 members in Atlassian.
	live.Groups = append(live.Groups, Group{ID: "sg-old", ExternalID: "gGone", DisplayName: "Gone", Members: []string{"s-u1", "s-u2", "s-u5"}})
	maps = append(maps, Mapping{Kind: "group", EntraID: "gGone", SCIMID: "sg-old", Managed: true})
	managed += 3
	for _, c := range []struct {
		count   int
		pct     float64
		del     bool
		removed int
		tripped bool
	}{
		{0, 0, false, gone, false},
		{gone - 1, 0, false, gone, true},
		{gone, 0, false, gone, false}, // at the threshold is allowed, as for deactivations
		{gone, 0, true, gone + 3, true},
		{0, 100 * float64(gone) / float64(managed) * 0.9, false, gone, true},
		{0, 100 * float64(gone+3) / float64(managed) * 1.01, true, gone + 3, false},
	} {
		s := st
		s.RemovalMaxCount, s.RemovalMaxPercent, s.DeleteOutOfScopeGroups = c.count, c.pct, c.del
		p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: s})
		if p.Deactivations != 0 || p.MembershipRemovals != c.removed || p.ManagedMemberships != managed || p.RemovalThresholdTripped != c.tripped {
			t.Errorf("%+v: %d deactivations, %d of %d memberships removed, tripped %v\n%s", c, p.Deactivations, p.MembershipRemovals, p.ManagedMemberships, p.RemovalThresholdTripped, desc(p))
		}
		if c.del && (len(ops(p, report.DeleteGroup)) != 1 || p.DeletedGroups != 1) {
			t.Errorf("%+v: the deleted group is not planned and counted: %d", c, p.DeletedGroups)
		}
		err := p.CheckRails(Overrides{Threshold: true, ReadShrink: true})
		if c.tripped != (apperrCode(err) == "removal_threshold_exceeded") {
			t.Errorf("%+v: the deactivation override lets a tripped removal threshold by: %v", c, err)
		}
		if err := p.CheckRails(Overrides{RemovalThreshold: true}); err != nil {
			t.Errorf("%+v: its own override: %v", c, err)
		}
	}
	// The settings refuse a threshold that makes no sense, as the deactivation threshold's do.
	for _, bad := range []func(*Settings){func(s *Settings) { s.RemovalMaxCount = -1 }, func(s *Settings) { s.RemovalMaxPercent = -0.5 },
		func(s *Settings) { s.RemovalMaxPercent = 100.1 }} {
		s := DefaultSettings()
		bad(&s)
		if _, err := s.Normalize(); apperrCode(err) != "invalid_input" || !strings.Contains(err.Error(), "membership-removal threshold") {
			t.Errorf("%+v accepted: %v", s, err)
		}
	}
	if d := DefaultSettings(); d.RemovalMaxCount != 500 || d.RemovalMaxPercent != 10 {
		t.Errorf("defaults %d / %.1f%%", d.RemovalMaxCount, d.RemovalMaxPercent)
	}
	// The read-shrink rail.
	last := &ReadCounts{Users: 1000, Groups: 50, Memberships: 8000}
	for _, c := range []struct {
		now  ReadCounts
		trip []string
	}{
		{ReadCounts{1000, 50, 8000}, nil},
		{ReadCounts{501, 26, 4001}, nil},               // half or more is a tenant that changed
		{ReadCounts{499, 50, 8000}, []string{"users"}}, // fewer than half
		{ReadCounts{1000, 50, 0}, []string{"memberships"}},
		{ReadCounts{0, 0, 0}, []string{"users", "groups", "memberships"}},
	} {
		got := ReadShrunk(last, &c.now)
		var objs []string
		for _, s := range got {
			objs = append(objs, s.Object)
		}
		if len(objs) != len(c.trip) || (len(objs) > 0 && objs[0] != c.trip[0]) {
			t.Errorf("%+v: tripped %v, want %v", c.now, objs, c.trip)
		}
	}
	small := &ReadCounts{Users: 6, Groups: 2, Memberships: 9}
	if got := ReadShrunk(small, &ReadCounts{Users: 2, Groups: 2, Memberships: 4}); len(got) != 0 {
		t.Errorf("a 6-user tenant losing 4 users trips it: %v", got)
	}
	if got := ReadShrunk(small, &ReadCounts{Users: 0, Groups: 2, Memberships: 0}); len(got) != 2 {
		t.Errorf("an empty read of a small tenant: %v", got)
	}
	if ReadShrunk(nil, &ReadCounts{}) != nil {
		t.Error("no last read: nothing to compare")
	}
	// And Compute reports it, blocking the plan until overridden.
	p := Compute(PlanInput{Desired: d, Live: live, Mappings: maps, Settings: st, LastRead: last, Read: &ReadCounts{Users: 8, Groups: 6, Memberships: 12}})
	if len(p.ReadShrink) != 3 || apperrCode(p.CheckRails(Overrides{Threshold: true, RemovalThreshold: true})) != "read_shrank" || p.CheckRails(Overrides{Threshold: true, RemovalThreshold: true, ReadShrink: true}) != nil {
		t.Errorf("shrink %v", p.ReadShrink)
	}
}

func apperrCode(err error) string { return string(apperr.CodeOf(err)) }
