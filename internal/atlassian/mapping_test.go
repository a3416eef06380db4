package atlassian_test

import (
	"testing"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

func TestUserFromEntra(t *testing.T) {
	d := directory.User{ID: "oid-1", UserPrincipalName: "alice_upn@contoso.onmicrosoft.com", Mail: "Alice@contoso.com",
		GivenName: "Alice", Surname: "Smith", DisplayName: "Alice Smith", JobTitle: "Engineer", PreferredLanguage: "fr-FR",
		MobilePhone: "+33 6", BusinessPhone: "+33 1", Department: "R&D", AccountEnabled: true}
	want := atlassian.User{ExternalID: "oid-1", UserName: "Alice@contoso.com", Email: "Alice@contoso.com", DisplayName: "Alice Smith",
		GivenName: "Alice", FamilyName: "Smith", Title: "Engineer", PreferredLanguage: "fr-FR", MobilePhone: "+33 6", WorkPhone: "+33 1",
		Department: "R&D", Active: true}
	if got := atlassian.UserFromEntra(d); got != want {
		t.Fatalf("\n got %+v\nwant %+v", got, want)
	}
	d.Mail, d.DisplayName, d.AccountEnabled = "", "", false
	got := atlassian.UserFromEntra(d)
	if got.UserName != d.UserPrincipalName || got.Email != d.UserPrincipalName || got.DisplayName != "Alice Smith" || got.Active {
		t.Fatalf("fallbacks: %+v", got)
	}
	d.GivenName, d.Surname = "", ""
	if got := atlassian.UserFromEntra(d); got.DisplayName != d.UserPrincipalName {
		t.Fatalf("display name fallback: %q", got.DisplayName)
	}
}

func TestDiffAndPatchFor(t *testing.T) {
	cur := alice()
	cur.ID = "x"
	if d := atlassian.DiffUser(cur, alice()); len(d) != 0 {
		t.Fatalf("the id is not an attribute: %+v", d)
	}
	desired := alice()
	desired.ExternalID = "" // never clears a known externalId
	desired.Title = ""
	desired.Active = false
	desired.Email = "ALICE@contoso.com"
	cur.Department = ""
	got := atlassian.DiffUser(cur, desired)
	want := []report.Change{
		{Attribute: atlassian.AttrEmail, Old: "alice@contoso.com", New: "ALICE@contoso.com"},
		{Attribute: atlassian.AttrTitle, Old: "Engineer", New: ""},
		{Attribute: atlassian.AttrDepartment, Old: "", New: "R&D"},
		{Attribute: atlassian.AttrActive, Old: "true", New: "false"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("change %d: got %+v want %+v", i, got[i], want[i])
		}
	}
	ops := atlassian.PatchFor(got)
	wantOps := []atlassian.PatchOp{
		{Op: "replace", Path: atlassian.AttrEmail, Value: "ALICE@contoso.com"},
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
