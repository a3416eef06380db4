package backend

import (
	"context"
	"net/url"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
)

// scimDirectoryKey names the Atlassian SCIM directory a base URL writes to: the host and the
// directory id of /scim/directory/{id}, case-folded (the ids are UUIDs; a proxy host is folded
// like any host), so that one directory typed two ways is one directory.
func scimDirectoryKey(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return strings.ToLower(strings.TrimSpace(raw))
	}
	p := strings.Trim(u.Path, "/")
	if i := strings.LastIndex(p, "scim/directory/"); i >= 0 {
		p = p[i+len("scim/directory/"):]
	}
	if dec, err := url.PathUnescape(p); err == nil {
		p = dec
	}
	return strings.ToLower(u.Hostname()) + "/" + strings.ToLower(p)
}

// refuseSameSCIM refuses a second IdP Sync directory that writes to the SCIM directory of an
// existing one: Atlassian allows one nested-groups directory per organization, and two IdP Sync
// directories on one SCIM directory mixed their counts and undid each other's writes.
func (b *Backend) refuseSameSCIM(ctx context.Context, selfID, base string) error {
	ds, err := b.st.ListDirectories(ctx)
	if err != nil {
		return err
	}
	key := scimDirectoryKey(base)
	for _, d := range ds {
		if d.ID != selfID && scimDirectoryKey(d.SCIMBaseURL) == key {
			return apperr.New(apperr.DirectoryDuplicate, "the IdP Sync directory %q already syncs this Atlassian SCIM directory; one SCIM directory can have only one IdP Sync directory", d.Name).
				WithAction("Edit or disconnect " + d.Name + " instead, or create a separate identity provider directory in admin.atlassian.com for a different tenant.")
		}
	}
	return nil
}

// sameTenant names the other directories that read the Entra tenant tenantID (a warning, not a
// refusal: two Atlassian organizations may be fed by one tenant on purpose).
func (b *Backend) sameTenant(ctx context.Context, selfID, tenantID string) []string {
	if tenantID == "" {
		return nil
	}
	ds, err := b.st.ListDirectories(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range ds {
		if d.ID != selfID && strings.EqualFold(d.TenantID, tenantID) {
			out = append(out, "The directory "+d.Name+" syncs the same Entra tenant ("+tenantID+"). Check that both Atlassian targets are meant to receive it.")
		}
	}
	return out
}
