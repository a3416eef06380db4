package atlassian_test

// Conformance: the SCIM client against an independent SCIM 2.0 server (github.com/elimity-com/scim)
// with an in-memory handler, so the client is known to work with a standard server and not only
// with our own emulator. The handler applies PATCH operations itself (the library validates them).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/google/uuid"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	filter "github.com/scim2/filter-parser/v2"
)

type memStore struct {
	mu     sync.Mutex
	unique string // "userName" or "displayName": case-insensitive uniqueness
	items  map[string]scim.ResourceAttributes
	order  []string
	peers  *memStore // for groups: the users, so a deleted user leaves its groups
}

func newMem(unique string) *memStore {
	return &memStore{unique: unique, items: map[string]scim.ResourceAttributes{}}
}

func (m *memStore) resource(id string) scim.Resource {
	a := m.items[id]
	r := scim.Resource{ID: id, Attributes: a}
	if ext, ok := a["externalId"].(string); ok {
		r.ExternalID = optional.NewString(ext)
	}
	return r
}

func (m *memStore) Create(_ *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name, _ := attrs[m.unique].(string)
	for _, a := range m.items {
		if other, _ := a[m.unique].(string); strings.EqualFold(other, name) {
			return scim.Resource{}, scimerrors.ScimErrorUniqueness
		}
	}
	id := uuid.NewString()
	attrs["id"] = id
	m.items[id] = attrs
	m.order = append(m.order, id)
	return m.resource(id), nil
}

func (m *memStore) Get(_ *http.Request, id string) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[id]; !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return m.resource(id), nil
}

func (m *memStore) GetAll(_ *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var match []scim.Resource
	for _, id := range m.order {
		if p.FilterValidator != nil && p.FilterValidator.PassesFilter(m.items[id]) != nil {
			continue
		}
		match = append(match, m.resource(id))
	}
	page := scim.Page{TotalResults: len(match), Resources: []scim.Resource{}}
	for i := p.StartIndex - 1; i >= 0 && i < len(match) && len(page.Resources) < p.Count; i++ {
		page.Resources = append(page.Resources, match[i])
	}
	return page, nil
}

func (m *memStore) Replace(_ *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[id]; !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	attrs["id"] = id
	m.items[id] = attrs
	return m.resource(id), nil
}

