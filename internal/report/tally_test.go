package report

import (
	"slices"
	"testing"
)

// Every action has its summary object, memberships are exactly add and remove, and an operation
// of an action this version does not know counts under its object's type.
func TestActionObjectAndCountObject(t *testing.T) {
	want := map[Action]string{CreateUser: "user", UpdateUser: "user", AdoptUser: "user", ReactivateUser: "user", DeactivateUser: "user",
		SuspendUser: "user", RestoreUser: "user", CreateGroup: "group", AdoptGroup: "group", ConflictGroup: "group", RetireGroup: "group",
		DeleteGroup: "group", AddMember: "membership", RemoveMember: "membership"}
	if len(want) != len(Actions) {
		t.Fatalf("%d actions here, %d in Actions", len(want), len(Actions))
	}
	for _, a := range Actions {
		if got := a.Object(); got != want[a] || a.IsMembership() != (want[a] == "membership") {
			t.Errorf("%s: object %q (membership %v), want %q", a, got, a.IsMembership(), want[a])
		}
	}
	for _, c := range []struct {
		op   Operation
		want string
	}{
		{Operation{Action: AddMember, Object: ObjectRef{Type: "user"}}, "membership"},
		{Operation{Action: CreateGroup, Object: ObjectRef{Type: "group"}}, "group"},
		{Operation{Action: CreateUser}, "user"},
		{Operation{Action: "made_up", Object: ObjectRef{Type: "group"}}, "group"},
	} {
		if got := c.op.CountObject(); got != c.want {
			t.Errorf("%s of a %q: counted under %q, want %q", c.op.Action, c.op.Object.Type, got, c.want)
		}
	}
}

// A bounded tally refuses the cell past its Max and keeps counting the cells it has.
func TestTallyMax(t *testing.T) {
	tl := Tally{Max: 2}
	for _, c := range []struct {
		a    Action
		r    Result
		want bool
	}{{CreateUser, ResultSucceeded, true}, {AddMember, ResultFailed, true}, {DeleteGroup, ResultPlanned, false}, {CreateUser, ResultSucceeded, true}} {
		if got := tl.Add(c.a.Object(), c.a, c.r); got != c.want {
			t.Errorf("Add(%s, %s) = %v, want %v", c.a, c.r, got, c.want)
		}
	}
	want := []Count{{Object: "user", Action: CreateUser, Result: ResultSucceeded, N: 2}, {Object: "membership", Action: AddMember, Result: ResultFailed, N: 1}}
	if got := tl.Counts(); !slices.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}
