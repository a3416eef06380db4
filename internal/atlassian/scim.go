// Package atlassian writes to an Atlassian organization: a client of Atlassian's user-provisioning
// (SCIM 2.0) API of one identity-provider directory, a client of the organization API's domains,
// the mapping of Entra users to SCIM users, and the connection check of the setup screen. Both
// clients pace themselves with an adaptive limiter, retry what can be retried and turn every
// answer the service documents into an apperr code.
package atlassian

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// AtlassianHost is the only host the clients talk to unless the admin allows another.
const AtlassianHost = "api.atlassian.com"

// PageSize is Atlassian's cap on count for SCIM lists.
const PageSize = 100

// DefaultMemberChunkSize is how many members one group PATCH carries. Atlassian publishes no
// maximum; 100 matches its page cap, keeps a body near 5 KB, and makes a failed chunk cheap to
// retry, while a 35,000-member group still needs only 350 requests.
const DefaultMemberChunkSize = 100

// maxPages guards against a server that never stops paging: 1,000,000 users (the directory
// maximum Atlassian raises a directory to on request) fit in 10,000 pages of 100, and the
// end of a listing may take one more.
const maxPages = 10_100

// SCIMConfig configures a SCIM client.
type SCIMConfig struct {
	BaseURL         string            // https://api.atlassian.com/scim/directory/{directoryId}
	APIKey          string            // the directory API key (bearer)
	KeyCreated      time.Time         // when the key was made, for "expired?" messages; zero if unknown
	Transport       http.RoundTripper // nil: http.DefaultTransport
	AllowCustomHost bool              // accept a host other than api.atlassian.com (the screens warn)
	MemberChunkSize int               // members per group PATCH; default DefaultMemberChunkSize
	Retry           RetryPolicy
	Limiter         *Limiter      // shared pacing; nil: a new one from LimiterConfig
	LimiterConfig   LimiterConfig // used when Limiter is nil
	Timeout         time.Duration // per HTTP attempt; default 60s
	Now             func() time.Time
}

// SCIM is a client of one Atlassian identity-provider directory. It is safe for concurrent use;
// all its goroutines share one Limiter.
type SCIM struct {
	ep        *endpoint
	chunkSize int
}

var directoryPath = regexp.MustCompile(`^/scim/directory/[A-Za-z0-9][A-Za-z0-9._~-]*/?$`)

