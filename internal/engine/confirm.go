package engine

import (
	"slices"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Confirmation is what the admin confirmed: the tenant, the exact domain set and, for an
// interactive apply, the digest of the plan that was shown.
type Confirmation struct {
	TenantID   string
	Domains    []string
	PlanDigest string // empty for a headless or automatic sync, which binds to tenant and domains only
}

// NormDomains lower-cases, trims, sorts and de-duplicates a domain list.
func NormDomains(in []string) []string {
	return normSet(in, strings.ToLower)
}

// CheckConfirmation refuses to apply p unless c names its tenant, exactly its domain set and (when
// given) its digest.
func CheckConfirmation(p *Plan, c Confirmation) error {
	if !strings.EqualFold(strings.TrimSpace(c.TenantID), p.Tenant.ID) {
		return apperr.New(apperr.ConfirmationRequired, "the confirmed tenant %q is not the tenant read (%s, %s)", c.TenantID, p.Tenant.DisplayName, p.Tenant.ID).
			WithAction("Check that you signed in to the right tenant, then confirm again.")
	}
	got := NormDomains(c.Domains)
	if !slices.Equal(got, p.Domains) {
		return apperr.New(apperr.ConfirmationRequired, "the confirmed domains (%s) are not the domains this sync would use (%s)",
			strings.Join(got, ", "), strings.Join(p.Domains, ", ")).
			WithAction("Review the domain list and confirm it again.")
	}
	if c.PlanDigest != "" && c.PlanDigest != p.Digest {
		return apperr.New(apperr.ConfirmationRequired, "the plan changed since it was previewed").
			WithAction("Preview again and confirm the new plan.")
	}
	return nil
}
