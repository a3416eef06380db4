package backend

import (
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

// The tenant a single-tenant registration signs in through is stored as typed (trimmed,
// lower case) when it is a tenant id or a domain name, refused otherwise, and kept on edit; a
// tenant id other than the pinned tenant is refused.
func TestSignInTenantIsValidatedAndStored(t *testing.T) {
	ctx, b, env, d := demoBackend(t)
	in := func(tenant string) DirectoryInput {
		return DirectoryInput{Name: d.Name, Cloud: "global", ClientID: d.ClientID, SCIMBaseURL: env.Atlassian.SCIMURL(), AllowCustomHost: true, SignInTenant: tenant}
	}
	for _, bad := range []string{"organizations", "Common", "consumers", "not a tenant", "8f1c2d3e-0a4b-4c5d-9e6f", "contoso", "-x.com", "contoso.com/evil"} {
		if _, err := b.UpdateDirectory(ctx, d.ID, in(bad)); apperr.CodeOf(err) != apperr.InvalidInput {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for typed, want := range map[string]string{
		" Contoso.OnMicrosoft.com ":            "contoso.onmicrosoft.com",
		"8F1C2D3E-0A4B-4C5D-9E6F-7A8B9C0D1E2F": "8f1c2d3e-0a4b-4c5d-9e6f-7a8b9c0d1e2f",
		"eu.contoso.com":                       "eu.contoso.com",
		"":                                     "",
	} {
		got, err := b.UpdateDirectory(ctx, d.ID, in(typed))
		if err != nil {
			t.Fatalf("%q: %v", typed, err)
		}
		if got.SignInTenant != want {
			t.Fatalf("%q stored as %q, want %q", typed, got.SignInTenant, want)
		}
		if again, _ := b.GetDirectory(ctx, d.ID); again.SignInTenant != want {
			t.Fatalf("%q read back as %q", typed, again.SignInTenant)
		}
	}
	sd, _ := b.st.GetDirectory(ctx, d.ID)
	sd.TenantID = env.Tenant.ID
	if err := b.st.UpdateDirectory(ctx, sd); err != nil {
		t.Fatal(err)
	}
	if _, err := b.UpdateDirectory(ctx, d.ID, in("00000000-0000-0000-0000-000000000001")); apperr.CodeOf(err) != apperr.TenantMismatch {
		t.Fatalf("another tenant id than the pinned one: %v", err)
	}
	if _, err := b.UpdateDirectory(ctx, d.ID, in(env.Tenant.ID)); err != nil {
		t.Fatalf("the pinned tenant id: %v", err)
	}
	if _, err := b.CreateDirectory(ctx, DirectoryInput{Name: "Other", Cloud: "global", ClientID: "c", SCIMBaseURL: env.Atlassian.SCIMURL() + "x", AllowCustomHost: true, SignInTenant: "common"}); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("create with the shared endpoint: %v", err)
	}
}
