package atlassian

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// serveOrg answers GET /admin/v1/orgs/{orgId}/domains with cursor paging (links.next is the
// cursor for ?cursor=, as the organization API documents).
func (s *Server) serveOrg(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/admin/v1/orgs/"), "/"), "/")
	if len(parts) < 1 || parts[0] != s.opts.OrgID {
		writeOrgError(w, http.StatusNotFound, "Organization not found")
		return
	}
	if len(parts) == 1 && r.Method == http.MethodGet {
		// GET /admin/v1/orgs/{orgId} (api-group-orgs "Get an organization by ID"): the client's
		// cheap proof that the organization key works.
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, 200, map[string]any{"data": map[string]any{"id": s.opts.OrgID, "type": "orgs",
			"attributes": map[string]any{"name": "Emulated organization"},
			"links":      map[string]any{"self": s.URL() + r.URL.Path}}})
		return
	}
	if len(parts) != 2 || parts[1] != "domains" || r.Method != http.MethodGet {
		writeOrgError(w, http.StatusNotFound, "Not found")
		return
	}
	s.mu.Lock()
	doms := append([]Domain(nil), s.domains...)
	s.mu.Unlock()
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "c"))
		if err != nil || !strings.HasPrefix(c, "c") || n < 0 || n > len(doms) {
			writeOrgError(w, http.StatusBadRequest, "Invalid cursor")
			return
		}
		start = n
	}
	end := min(start+s.opts.DomainPage, len(doms))
	data := []any{}
	for i, d := range doms[start:end] {
		data = append(data, map[string]any{
			"id": "dom-" + strconv.Itoa(start+i), "type": "domains",
			"attributes": map[string]any{"name": d.Name, "claim": map[string]any{"type": d.ClaimType, "status": d.Status}},
			"links":      map[string]any{"self": s.URL() + r.URL.Path + "/dom-" + strconv.Itoa(start+i)},
		})
	}
	links := map[string]any{"self": s.URL() + r.URL.RequestURI()}
	if end < len(doms) {
		links["next"] = "c" + strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, 200, map[string]any{"data": data, "links": links})
}

func writeOrgError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, status, map[string]any{"code": strconv.Itoa(status), "message": msg})
}

// ---- seeding and state ----

// SeedUser adds a SCIM user as if another client had created it (ids are assigned when empty).
func (s *Server) SeedUser(u User) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := u.clone()
	if len(c.Emails) == 0 {
		c.Emails = []Multi{{Value: c.UserName, Type: "work", Primary: true}}
	}
	if e := s.createUser(c); e != nil {
		return "", e
	}
	return c.ID, nil
}

// SeedGroup adds a SCIM group; Members are userNames of users already seeded.
func (s *Server) SeedGroup(sg SeedGroup) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, e := s.createGroup(sg.DisplayName, sg.ExternalID, sg.ID)
	if e != nil {
		return "", e
	}
	for _, n := range sg.Members {
		id, ok := s.userIdx.byName[strings.ToLower(n)]
		if !ok {
			s.dropGroup(g)
			return "", bad("invalidValue", "seed group %q: no user %q", sg.DisplayName, n)
		}
		g.members[id] = struct{}{}
	}
	return g.id, nil
}

// SeedOrgGroup adds a group made by hand in admin.atlassian.com (invisible to SCIM).
func (s *Server) SeedOrgGroup(g OrgGroup) {
	s.mu.Lock()
	s.orgGroups[strings.ToLower(g.Name)] = normOrgGroup(g)
	s.mu.Unlock()
}

// SeedAccount adds an Atlassian account outside the directory (made by hand).
func (s *Server) SeedAccount(a Account) {
	s.mu.Lock()
	if a.Origin == "" {
		a.Origin = "seeded"
	}
	s.accounts[strings.ToLower(a.Email)] = &a
	s.mu.Unlock()
}

// DeleteUserByHand removes a SCIM user as an admin would in admin.atlassian.com, so the next
// write to it gets a 404.
func (s *Server) DeleteUserByHand(id string) bool { return deleteByHand(s, s.users, id, s.deleteUser) }

// DeleteGroupByHand removes a SCIM group as an admin would.
func (s *Server) DeleteGroupByHand(id string) bool { return deleteByHand(s, s.groups, id, s.dropGroup) }

// deleteByHand removes the resource of id with del under the lock, and says whether there was one.
func deleteByHand[R any](s *Server, all map[string]*R, id string, del func(*R)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := all[id]
	if r != nil {
		del(r)
	}
	return r != nil
}

// State returns a copy of the directory and organization state.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Users: make([]User, 0, len(s.users)), Groups: make([]Group, 0, len(s.groups))}
	for _, u := range s.users {
		st.Users = append(st.Users, *u.clone())
	}
	sort.Slice(st.Users, func(i, j int) bool {
		return strings.ToLower(st.Users[i].UserName) < strings.ToLower(st.Users[j].UserName)
	})
	for _, g := range s.groups {
		st.Groups = append(st.Groups, g.export())
	}
	sort.Slice(st.Groups, func(i, j int) bool { return st.Groups[i].DisplayName < st.Groups[j].DisplayName })
	for _, a := range s.accounts {
		st.Accounts = append(st.Accounts, *a)
	}
	sort.Slice(st.Accounts, func(i, j int) bool { return st.Accounts[i].Email < st.Accounts[j].Email })
	for _, g := range s.orgGroups {
		st.OrgGroups = append(st.OrgGroups, g)
	}
	sort.Slice(st.OrgGroups, func(i, j int) bool { return st.OrgGroups[i].Name < st.OrgGroups[j].Name })
	return st
}

// ---- discovery documents ----

func serviceProviderConfig() map[string]any {
	return map[string]any{
		"schemas":          []string{schemaSPC},
		"documentationUri": "https://developer.atlassian.com/cloud/admin/user-provisioning/rest/intro/",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": PageCap},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "Authentication with the directory API key as a bearer token",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig"},
	}
}

func attr(name, typ string, multi bool, uniqueness string) map[string]any {
	return map[string]any{"name": name, "type": typ, "multiValued": multi, "required": name == "userName" || name == "displayName",
		"caseExact": name == "externalId" || name == "id", "mutability": "readWrite", "returned": "default", "uniqueness": uniqueness}
}

func schemasDoc() []any {
	return []any{
		map[string]any{"id": schemaUser, "name": "User", "attributes": []any{
			attr("userName", "string", false, "server"), attr("externalId", "string", false, "server"), attr("name", "complex", false, "none"),
			attr("displayName", "string", false, "none"), attr("nickName", "string", false, "none"), attr("title", "string", false, "none"),
			attr("preferredLanguage", "string", false, "none"), attr("timezone", "string", false, "none"), attr("active", "boolean", false, "none"),
			attr("emails", "complex", true, "none"), attr("phoneNumbers", "complex", true, "none"), attr("groups", "complex", true, "none"),
		}},
		map[string]any{"id": schemaGroup, "name": "Group", "attributes": []any{
			attr("displayName", "string", false, "server"), attr("externalId", "string", false, "server"), attr("members", "complex", true, "none"),
		}},
		map[string]any{"id": schemaEnterprise, "name": "EnterpriseUser", "attributes": []any{
			attr("department", "string", false, "none"), attr("organization", "string", false, "none"),
		}},
	}
}

func resourceTypesDoc() []any {
	return []any{
		map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}, "id": "User", "name": "User", "endpoint": "/Users",
			"schema": schemaUser, "schemaExtensions": []any{map[string]any{"schema": schemaEnterprise, "required": false}}},
		map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"schema": schemaGroup},
	}
}
