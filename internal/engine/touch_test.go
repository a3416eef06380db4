package engine

import (
	"testing"
)

// A user disabled in Entra is in scope but never created; when the account is enabled again it is
// created, and the groups it belongs to must be touched so that the incremental plan adds it
// to them (their member lists did not change: disabled users are listed members).
func TestTouchReenabledUserTouchesItsGroups(t *testing.T) {
	st := norm(t, DefaultSettings())
	oldSnap := fixture()
	newSnap := fixture()
	for i := range newSnap.Users {
		if newSnap.Users[i].ID == "u4" {
			newSnap.Users[i].AccountEnabled = true
		}
	}
	tc := Touch(Scope(oldSnap, st, nil), Scope(newSnap, st, nil))
	if !tc.Users["u4"] {
		t.Fatal("u4 not touched")
	}
	for _, g := range []string{"gEng", "gBack", "gCore"} {
		if !tc.Groups[g] {
			t.Errorf("group %s of the re-enabled user not touched", g)
		}
	}
	if tc.Groups["gSales"] {
		t.Error("an unrelated group was touched")
	}
}
