package atlassian

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Suspending and restoring a user's access (issue 18 point 11), the Organizations REST API v2
// "Users" group (developer.atlassian.com/cloud/admin/organization/rest/api-group-users/):
//
//	POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend
//	POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/restore
//	POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search  {"status":["suspended"]}
//
// Both writes take the Atlassian account id, which the SCIM user carries in Atlassian's
// extension (AccountExtension), and a v2 directory id, found with "Get directories"
// (api-group-directory, GET /admin/v2/orgs/{orgId}/directories?directoryIds=…).

// AccountExtension is the SCIM user extension that carries the Atlassian account id
// (ScimUser in Atlassian's user-provisioning OpenAPI, as carried by jira.js:
// 'urn:scim:schemas:extension:atlassian-external:1.0': {atlassianAccountId}).
const AccountExtension = "urn:scim:schemas:extension:atlassian-external:1.0"

// Access suspends and restores users of one SCIM directory through the organization key.
type Access struct {
	org     *Org
	scimDir string

	mu    sync.Mutex
	v2Dir string // resolved once
}

// Access binds the organization client to the v2 directory of the SCIM directory scimDir.
func (o *Org) Access(scimDir string) *Access { return &Access{org: o, scimDir: scimDir} }

// DirectoryID finds the v2 directory of the SCIM directory. The reference documents no field
// linking the two; Atlassian's answer to "how do I find the directory id for the v2 API"
// (jira.atlassian.com AX-259, workaround) is the id shown when SCIM provisioning is configured,
// i.e. the id in the SCIM base URL. So the client asks "Get directories" for exactly that id
// (directoryIds, documented as "A list of directory IDs") and uses it only when the
// organization answers with it; otherwise suspending is refused with what to do, never guessed.
func (a *Access) DirectoryID(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.v2Dir != "" {
		return a.v2Dir, nil
	}
	path := "/admin/v2/orgs/" + url.PathEscape(a.org.orgID) + "/directories"
	q := url.Values{"directoryIds": {a.scimDir}}
	r, err := a.org.ep.do(ctx, http.MethodGet, path, q, nil, callOpts{})
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", a.org.orgError("read the organization's directories", r)
	}
	var p struct {
		Data []struct {
			DirectoryID string `json:"directoryId"`
			Name        string `json:"name"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Data == nil {
		return "", badResponse("GET "+path, r, err)
	}
	for _, d := range p.Data {
		if d.DirectoryID == a.scimDir {
			a.v2Dir = d.DirectoryID
			return a.v2Dir, nil
		}
	}
	return "", apperr.New(apperr.AtlassianNotFound, "the organization %s has no directory %s: suspending access needs the SCIM directory to be one of the organization's directories", a.org.orgID, a.scimDir).
		WithAction("Check that the organization id and key belong to the organization of this SCIM directory, or choose Deactivate for users who leave scope.")
}

func (a *Access) userPath(ctx context.Context, accountID, verb string) (string, error) {
	dir, err := a.DirectoryID(ctx)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(accountID) == "" {
		return "", apperr.New(apperr.InvalidInput, "no Atlassian account id to %s", verb)
	}
	return a.org.v2("directories", dir, "users", accountID, verb), nil
}

// Suspend suspends the account's access in the directory ("They regain their roles and group
// memberships when you restore their access").
func (a *Access) Suspend(ctx context.Context, accountID string) error {
	return a.lifecycle(ctx, accountID, "suspend", "suspend the access of")
}

// Restore restores the account's access in the directory.
func (a *Access) Restore(ctx context.Context, accountID string) error {
	return a.lifecycle(ctx, accountID, "restore", "restore the access of")
}

// lifecycle sends one of the two writes. The reference shows no success body (jira.js types
// both as void; the v1 suspend-access answered 200 with a message), so 200 and 204 both count
// as done and no body is read.
func (a *Access) lifecycle(ctx context.Context, accountID, verb, what string) error {
	path, err := a.userPath(ctx, accountID, verb)
	if err != nil {
		return err
	}
	r, err := a.org.ep.do(ctx, http.MethodPost, path, nil, nil, callOpts{})
	if err != nil {
		return err
	}
	if r.status == http.StatusOK || r.status == http.StatusNoContent {
		return nil
	}
	e := a.org.ep.statusError(what+" account "+accountID, r)
	return e
}

// suspendedItem is one user of the v2 user search.
type suspendedItem struct {
	AccountID string `json:"accountId"`
	Status    string `json:"status"`
}

// Suspended returns the account ids whose access is suspended in the directory: the v2 user
// search with status ["suspended"] ("accountStatus is active and membershipStatus is
// suspended"), 100 a page, following links.next.
func (a *Access) Suspended(ctx context.Context) (map[string]bool, error) {
	dir, err := a.DirectoryID(ctx)
	if err != nil {
		return nil, err
	}
	path := a.org.v2("directories", dir, "users", "search")
	out := map[string]bool{}
	body := map[string]any{"status": []string{"suspended"}, "limit": orgPageLimit}
	err = listPages(ctx, a.org, http.MethodPost, path, nil, body, callOpts{}, "search the directory's suspended users", func(u suspendedItem) {
		// The filter is trusted only as far as each user's own status says so.
		if u.AccountID != "" && (u.Status == "" || u.Status == "suspended") {
			out[u.AccountID] = true
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AccountID looks a SCIM user's Atlassian account id up when its SCIM record does not carry the
// extension: "Get SCIM links for an email address" (user-provisioning api-group-admin-apis,
// POST /admin/user-provisioning/v1/org/{orgId}/get-scim-links-for-email {"email"}), which
// answers {scimLinks:[{scimUserId, atlassianAccountId, orgId, directoryId}]}; the link of this
// directory's SCIM user is the one used. "" when Atlassian links none.
func (a *Access) AccountID(ctx context.Context, email, scimUserID string) (string, error) {
	path := "/admin/user-provisioning/v1/org/" + url.PathEscape(a.org.orgID) + "/get-scim-links-for-email"
	links, err := a.scimLinks(ctx, http.MethodPost, path, map[string]string{"email": email}, "look up the account of "+email)
	if err != nil {
		return "", err
	}
	for _, l := range links {
		if l.ScimUserID == scimUserID && l.AtlassianAccountID != nil {
			return *l.AtlassianAccountID, nil
		}
	}
	return "", nil
}

// SCIMUserID is the SCIM user of this directory linked to an account: "Get SCIM links for a
// Atlassian Account ID" (GET /admin/user-provisioning/v1/org/{orgId}/user/{aaId}/get-scim-links).
// "" when the directory holds none.
func (a *Access) SCIMUserID(ctx context.Context, accountID string) (string, error) {
	path := "/admin/user-provisioning/v1/org/" + url.PathEscape(a.org.orgID) + "/user/" + url.PathEscape(accountID) + "/get-scim-links"
	links, err := a.scimLinks(ctx, http.MethodGet, path, nil, "look up the SCIM user of account "+accountID)
	if err != nil || len(links) == 0 {
		return "", err
	}
	return links[0].ScimUserID, nil
}

// scimLink is one link of the two "Get SCIM links" answers, {scimLinks:[{scimUserId,
// atlassianAccountId, orgId, directoryId}]}; SCIMUserID reads only scimUserId of it.
type scimLink struct {
	ScimUserID         string  `json:"scimUserId"`
	AtlassianAccountID *string `json:"atlassianAccountId"`
	DirectoryID        string  `json:"directoryId"`
}

// scimLinks asks one of the two "Get SCIM links" calls and returns the links into this
// directory, in Atlassian's order; a 404 is no link (both calls answer it for an unknown email or
// account), any other refusal is coded with what (what the caller was doing).
func (a *Access) scimLinks(ctx context.Context, method, path string, body any, what string) ([]scimLink, error) {
	r, err := a.org.ep.do(ctx, method, path, nil, body, callOpts{})
	if err != nil {
		return nil, err
	}
	if r.status == http.StatusNotFound {
		return nil, nil
	}
	if r.status != http.StatusOK {
		return nil, a.org.orgError(what, r)
	}
	var p struct {
		ScimLinks []scimLink `json:"scimLinks"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		return nil, badResponse(method+" "+path, r, err)
	}
	var out []scimLink
	for _, l := range p.ScimLinks {
		if l.DirectoryID == a.scimDir {
			out = append(out, l)
		}
	}
	return out, nil
}
