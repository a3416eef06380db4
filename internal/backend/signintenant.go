package backend

import (
	"regexp"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/store"
)

// A Directory (tenant) ID as the Entra admin center's Overview shows it (8-4-4-4-12 hex), and a
// DNS domain name (labels of letters, digits and inner hyphens, at least two of them, the last
// not all digits), as MSAL takes either for the authority's tenant ("Tenant ID of the Microsoft
// Entra ID tenant or a domain associated with this tenant", MSAL WithTenantId). 253 characters
// is DNS's limit for a name.
var (
	tenantGUID   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	tenantDomain = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
)

// validateSignInTenant trims the tenant the sign-in goes through and refuses what is neither a
// tenant id nor a domain name. The shared endpoints ("organizations", "common", "consumers") are
// refused with a word on what to do: they are what an empty field already means, or wrong.
func validateSignInTenant(in *DirectoryInput) error {
	t := strings.TrimSpace(in.SignInTenant)
	in.SignInTenant = t
	if t == "" {
		return nil
	}
	switch strings.ToLower(t) {
	case "organizations", "common":
		return apperr.New(apperr.InvalidInput, "%q is the shared sign-in endpoint, not a tenant", t).
			WithAction("Leave the tenant field empty for a multi-tenant app registration, or enter the Directory (tenant) ID from its Overview page.")
	case "consumers":
		return apperr.New(apperr.InvalidInput, "%q signs in personal Microsoft accounts, which have no directory to sync", t).
			WithAction("Enter the Directory (tenant) ID from the app registration's Overview page.")
	}
	if tenantGUID.MatchString(t) {
		in.SignInTenant = strings.ToLower(t)
		return nil
	}
	if len(t) <= 253 && tenantDomain.MatchString(t) {
		in.SignInTenant = strings.ToLower(t)
		return nil
	}
	return apperr.New(apperr.InvalidInput, "the tenant %q is neither a Directory (tenant) ID nor a domain name", t).
		WithAction("Copy the Directory (tenant) ID from the app registration's Overview page (like 8f1c2d3e-0a4b-4c5d-9e6f-7a8b9c0d1e2f), or enter a domain verified in the tenant (like contoso.onmicrosoft.com).")
}

// pinnedAgrees refuses a tenant id that contradicts the tenant the directory is already pinned
// to: the sign-in would reach another tenant, which the pin refuses after the sign-in anyway.
// A domain cannot be compared here (only Entra resolves it) and is left to that check.
func pinnedAgrees(d store.Directory, signIn string) error {
	if d.TenantID == "" || !tenantGUID.MatchString(signIn) || strings.EqualFold(d.TenantID, signIn) {
		return nil
	}
	return apperr.New(apperr.TenantMismatch, "this directory is pinned to tenant %s (%s), not %s", d.TenantID, d.TenantName, signIn).
		WithAction("Keep the tenant id " + d.TenantID + ", or add a new directory for the other tenant.")
}