// ValidateBaseURL checks a directory base URL: https only, Atlassian's host unless allowed, and a
// /scim/directory/{id} path. It returns the parsed URL.
func ValidateBaseURL(raw string, allowCustomHost bool) (*url.URL, error) {
	u, err := checkURL(raw, allowCustomHost)
	if err != nil {
		return nil, err
	}
	if !directoryPath.MatchString(u.Path) {
		return nil, apperr.New(apperr.InvalidInput, "%q is not a directory base URL: its path must be /scim/directory/{directoryId}", raw).
			WithAction("Copy the directory base URL from admin.atlassian.com > Security > Identity providers > your directory.")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

func checkURL(raw string, allowCustomHost bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, apperr.New(apperr.InvalidInput, "%q is not a URL", raw).WithAction("Enter the full address, starting with https://.")
	}
	if u.Scheme != "https" {
		return nil, apperr.New(apperr.InsecureURL, "%q does not use https: the API key would travel in clear text", raw).
			WithAction("Use the https:// address Atlassian gives.")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, apperr.New(apperr.InvalidInput, "%q must not carry a user, query or fragment", raw).WithAction("Remove everything after the path.")
	}
	if !strings.EqualFold(u.Hostname(), AtlassianHost) && !allowCustomHost {
		return nil, apperr.New(apperr.InsecureURL, "%q is not on %s: the API key would be sent to another host", raw, AtlassianHost).
			WithAction("Use the address Atlassian gives, or allow a custom host explicitly.")
	}
	return u, nil
}

func newEndpoint(base *url.URL, key, keyName string, created time.Time, rt http.RoundTripper, timeout time.Duration,
	lim *Limiter, lc LimiterConfig, rp RetryPolicy, now func() time.Time, accept string) (*endpoint, error) {
	if strings.TrimSpace(key) == "" {
		return nil, apperr.New(apperr.SecretMissing, "the %s is empty", keyName).WithAction("Enter the " + keyName + ".")
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	if lim == nil {
		lim = NewLimiter(lc)
	}
	if now == nil {
		now = time.Now
	}
	return &endpoint{
		base: base, key: key, keyName: keyName, keyCreated: created, accept: accept,
		hc:  &http.Client{Transport: rt, Timeout: timeout, CheckRedirect: noRedirect},
		lim: lim, retry: rp.withDefaults(), now: now,
	}, nil
}

// noRedirect keeps the bearer key on the validated host: a redirect is reported, not followed.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NewSCIM validates cfg and returns a client.
func NewSCIM(cfg SCIMConfig) (*SCIM, error) {
	u, err := ValidateBaseURL(cfg.BaseURL, cfg.AllowCustomHost)
	if err != nil {
		return nil, err
	}
	ep, err := newEndpoint(u, cfg.APIKey, "directory API key", cfg.KeyCreated, cfg.Transport, cfg.Timeout,
		cfg.Limiter, cfg.LimiterConfig, cfg.Retry, cfg.Now, "application/scim+json")
	if err != nil {
		return nil, err
	}
	chunk := cfg.MemberChunkSize
	if chunk <= 0 {
		chunk = DefaultMemberChunkSize
	}
	return &SCIM{ep: ep, chunkSize: chunk}, nil
}

// Stats returns the request counters.
func (c *SCIM) Stats() Stats { return c.ep.stats.snapshot() }

// Limiter returns the limiter pacing this client (shared by all its goroutines).
func (c *SCIM) Limiter() *Limiter { return c.ep.lim }

// DirectoryID is the directory id of the base URL (".../scim/directory/{directoryId}"), which
// the user-provisioning reference names "the directoryId found after 'directory/' in the
// Directory's base URL".
func (c *SCIM) DirectoryID() string {
	p := strings.TrimSuffix(c.ep.base.Path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// MemberChunkSize is the number of members per group PATCH.
func (c *SCIM) MemberChunkSize() int { return c.chunkSize }

// ---- listing and lookup ----

type listResponse struct {
	Schemas      []string          `json:"schemas"`
	TotalResults *int              `json:"totalResults"`
	StartIndex   int               `json:"startIndex"`
	ItemsPerPage int               `json:"itemsPerPage"`
	Resources    []json.RawMessage `json:"Resources"`
}

// list pages through endpoint (e.g. "/Users") with an optional filter and hands each raw resource to fn.
func (c *SCIM) list(ctx context.Context, path, filter string, fn func(json.RawMessage) error) error {
	start, prevFirst := 1, ""
	for page := 0; ; page++ {
		if page >= maxPages {
			return apperr.New(apperr.AtlassianBadResponse, "GET %s: the server kept returning pages after %d pages", path, maxPages)
		}
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(PageSize)}}
		if filter != "" {
			q.Set("filter", filter)
		}
		r, err := c.ep.do(ctx, http.MethodGet, path, q, nil, callOpts{})
		if err != nil {
			return err
		}
		if r.status != http.StatusOK {
			return c.ep.statusError("list "+strings.TrimPrefix(path, "/"), r)
		}
		var lr listResponse
		if err := json.Unmarshal(r.body, &lr); err != nil || lr.TotalResults == nil {
			return badResponse("GET "+path, r, err)
		}
		// A server that ignores startIndex would page forever: the first id of each page must be new.
		if len(lr.Resources) > 0 {
			var first struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(lr.Resources[0], &first)
			if first.ID != "" && first.ID == prevFirst {
				return apperr.New(apperr.AtlassianBadResponse, "GET %s: the server returned the same page again at startIndex %d (it ignores paging)", path, start)
			}
			prevFirst = first.ID
		}
		for _, raw := range lr.Resources {
			if err := fn(raw); err != nil {
				return err
			}
		}
		start += len(lr.Resources)
		if len(lr.Resources) == 0 || start > *lr.TotalResults {
			return nil
		}
	}
}

func badResponse(what string, r *response, err error) *apperr.Error {
	snippet := strings.Join(strings.Fields(truncate(string(r.body), 120)), " ")
	e := apperr.New(apperr.AtlassianBadResponse, "%s: the answer (%d, %s) is not the one Atlassian documents: %q", what, r.status, r.header.Get("Content-Type"), snippet).
		WithAction("Check the directory base URL; a proxy or captive portal may be answering instead of Atlassian.")
	e.Err = err
	return e
}

// ListUsers calls fn for every user of the directory, in pages of 100.
func (c *SCIM) ListUsers(ctx context.Context, fn func(User) error) error {
	return c.list(ctx, "/Users", "", decoding(decodeUser, fn))
}

// ListGroups calls fn for every group of the directory with its member ids.
func (c *SCIM) ListGroups(ctx context.Context, fn func(Group) error) error {
	return c.list(ctx, "/Groups", "", decoding(decodeGroup, fn))
}

// decoding makes fn a handler of list's raw resources: each is decoded first, and one that does
// not decode ends the list with its error.
func decoding[T any](decode func([]byte) (T, error), fn func(T) error) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		x, err := decode(raw)
		if err != nil {
			return err
		}
		return fn(x)
	}
}

