package atlassian

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
)

// The Organizations REST API v2 (developer.atlassian.com/cloud/admin/organization/rest/api-group-groups/):
// groups of every directory of the organization, also those the SCIM directory cannot see
// (made by hand, or by another identity provider) but whose names make POST /Groups answer 409.

// AllDirectories is the directory id "-": "The - character can be used to increase the
// operation scope to all directories the requestor has permission to manage" (api-group-groups).
const AllDirectories = "-"

// groupNamesPerSearch bounds groupNames in one search. The reference gives no maximum for
// groupNames; its sibling filters (groupIds, accountIds, directoryIds) are documented at 10, so
// 10 it is: 150 names cost 15 requests.
const groupNamesPerSearch = 10

// orgPageLimit is the page size asked of v2 searches (documented default 20, maximum 100 on the
// GET twin of the search).
const orgPageLimit = 100

// OrgGroup is one group of the organization as the v2 API describes it.
type OrgGroup struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	DirectoryID    string `json:"directoryId"`
	ExternalSynced bool   `json:"externalSynced"` // "created via IdP Sync"
	ManagedBy      string `json:"managedBy"`      // external | admins | team-members | open
	// DefaultAccess: a role assignment of the group carries a defaultRole ("which role is granted
	// by default for the resource"), i.e. it is the default group of an app. Atlassian cannot sync
	// such a group until its default status is removed.
	DefaultAccess bool     `json:"defaultAccess"`
	DefaultFor    []string `json:"defaultFor,omitempty"` // resource ids it is the default group of
}

// orgGroupItem is one group of the v2 groups search.
type orgGroupItem struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	DirectoryID    string `json:"directoryId"`
	ExternalSynced bool   `json:"externalSynced"`
	ManagedBy      string `json:"managedBy"`
}

// roleAssignmentItem is one assignment of a group's role-assignments.
type roleAssignmentItem struct {
	ResourceID  string   `json:"resourceId"`
	DefaultRole *string  `json:"defaultRole"`
	Roles       []string `json:"roles"`
}

func (o *Org) v2(parts ...string) string {
	p := "/admin/v2/orgs/" + url.PathEscape(o.orgID)
	for _, s := range parts {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// FindGroupsByName returns the organization's groups, in any directory, whose names equal one
// of names (Atlassian compares case-insensitively), each with its default-access status. It
// sends POST .../directories/-/groups/search with groupNames, 10 names at a time, following
// links.next, then one role-assignments read per group found (conflicts are few).
func (o *Org) FindGroupsByName(ctx context.Context, names []string) ([]OrgGroup, error) {
	uniq := map[string]string{}
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			uniq[strings.ToLower(n)] = n
		}
	}
	keys := make([]string, 0, len(uniq))
	for k := range uniq {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	path := o.v2("directories", AllDirectories, "groups", "search")
	var out []OrgGroup
	seen := map[string]bool{}
	for i := 0; i < len(keys); i += groupNamesPerSearch {
		var chunk []string
		for _, k := range keys[i:min(i+groupNamesPerSearch, len(keys))] {
			chunk = append(chunk, uniq[k])
		}
		body := map[string]any{"groupNames": chunk, "limit": orgPageLimit}
		err := listPages(ctx, o, http.MethodPost, path, nil, body, callOpts{}, "search the organization's groups", func(g orgGroupItem) {
			// The search is documented as exact (case-insensitive); a server that answers
			// more is filtered here rather than trusted.
			if g.ID == "" || seen[g.ID] || uniq[strings.ToLower(g.Name)] == "" {
				return
			}
			seen[g.ID] = true
			out = append(out, OrgGroup{ID: g.ID, Name: g.Name, DirectoryID: g.DirectoryID, ExternalSynced: g.ExternalSynced, ManagedBy: g.ManagedBy})
		})
		if err != nil {
			return nil, err
		}
	}
	for i := range out {
		def, err := o.defaultFor(ctx, &out[i])
		if err != nil {
			return nil, err
		}
		out[i].DefaultFor, out[i].DefaultAccess = def, len(def) > 0
	}
	return out, nil
}

// defaultFor reads GET .../directories/{directoryId}/groups/{groupId}/role-assignments and
// returns the resources for which one of the group's assignments names a defaultRole.
func (o *Org) defaultFor(ctx context.Context, g *OrgGroup) ([]string, error) {
	dir := g.DirectoryID
	if dir == "" {
		dir = AllDirectories
	}
	path := o.v2("directories", dir, "groups", g.ID, "role-assignments")
	var out []string
	err := listPages(ctx, o, http.MethodGet, path, url.Values{"limit": {"100"}}, nil, callOpts{}, "read the role assignments of group "+g.Name, func(ra roleAssignmentItem) {
		if ra.DefaultRole != nil && *ra.DefaultRole != "" {
			out = append(out, ra.ResourceID)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Verify proves the organization key with one cheap documented request,
// GET /admin/v1/orgs/{orgId} (api-group-orgs "Get an organization by ID").
func (o *Org) Verify(ctx context.Context) error {
	path := "/admin/v1/orgs/" + url.PathEscape(o.orgID)
	r, err := o.ep.do(ctx, http.MethodGet, path, nil, nil, callOpts{})
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return o.orgError("read the organization", r)
	}
	// The documented answer is the Org object, {"data":{"id":orgId,"type":"orgs",...}}; a 200
	// from a proxy or captive portal (an HTML page, {}) names no organization and proves nothing.
	var org struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &org); err != nil || org.Data.ID != o.orgID {
		return badResponse("GET "+path, r, err)
	}
	return nil
}

func (o *Org) orgError(what string, r *response) *apperr.Error {
	e := o.ep.statusError(what, r)
	if e.Code == apperr.AtlassianNotFound {
		e.Message = "the organization " + o.orgID + " was not found (404): the id is wrong or the key belongs to another organization"
		e.Action = "Copy the organization id from admin.atlassian.com > Settings > API keys."
	}
	return e
}

// Verify proves the directory API key with one cheap documented request, a one-user page of
// GET /Users (firstUser), with the client's retries. A wrong or expired key answers 401, which
// becomes atlassian_unauthorized with the key's age; a 200 that is not a SCIM ListResponse
// becomes atlassian_bad_response.
func (c *SCIM) Verify(ctx context.Context) error {
	_, err := c.firstUser(ctx, callOpts{})
	return err
}