func (m *memStore) Delete(_ *http.Request, id string) error {
	m.mu.Lock()
	if _, ok := m.items[id]; !ok {
		m.mu.Unlock()
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(m.items, id)
	for i, x := range m.order {
		if x == id {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
	m.mu.Unlock()
	if m.peers != nil {
		m.peers.dropMember(id)
	}
	return nil
}

func (m *memStore) dropMember(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.items {
		a["members"] = without(a["members"], func(v string) bool { return v == id })
	}
}

func without(list any, drop func(string) bool) []any {
	items, _ := list.([]any)
	out := []any{}
	for _, it := range items {
		if v, _ := it.(map[string]any)["value"].(string); !drop(v) {
			out = append(out, it)
		}
	}
	return out
}

func (m *memStore) Patch(_ *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.items[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	for _, op := range ops {
		if err := applyOp(a, op); err != nil {
			return scim.Resource{}, err
		}
	}
	return m.resource(id), nil
}

// applyOp applies the operation shapes the client sends: simple and sub-attribute paths, the
// enterprise extension, typed multi-valued values, members add, and members[value eq "id"] remove.
func applyOp(a scim.ResourceAttributes, op scim.PatchOperation) error {
	if op.Path == nil {
		return scimerrors.ScimErrorNoTarget
	}
	p := op.Path.AttributePath
	name := p.AttributeName
	target := map[string]any(a)
	if p.URIPrefix != nil {
		ext, _ := a[*p.URIPrefix].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			a[*p.URIPrefix] = ext
		}
		target = ext
	}
	switch {
	case op.Path.ValueExpression != nil:
		expr, ok := op.Path.ValueExpression.(*filter.AttributeExpression)
		if !ok {
			return scimerrors.ScimErrorInvalidPath
		}
		want := fmt.Sprint(expr.CompareValue)
		key := expr.AttributePath.AttributeName // "type" for emails/phones, "value" for members
		match := func(it map[string]any) bool { return strings.EqualFold(fmt.Sprint(it[key]), want) }
		if op.Op == "remove" {
			target[name] = withoutMatching(target[name], match)
			return nil
		}
		items, _ := target[name].([]any)
		for _, it := range items {
			if m := it.(map[string]any); match(m) {
				m[*op.Path.SubAttribute] = op.Value
				return nil
			}
		}
		target[name] = append(items, map[string]any{key: want, *op.Path.SubAttribute: op.Value})
	case p.SubAttribute != nil:
		sub, _ := target[name].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
			target[name] = sub
		}
		if op.Op == "remove" {
			delete(sub, *p.SubAttribute)
		} else {
			sub[*p.SubAttribute] = op.Value
		}
	case op.Op == "remove":
		delete(target, name)
	case name == "members" && op.Op == "add":
		items, _ := target[name].([]any)
		have := map[string]bool{}
		for _, it := range items {
			have[fmt.Sprint(it.(map[string]any)["value"])] = true
		}
		for _, it := range op.Value.([]any) {
			if v := fmt.Sprint(it.(map[string]any)["value"]); !have[v] {
				items, have[v] = append(items, it), true
			}
		}
		target[name] = items
	default:
		target[name] = op.Value
	}
	return nil
}

func withoutMatching(list any, match func(map[string]any) bool) []any {
	items, _ := list.([]any)
	out := []any{}
	for _, it := range items {
		if !match(it.(map[string]any)) {
			out = append(out, it)
		}
	}
	return out
}

func startConformanceServer(t *testing.T) (*httptest.Server, *memStore, *memStore) {
	t.Helper()
	users, groups := newMem("userName"), newMem("displayName")
	users.peers = groups
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: 100},
		ResourceTypes: []scim.ResourceType{
			{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Schema: schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}}, Handler: users},
			{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Schema: schema.CoreGroupSchema(), Handler: groups},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	const base = "/scim/directory/conformance"
	mux := http.NewServeMux()
	mux.Handle(base+"/", http.StripPrefix(base, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer conformance-key" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		srv.ServeHTTP(w, r)
	})))
	hs, _ := emutest.TLSServer(t, mux)
	return hs, users, groups
}