// EqFilter builds Atlassian's only filter form, attr eq "value", with the value as a JSON string
// (RFC 7644's compValue): quotes, backslashes and control characters are escaped, so a hostile
// name can neither break the filter nor widen it.
func EqFilter(attr, value string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(value) // a string always encodes
	return attr + " eq " + strings.TrimSuffix(b.String(), "\n")
}

func (c *SCIM) findUser(ctx context.Context, attr, value string) (User, bool, error) {
	return find(ctx, c, "/Users", EqFilter(attr, value), decodeUser, func(u User) bool {
		return (attr == "externalId" && u.ExternalID == value) || (attr == "userName" && strings.EqualFold(u.UserName, value))
	})
}

// find lists the users or groups at path that filter selects and returns the first that
// matches: the service filters for us, match checks again in case a lenient server ignored the
// filter.
func find[T any](ctx context.Context, c *SCIM, path, filter string, decode func([]byte) (T, error), match func(T) bool) (T, bool, error) {
	var found []T
	err := c.list(ctx, path, filter, decoding(decode, func(x T) error {
		found = append(found, x)
		return nil
	}))
	var zero T
	if err != nil {
		return zero, false, err
	}
	for _, x := range found {
		if match(x) {
			return x, true, nil
		}
	}
	return zero, false, nil
}

// FindUserByExternalID looks a user up by externalId (the Entra object id).
func (c *SCIM) FindUserByExternalID(ctx context.Context, externalID string) (User, bool, error) {
	return c.findUser(ctx, "externalId", externalID)
}

// FindUserByUserName looks a user up by userName (case-insensitive on Atlassian's side).
func (c *SCIM) FindUserByUserName(ctx context.Context, userName string) (User, bool, error) {
	return c.findUser(ctx, "userName", userName)
}

// FindGroupByDisplayName looks a group up by its name, with the only group filter Atlassian
// documents ("a single exact match (eq) against the displayName attribute", Get groups). There is
// no lookup by externalId: a server that follows the reference answers 400 invalidFilter. Callers
// compare the externalId of the group found themselves.
func (c *SCIM) FindGroupByDisplayName(ctx context.Context, name string) (Group, bool, error) {
	return find(ctx, c, "/Groups", EqFilter("displayName", name), decodeGroup, func(g Group) bool {
		return strings.EqualFold(g.DisplayName, name)
	})
}

