package engine

import (
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
)

func TestUserFromEntra(t *testing.T) {
	d := directory.User{ID: "oid-1", UserPrincipalName: "alice_upn@contoso.onmicrosoft.com", Mail: "Alice@contoso.com",
		GivenName: "Alice", Surname: "Smith", DisplayName: "Alice Smith", JobTitle: "Engineer", PreferredLanguage: "fr-FR",
		MobilePhone: "+33 6", BusinessPhone: "+33 1", Department: "R&D", AccountEnabled: true}
	want := User{ExternalID: "oid-1", UserName: "Alice@contoso.com", Email: "Alice@contoso.com", DisplayName: "Alice Smith",
		GivenName: "Alice", FamilyName: "Smith", Title: "Engineer", PreferredLanguage: "fr-FR", MobilePhone: "+33 6", WorkPhone: "+33 1",
		Department: "R&D", Active: true}
	if got := UserFromEntra(d); got != want {
		t.Fatalf("\n got %+v\nwant %+v", got, want)
	}
	d.Mail, d.DisplayName, d.AccountEnabled = "", "", false
	got := UserFromEntra(d)
	if got.UserName != d.UserPrincipalName || got.Email != d.UserPrincipalName || got.DisplayName != "Alice Smith" || got.Active {
		t.Fatalf("fallbacks: %+v", got)
	}
	d.GivenName, d.Surname = "", ""
	if got := UserFromEntra(d); got.DisplayName != d.UserPrincipalName {
		t.Fatalf("display name fallback: %q", got.DisplayName)
	}
}