func TestConformanceWithElimityServer(t *testing.T) {
	hs, users, _ := startConformanceServer(t)
	a, _ := loopbacktls.Shared()
	c, err := atlassian.NewSCIM(atlassian.SCIMConfig{
		BaseURL: hs.URL + "/scim/directory/conformance", APIKey: "conformance-key", Transport: a.Transport(), AllowCustomHost: true,
		MemberChunkSize: 2, Retry: atlassian.RetryPolicy{MaxRetries: -1}, LimiterConfig: atlassian.LimiterConfig{Initial: 5000, Max: 5000},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.CheckConnection(ctx); err != nil {
		t.Fatalf("connection check: %v", err)
	}

	// Create, then read back through list, filters and get.
	want := alice()
	created, err := c.CreateUser(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	want.ID = created.ID
	if created != want {
		t.Fatalf("created\n got %+v\nwant %+v", created, want)
	}
	var ids []string
	for i := range 4 {
		n := fmt.Sprintf("user%d@contoso.com", i)
		u, err := c.CreateUser(ctx, atlassian.User{UserName: n, Email: n, ExternalID: "ext-" + n, DisplayName: n, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	n := 0
	if err := c.ListUsers(ctx, func(atlassian.User) error { n++; return nil }); err != nil || n != 5 {
		t.Fatalf("list: %d %v", n, err)
	}
	if u, ok, err := c.FindUserByUserName(ctx, "ALICE@contoso.com"); err != nil || !ok || u != want {
		t.Fatalf("by userName: %+v %v %v", u, ok, err)
	}
	if u, ok, err := c.FindUserByExternalID(ctx, want.ExternalID); err != nil || !ok || u.ID != want.ID {
		t.Fatalf("by externalId: %+v %v %v", u, ok, err)
	}
	if _, ok, err := c.FindUserByExternalID(ctx, `no "such" \ id`); err != nil || ok {
		t.Fatalf("escaped filter: %v %v", ok, err)
	}

	// 409 and adopt.
	_, err = c.CreateUser(ctx, atlassian.User{UserName: "Alice@Contoso.com", Email: "x@contoso.com", Active: true})
	var ce *atlassian.ConflictError
	if apperr.CodeOf(err) != apperr.AtlassianConflict || !errors.As(err, &ce) {
		t.Fatalf("duplicate: %v", err)
	}
	if u, adopted, err := c.CreateOrAdoptUser(ctx, alice()); err != nil || !adopted || u.ID != want.ID {
		t.Fatalf("adopt: %v %v", adopted, err)
	}

	// PATCH of attributes: add, replace, remove, enterprise extension, typed values, active.
	desired := want
	desired.Title, desired.MobilePhone, desired.Department, desired.Email = "Lead", "", "Ops", "ALICE@contoso.com"
	if err := c.PatchUser(ctx, want.ID, patchFor(diffUser(want, desired))); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUser(ctx, want.ID)
	if err != nil || got != desired {
		t.Fatalf("after patch\n got %+v\nwant %+v (%v)", got, desired, err)
	}
	if err := c.SetActive(ctx, want.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetUser(ctx, want.ID); got.Active {
		t.Fatal("deactivation not applied")
	}

	// Groups: create, 409, members added in chunks and removed by members[value eq "id"].
	g, err := c.CreateGroup(ctx, "Engineering", "grp-eng")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, "engineering", "x"); apperr.CodeOf(err) != apperr.AtlassianConflict {
		t.Fatalf("duplicate group: %v", err)
	}
	if err := c.AddMembers(ctx, g.ID, append(ids, want.ID)); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveMembers(ctx, g.ID, ids[:3]); err != nil {
		t.Fatal(err)
	}
	found, ok, err := c.FindGroupByDisplayName(ctx, "Engineering")
	if err != nil || !ok {
		t.Fatalf("group by name: %v %v", ok, err)
	}
	sort.Strings(found.Members)
	wantMembers := []string{ids[3], want.ID}
	sort.Strings(wantMembers)
	if strings.Join(found.Members, ",") != strings.Join(wantMembers, ",") {
		t.Fatalf("members %v want %v", found.Members, wantMembers)
	}
	// Groups are never looked up by externalId (Atlassian documents displayName eq only): the
	// group found by name carries it for the caller to compare.
	if found.ID != g.ID || found.ExternalID != "grp-eng" {
		t.Fatalf("group by name: id %s externalId %q, want %s grp-eng", found.ID, found.ExternalID, g.ID)
	}
	var groups []atlassian.Group
	if err := c.ListGroups(ctx, func(g atlassian.Group) error { groups = append(groups, g); return nil }); err != nil || len(groups) != 1 {
		t.Fatalf("list groups: %v %v", groups, err)
	}

	// Delete: the user disappears (and leaves the group), then 404s.
	if err := c.DeleteUser(ctx, ids[3]); err != nil {
		t.Fatal(err)
	}
	if err := c.SetActive(ctx, ids[3], true); apperr.CodeOf(err) != apperr.AtlassianNotFound {
		t.Fatalf("patch after delete: %v", err)
	}
	if g2, _ := c.GetGroup(ctx, g.ID); len(g2.Members) != 1 {
		t.Fatalf("members after delete: %v", g2.Members)
	}
	if err := c.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if len(users.items) != 4 {
		t.Fatalf("%d users left", len(users.items))
	}

	// A wrong key is AtlassianUnauthorized.
	bad, _ := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: hs.URL + "/scim/directory/conformance", APIKey: "nope", Transport: a.Transport(), AllowCustomHost: true})
	if err := bad.CheckConnection(ctx); apperr.CodeOf(err) != apperr.AtlassianUnauthorized {
		t.Fatalf("wrong key: %v", err)
	}
}