// GetUser reads one user; a missing one is AtlassianNotFound.
func (c *SCIM) GetUser(ctx context.Context, id string) (User, error) {
	return getResource(ctx, c, "/Users/"+url.PathEscape(id), "read user "+id, decodeUser)
}

// getResource reads one user or group at path and decodes it; anything but 200 is coded, a 404
// as notFoundOr says.
func getResource[T any](ctx context.Context, c *SCIM, path, what string, decode func([]byte) (T, error)) (T, error) {
	var zero T
	r, err := c.ep.do(ctx, http.MethodGet, path, nil, nil, callOpts{})
	if err != nil {
		return zero, err
	}
	if r.status != http.StatusOK {
		return zero, c.notFoundOr(what, r)
	}
	return decode(r.body)
}

// ---- writes ----

// ConflictError is the cause of an AtlassianConflict error from a create: the identity that
// collided, so the caller can look the existing object up and adopt it.
type ConflictError struct {
	Resource    string // "user" or "group"
	UserName    string
	ExternalID  string
	DisplayName string
	Detail      string // the service's words
}

func (e *ConflictError) Error() string {
	id := e.UserName
	if e.Resource == "group" {
		id = e.DisplayName
	}
	return fmt.Sprintf("%s %q (externalId %q) already exists: %s", e.Resource, id, e.ExternalID, e.Detail)
}

// CreateUser creates u. A 409 is AtlassianConflict wrapping a *ConflictError.
func (c *SCIM) CreateUser(ctx context.Context, u User) (User, error) {
	if u.UserName == "" {
		return User{}, apperr.New(apperr.InvalidInput, "create user: userName is empty")
	}
	return createResource(ctx, c, "/Users", "create user "+u.UserName, encodeUser(u),
		ConflictError{Resource: "user", UserName: u.UserName, ExternalID: u.ExternalID}, decodeUser)
}

// createResource POSTs a user or group to path and decodes the answer (201, or 200 from a
// lenient server); a 409 is AtlassianConflict wrapping conflict with Atlassian's detail added,
// so that CreateOrAdopt… can look the existing one up.
func createResource[T any](ctx context.Context, c *SCIM, path, what string, body any, conflict ConflictError, decode func([]byte) (T, error)) (T, error) {
	var zero T
	r, err := c.ep.do(ctx, http.MethodPost, path, nil, body, callOpts{})
	if err != nil {
		return zero, err
	}
	switch r.status {
	case http.StatusCreated, http.StatusOK:
		return decode(r.body)
	case http.StatusConflict:
		e := c.ep.statusError(what, r)
		conflict.Detail = parseError(r.body).Detail
		e.Err = &conflict
		return zero, e
	}
	return zero, c.ep.statusError(what, r)
}

// CreateOrAdoptUser creates u or, when Atlassian says it exists, finds it by externalId then by
// userName and returns it with adopted = true. The caller then diffs and patches it.
func (c *SCIM) CreateOrAdoptUser(ctx context.Context, u User) (User, bool, error) {
	created, err := c.CreateUser(ctx, u)
	if err == nil || apperr.CodeOf(err) != apperr.AtlassianConflict {
		return created, false, err
	}
	if u.ExternalID != "" {
		if found, ok, ferr := c.FindUserByExternalID(ctx, u.ExternalID); ferr != nil {
			return User{}, false, ferr
		} else if ok {
			return found, true, nil
		}
	}
	if found, ok, ferr := c.FindUserByUserName(ctx, u.UserName); ferr != nil {
		return User{}, false, ferr
	} else if ok {
		return found, true, nil
	}
	return User{}, false, err
}

func (c *SCIM) notFoundOr(what string, r *response) error {
	e := c.ep.statusError(what, r)
	if e.Code == apperr.AtlassianNotFound {
		e.Message = what + ": it no longer exists in Atlassian (deleted by hand?)"
		e.Action = "Run a full reconcile: the sync recreates it or reports it."
	}
	return e
}

