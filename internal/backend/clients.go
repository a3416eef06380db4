package backend

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/store"
)

func directoryCloud(c string) directory.Cloud {
	return directory.Cloud(strings.ToLower(strings.TrimSpace(c)))
}

func validateSCIMURL(raw string, allowCustom bool) (string, error) {
	u, err := atlassian.ValidateBaseURL(strings.TrimSpace(raw), allowCustom)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func (b *Backend) authClient(ctx context.Context, d store.Directory) (*auth.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.auths[d.ID]; c != nil {
		return c, nil
	}
	c, err := auth.New(auth.Config{DirectoryID: d.ID, ClientID: d.ClientID, Cloud: directoryCloud(d.Cloud), Tenant: d.TenantID, SignInTenant: d.SignInTenant,
		AuthorityURL: b.endpoints(d).Authority, GraphURL: b.endpoints(d).GraphURL, HTTPClient: &http.Client{Transport: b.opts.Transport, Timeout: 2 * time.Minute},
		Secrets: b.opts.Secrets, CacheDir: b.home, OpenURL: b.opts.OpenURL})
	if err != nil {
		return nil, err
	}
	b.auths[d.ID] = c
	return c, nil
}

// reader builds the Graph reader of a directory: with the signed-in account's tokens, or with a
// token an admin already holds (Options.GraphToken) for headless use without the token cache.
func (b *Backend) reader(ctx context.Context, d store.Directory) (*entra.Reader, error) {
	ep, err := auth.CloudEndpoints(directoryCloud(d.Cloud))
	if err != nil {
		return nil, err
	}
	base := ep.GraphBaseURL
	if g := b.endpoints(d).GraphURL; g != "" {
		base = strings.TrimRight(g, "/")
	}
	cfg := entra.Config{BaseURL: base, Transport: b.opts.Transport}
	if tok := b.opts.GraphToken; tok != "" {
		if cfg.Tokens, err = entra.StaticTokenFor(tok, base); err != nil {
			return nil, err
		}
	} else {
		c, err := b.authClient(ctx, d)
		if err != nil {
			return nil, err
		}
		cfg.Tokens = c.TokenProvider()
	}
	return entra.New(cfg)
}

func (b *Backend) scim(ctx context.Context, d store.Directory, chunk int) (*atlassian.SCIM, error) {
	k, err := keychain.GetAPIKey(ctx, b.opts.Secrets, d.ID, keychain.SCIMKey)
	if err != nil {
		if apperr.CodeOf(err) == apperr.SecretMissing {
			return nil, apperr.New(apperr.SecretMissing, "the directory's Atlassian API key is not in the keychain").WithAction("Edit the directory and enter its API key.")
		}
		return nil, err
	}
	base := d.SCIMBaseURL
	if b.opts.Endpoints.SCIMURL != "" {
		base = b.opts.Endpoints.SCIMURL
	}
	return atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: base, APIKey: k.Secret, KeyCreated: k.Stored, Transport: b.opts.Transport,
		AllowCustomHost: d.AllowCustomHost || b.opts.AllowCustomHost, MemberChunkSize: chunk,
		LimiterConfig: adapter.LearnedPacing(ctx, b.st, d.ID, b.opts.SCIMLimiter)})
}

func (b *Backend) org(ctx context.Context, d store.Directory) (*atlassian.Org, error) {
	if d.OrgID == "" {
		return nil, nil
	}
	k, err := keychain.GetAPIKey(ctx, b.opts.Secrets, d.ID, keychain.OrgKey)
	if apperr.CodeOf(err) == apperr.SecretMissing {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return atlassian.NewOrg(atlassian.OrgConfig{BaseURL: b.endpoints(d).OrgURL, OrgID: d.OrgID, APIKey: k.Secret, KeyCreated: k.Stored,
		Transport: b.opts.Transport, AllowCustomHost: d.AllowCustomHost || b.opts.AllowCustomHost})
}

func (b *Backend) snapshotDir() string { return filepath.Join(b.home, "snapshots") }

func (b *Backend) reportDir() string { return filepath.Join(b.home, "reports") }
