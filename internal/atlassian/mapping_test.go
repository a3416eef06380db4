package atlassian_test

import (
	"testing"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

// diffUser is the engine's diff of two client users: the changes the engine hands the client's
// PATCH.
func diffUser(cur, want atlassian.User) []report.Change {
	return engine.DiffUser(engine.User(cur), engine.User(want))
}

// patchFor is the PATCH of the changes, as internal/adapter writes it.
func patchFor(changes []report.Change) []atlassian.PatchOp {
	var ops []atlassian.PatchOp
	for _, c := range changes {
		ops = append(ops, atlassian.PatchOpFor(c.Attribute, c.Old, c.New))
	}
	return ops
}

func TestDiffAndPatchFor(t *testing.T) {
	cur := alice()
	cur.ID = "x"
	if d := diffUser(cur, alice()); len(d) != 0 {
		t.Fatalf("the id is not an attribute: %+v", d)
	}
	desired := alice()
	desired.ExternalID = "" // never clears a known externalId
	desired.Title = ""
	desired.Active = false
	desired.Email = "ALICE@contoso.com"
	cur.Department = ""
	got := diffUser(cur, desired)
	want := []report.Change{
		{Attribute: engine.AttrEmail, Old: "alice@contoso.com", New: "ALICE@contoso.com"},
		{Attribute: engine.AttrTitle, Old: "Engineer", New: ""},
		{Attribute: engine.AttrDepartment, Old: "", New: "R&D"},
		{Attribute: engine.AttrActive, Old: "true", New: "false"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("change %d: got %+v want %+v", i, got[i], want[i])
		}
	}
	ops := patchFor(got)
	wantOps := []atlassian.PatchOp{
		{Op: "replace", Path: engine.AttrEmail, Value: "ALICE@contoso.com"},
		{Op: "remove", Path: "title"},
		{Op: "add", Path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", Value: "R&D"},
		{Op: "replace", Path: "active", Value: false},
	}
	for i := range wantOps {
		if ops[i] != wantOps[i] {
			t.Fatalf("op %d: got %+v want %+v", i, ops[i], wantOps[i])
		}
	}
}