func (c *SCIM) patch(ctx context.Context, path, what string, ops []PatchOp) error {
	if len(ops) == 0 {
		return nil
	}
	return c.write(ctx, http.MethodPatch, path, what, map[string]any{"schemas": []string{SchemaPatchOp}, "Operations": ops})
}

// write sends a PATCH or DELETE, whose success is 200 or 204 (RFC 7644 §3.5.2 lets a PATCH
// answer either; both are taken for a DELETE too, as before); anything else is coded, a 404 as
// notFoundOr says.
func (c *SCIM) write(ctx context.Context, method, path, what string, body any) error {
	r, err := c.ep.do(ctx, method, path, nil, body, callOpts{})
	if err != nil {
		return err
	}
	if r.status == http.StatusOK || r.status == http.StatusNoContent {
		return nil
	}
	return c.notFoundOr(what, r)
}

// PatchUser applies ops to a user (never PUT: it would clear what it does not carry).
func (c *SCIM) PatchUser(ctx context.Context, id string, ops []PatchOp) error {
	return c.patch(ctx, "/Users/"+url.PathEscape(id), "update user "+id, ops)
}

// SetActive activates or deactivates a user with a PATCH of active.
func (c *SCIM) SetActive(ctx context.Context, id string, active bool) error {
	return c.PatchUser(ctx, id, []PatchOp{{Op: "replace", Path: "active", Value: active}})
}

// DeleteUser removes the user's SCIM record; Atlassian unlinks and deactivates the account.
// The sync deactivates instead by default; this is for explicit clean-ups.
func (c *SCIM) DeleteUser(ctx context.Context, id string) error {
	return c.del(ctx, "/Users/"+url.PathEscape(id), "delete user "+id)
}

func (c *SCIM) del(ctx context.Context, path, what string) error {
	return c.write(ctx, http.MethodDelete, path, what, nil)
}

// CreateGroup creates an empty group. A 409 is AtlassianConflict wrapping a *ConflictError.
func (c *SCIM) CreateGroup(ctx context.Context, displayName, externalID string) (Group, error) {
	if strings.TrimSpace(displayName) == "" {
		return Group{}, apperr.New(apperr.InvalidInput, "create group: the name is empty")
	}
	body := scimGroup{Schemas: []string{SchemaGroup}, DisplayName: displayName, ExternalID: externalID}
	return createResource(ctx, c, "/Groups", "create group "+displayName, body,
		ConflictError{Resource: "group", DisplayName: displayName, ExternalID: externalID}, decodeGroup)
}

// CreateOrAdoptGroup creates a group or, when Atlassian says one of that name exists, finds it
// by name (the only documented group filter) and returns it with adopted = true. Whether the
// group found is ours is the caller's decision: its ExternalID says which Entra group made it.
func (c *SCIM) CreateOrAdoptGroup(ctx context.Context, displayName, externalID string) (Group, bool, error) {
	g, err := c.CreateGroup(ctx, displayName, externalID)
	if err == nil || apperr.CodeOf(err) != apperr.AtlassianConflict {
		return g, false, err
	}
	if found, ok, ferr := c.FindGroupByDisplayName(ctx, displayName); ferr != nil {
		return Group{}, false, ferr
	} else if ok {
		return found, true, nil
	}
	// Atlassian also answers 409 for a same-named group made in admin.atlassian.com that SCIM
	// cannot see; it must be resolved there ("Review groups").
	return Group{}, false, err
}

// GetGroup reads one group with its members.
func (c *SCIM) GetGroup(ctx context.Context, id string) (Group, error) {
	return getResource(ctx, c, "/Groups/"+url.PathEscape(id), "read group "+id, decodeGroup)
}

