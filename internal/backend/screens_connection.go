package backend

import (
	"context"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/keychain"
)

// ConnectionReport is the "Test connection" answer of the add/edit screens, part by part.
type ConnectionReport = atlassian.ConnectionReport

// TestConnection checks the Atlassian side of a directory before it is saved: the SCIM URL and
// key, and the organization id and key when given. On edit (dirID set), an empty key field
// means "the stored key", as it does for UpdateDirectory. Glue for the screens: the checks
// themselves are atlassian.CheckConnection's.
func (b *Backend) TestConnection(ctx context.Context, dirID string, in DirectoryInput) (ConnectionReport, error) {
	scimKey, orgKey := in.SCIMAPIKey, in.OrgAPIKey
	var keyCreated time.Time
	if t, err := time.Parse(time.DateOnly, in.SCIMKeyCreated); err == nil {
		keyCreated = t
	}
	if dirID != "" {
		if _, err := b.st.GetDirectory(ctx, dirID); err != nil {
			return ConnectionReport{}, err
		}
		if scimKey == "" {
			k, err := keychain.GetAPIKey(ctx, b.opts.Secrets, dirID, keychain.SCIMKey)
			if err != nil && apperr.CodeOf(err) != apperr.SecretMissing {
				return ConnectionReport{}, err
			}
			scimKey, keyCreated = k.Secret, k.Stored
		}
		if orgKey == "" && strings.TrimSpace(in.OrgID) != "" {
			k, err := keychain.GetAPIKey(ctx, b.opts.Secrets, dirID, keychain.OrgKey)
			if err != nil && apperr.CodeOf(err) != apperr.SecretMissing {
				return ConnectionReport{}, err
			}
			orgKey = k.Secret
		}
	}
	allow := in.AllowCustomHost || b.opts.AllowCustomHost
	base := strings.TrimSpace(in.SCIMBaseURL)
	if b.opts.Endpoints.SCIMURL != "" {
		base = b.opts.Endpoints.SCIMURL
	}
	scimCfg := atlassian.SCIMConfig{BaseURL: base, APIKey: strings.TrimSpace(scimKey), KeyCreated: keyCreated,
		Transport: b.opts.Transport, AllowCustomHost: allow, Timeout: 20 * time.Second}
	var orgCfg *atlassian.OrgConfig
	if id := strings.TrimSpace(in.OrgID); id != "" && orgKey != "" {
		orgURL := strings.TrimSpace(in.OrgURL)
		if b.opts.Endpoints.OrgURL != "" {
			orgURL = b.opts.Endpoints.OrgURL
		}
		orgCfg = &atlassian.OrgConfig{BaseURL: orgURL, OrgID: id, APIKey: strings.TrimSpace(orgKey),
			Transport: b.opts.Transport, AllowCustomHost: allow}
	}
	return atlassian.CheckConnection(ctx, scimCfg, orgCfg), nil
}

// refuseRefusedKeys tests a key the admin typed before it is saved and refuses to save it when
// Atlassian answered and refused it (401, 403, or the organization not found for that key),
// unless the admin chose to save it anyway (in.SaveUntested). A test that could not reach
// Atlassian (offline, DNS) does not block: the key is untested, not refused, and every run
// proves it again before reporting anything.
func (b *Backend) refuseRefusedKeys(ctx context.Context, dirID string, in DirectoryInput) error {
	if in.SaveUntested || (in.SCIMAPIKey == "" && in.OrgAPIKey == "") {
		return nil
	}
	rep, err := b.TestConnection(ctx, dirID, in)
	if err != nil {
		return err
	}
	refused := func(p atlassian.Part) bool {
		return !p.OK && !p.Skipped && (p.Code == apperr.AtlassianUnauthorized || p.Code == apperr.AtlassianForbidden || p.Code == apperr.AtlassianNotFound)
	}
	for _, c := range []struct {
		typed bool
		part  atlassian.Part
		what  string
	}{
		{in.SCIMAPIKey != "", rep.SCIMKey, "directory API key"},
		{in.SCIMAPIKey != "", rep.SCIMURL, "directory API key"},
		{in.OrgAPIKey != "", rep.OrgKey, "organization API key"},
		{in.OrgAPIKey != "", rep.OrgFound, "organization API key"},
	} {
		if c.typed && refused(c.part) {
			return apperr.New(c.part.Code, "nothing was saved: the connection test failed for the %s: %s", c.what, c.part.Message).
				WithAction(strings.TrimSpace(c.part.Action + " To save it anyway, choose \"Save even if the test fails\"."))
		}
	}
	return nil
}