// AddMembers adds users to a group in PATCHes of MemberChunkSize. On error, the chunks before
// the failing one are applied; adding a member twice is harmless, so the caller may retry all.
func (c *SCIM) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	for chunk := range chunks(userIDs, c.chunkSize) {
		refs := make([]map[string]string, len(chunk))
		for i, id := range chunk {
			refs[i] = map[string]string{"value": id}
		}
		if err := c.patch(ctx, "/Groups/"+url.PathEscape(groupID), "add members to group "+groupID,
			[]PatchOp{{Op: "add", Path: "members", Value: refs}}); err != nil {
			return err
		}
	}
	return nil
}

// RemoveMembers removes users from a group with members[value eq "id"] paths, MemberChunkSize
// operations per PATCH.
func (c *SCIM) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	for chunk := range chunks(userIDs, c.chunkSize) {
		ops := make([]PatchOp, len(chunk))
		for i, id := range chunk {
			ops[i] = PatchOp{Op: "remove", Path: `members[value eq "` + escapeFilterValue(id) + `"]`}
		}
		if err := c.patch(ctx, "/Groups/"+url.PathEscape(groupID), "remove members from group "+groupID, ops); err != nil {
			return err
		}
	}
	return nil
}

func escapeFilterValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v)
}

func chunks(ids []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(ids) > 0 {
			k := min(n, len(ids))
			if !yield(ids[:k]) {
				return
			}
			ids = ids[k:]
		}
	}
}

// DeleteGroup deletes a group (it disappears from every site, with the permissions it grants).
func (c *SCIM) DeleteGroup(ctx context.Context, id string) error {
	return c.del(ctx, "/Groups/"+url.PathEscape(id), "delete group "+id)
}

// CheckConnection reads /ServiceProviderConfig (the URL answers SCIM) and one user (the key can
// read the directory), without retries, and returns the first problem.
func (c *SCIM) CheckConnection(ctx context.Context) error {
	_, err := c.check(ctx)
	return err
}

// check returns the directory's user count on success.
func (c *SCIM) check(ctx context.Context) (int, error) {
	r, err := c.ep.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, nil, callOpts{noRetry: true})
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		e := c.ep.statusError("read the service configuration", r)
		if e.Code == apperr.AtlassianNotFound {
			e.Message = "no SCIM directory answers at " + c.ep.base.String() + " (404)"
			e.Action = "Check the directory base URL: copy it again from admin.atlassian.com > Security > Identity providers."
		}
		return 0, e
	}
	var spc struct {
		Schemas []string `json:"schemas"`
	}
	if err := json.Unmarshal(r.body, &spc); err != nil || !containsFold(spc.Schemas, "ServiceProviderConfig") {
		return 0, badResponse("GET /ServiceProviderConfig", r, err)
	}
	return c.firstUser(ctx, callOpts{noRetry: true})
}

// firstUser reads a one-user page of GET /Users (startIndex and count are Atlassian's documented
// paging parameters) and returns the directory's user count. Only the documented answer counts:
// a SCIM ListResponse (its schemas name urn:ietf:params:scim:api:messages:2.0:ListResponse, as
// RFC 7644 §3.4.2 requires and Atlassian's Get users example shows) with totalResults. A proxy or
// captive portal that answers 200 with an HTML page or {} is not proof of a working key.
func (c *SCIM) firstUser(ctx context.Context, o callOpts) (int, error) {
	q := url.Values{"startIndex": {"1"}, "count": {"1"}}
	r, err := c.ep.do(ctx, http.MethodGet, "/Users", q, nil, o)
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		return 0, c.ep.statusError("read users", r)
	}
	var lr listResponse
	if err := json.Unmarshal(r.body, &lr); err != nil || lr.TotalResults == nil || !slices.Contains(lr.Schemas, SchemaList) {
		return 0, badResponse("GET /Users", r, err)
	}
	return *lr.TotalResults, nil
}

func containsFold(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(strings.ToLower(s), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

var errNotSCIM = errors.New("not a SCIM resource")
