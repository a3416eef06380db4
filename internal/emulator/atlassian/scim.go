package atlassian

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaAccount    = "urn:scim:schemas:extension:atlassian-external:1.0"
	schemaList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	schemaPatch      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaSPC        = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// scimErr is an error answer (RFC 7644 §3.12; Atlassian sends status as a string).
type scimErr struct {
	status   int
	scimType string
	detail   string
}

func (e *scimErr) Error() string { return e.detail }

func bad(scimType, format string, a ...any) *scimErr {
	return &scimErr{status: http.StatusBadRequest, scimType: scimType, detail: fmt.Sprintf(format, a...)}
}

func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	body := map[string]any{"schemas": []string{schemaError}, "status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		body["scimType"] = scimType
	}
	writeJSON(w, status, body)
}

func writeErr(w http.ResponseWriter, e *scimErr) { writeError(w, e.status, e.scimType, e.detail) }

// reply writes e when the operation failed, else status with the rendered resource (none: no body).
func reply(w http.ResponseWriter, e *scimErr, status int, render func() any) {
	switch {
	case e != nil:
		writeErr(w, e)
	case render == nil:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, render())
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serveSCIM(w http.ResponseWriter, r *http.Request, rel string, body []byte) {
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "ServiceProviderConfig" && r.Method == http.MethodGet:
		writeJSON(w, 200, serviceProviderConfig())
	case len(parts) == 1 && parts[0] == "Schemas" && r.Method == http.MethodGet:
		writeJSON(w, 200, listOf(schemasDoc()))
	case len(parts) == 1 && parts[0] == "ResourceTypes" && r.Method == http.MethodGet:
		writeJSON(w, 200, listOf(resourceTypesDoc()))
	case (parts[0] == "Users" || parts[0] == "Groups") && len(parts) <= 2:
		// One lock for the request: a write checks and changes the resources and their indexes
		// together, and a group's members are checked against the users.
		s.mu.Lock()
		defer s.mu.Unlock()
		if parts[0] == "Users" {
			s.serveUsers(w, r, parts[1:], body)
		} else {
			s.serveGroups(w, r, parts[1:], body)
		}
	default:
		writeError(w, http.StatusNotFound, "", "Unknown endpoint "+rel)
	}
}

func listOf(items []any) map[string]any {
	return map[string]any{"schemas": []string{schemaList}, "totalResults": len(items), "startIndex": 1, "itemsPerPage": len(items), "Resources": items}
}

// paging reads startIndex and count as Atlassian does: 1-based, below 1 means 1, count capped at 100.
func paging(r *http.Request) (start, count int, e *scimErr) {
	start, count = 1, PageCap
	q := r.URL.Query()
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, bad("invalidValue", "startIndex must be an integer")
		}
		start = max(n, 1)
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, bad("invalidValue", "count must be an integer")
		}
		count = min(max(n, 0), PageCap)
	}
	return start, count, nil
}

func page[T any](all []T, start, count int, render func(T) any) map[string]any {
	res := []any{}
	for i := start - 1; i < len(all) && len(res) < count; i++ {
		res = append(res, render(all[i]))
	}
	return map[string]any{"schemas": []string{schemaList}, "totalResults": len(all), "startIndex": start, "itemsPerPage": len(res), "Resources": res}
}

// parseFilter accepts exactly `attr eq "value"` with attr among allowed (case-insensitive), the
// only form Atlassian documents; everything else is 400 invalidFilter.
func parseFilter(f string, allowed ...string) (attr, value string, e *scimErr) {
	f = strings.TrimSpace(f)
	sp := strings.IndexAny(f, " \t")
	if sp < 0 {
		return "", "", bad("invalidFilter", "Unsupported filter %q: only a single eq on %s is supported", f, strings.Join(allowed, " or "))
	}
	a := f[:sp]
	for _, x := range allowed {
		if strings.EqualFold(a, x) {
			attr = x
		}
	}
	rest := strings.TrimLeft(f[sp:], " \t")
	if attr == "" || len(rest) < 3 || !strings.EqualFold(rest[:2], "eq") || (rest[2] != ' ' && rest[2] != '\t') {
		return "", "", bad("invalidFilter", "Unsupported filter %q: only a single eq on %s is supported", f, strings.Join(allowed, " or "))
	}
	lit := strings.TrimLeft(rest[2:], " \t")
	end := closingQuote(lit)
	if end < 0 || strings.TrimSpace(lit[end+1:]) != "" {
		return "", "", bad("invalidFilter", "Unsupported filter %q: the value must be one double-quoted string", f)
	}
	if err := json.Unmarshal([]byte(lit[:end+1]), &value); err != nil {
		return "", "", bad("invalidFilter", "Invalid string in filter %q", f)
	}
	return attr, value, nil
}

// closingQuote returns the index of the quote that ends the string starting at s[0], or -1.
func closingQuote(s string) int {
	if len(s) == 0 || s[0] != '"' {
		return -1
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// ---- users ----

type wireName struct {
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	Formatted  string `json:"formatted,omitempty"`
}

type wireEnterprise struct {
	Department   string `json:"department,omitempty"`
	Organization string `json:"organization,omitempty"`
}

type wireUser struct {
	Schemas           []string        `json:"schemas"`
	ID                string          `json:"id,omitempty"`
	ExternalID        string          `json:"externalId,omitempty"`
	UserName          string          `json:"userName"`
	Name              *wireName       `json:"name,omitempty"`
	DisplayName       string          `json:"displayName,omitempty"`
	NickName          string          `json:"nickName,omitempty"`
	Title             string          `json:"title,omitempty"`
	PreferredLanguage string          `json:"preferredLanguage,omitempty"`
	Timezone          string          `json:"timezone,omitempty"`
	Emails            []Multi         `json:"emails,omitempty"`
	PhoneNumbers      []Multi         `json:"phoneNumbers,omitempty"`
	Active            *bool           `json:"active,omitempty"`
	Enterprise        *wireEnterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Account           *wireAccount    `json:"urn:scim:schemas:extension:atlassian-external:1.0,omitempty"`
	Meta              map[string]any  `json:"meta,omitempty"`
}

// wireAccount is Atlassian's extension naming the linked account (ScimUser in the
// user-provisioning OpenAPI; BEHAVIOUR.md "Suspend access"). Read only: a body that carries it
// is accepted and the value ignored, as for id and meta.
type wireAccount struct {
	AtlassianAccountID string `json:"atlassianAccountId,omitempty"`
}

func (s *Server) renderUser(u *User) any {
	active := u.Active
	w := wireUser{
		Schemas: []string{schemaUser, schemaEnterprise, schemaAccount}, ID: u.ID, ExternalID: u.ExternalID, UserName: u.UserName,
		DisplayName: u.DisplayName, NickName: u.NickName, Title: u.Title, PreferredLanguage: u.PreferredLanguage,
		Timezone: u.Timezone, Emails: u.Emails, PhoneNumbers: u.PhoneNumbers, Active: &active,
		Meta: map[string]any{"resourceType": "User", "created": u.Created.Format(time.RFC3339), "lastModified": u.Modified.Format(time.RFC3339),
			"location": s.SCIMURL() + "/Users/" + u.ID},
	}
	if u.GivenName != "" || u.FamilyName != "" {
		w.Name = &wireName{GivenName: u.GivenName, FamilyName: u.FamilyName}
	}
	if u.Department != "" || u.Organization != "" {
		w.Enterprise = &wireEnterprise{Department: u.Department, Organization: u.Organization}
	}
	if u.AccountID != "" && !s.opts.NoAccountExtension {
		w.Account = &wireAccount{AtlassianAccountID: u.AccountID}
	}
	return w
}

// userFromWire builds a user from a POST or PUT body: whatever the body omits is empty, which is
// how Atlassian's PUT "cleans" unspecified attributes.
func userFromWire(body []byte) (*User, *scimErr) {
	var w wireUser
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&w); err != nil {
		return nil, bad("invalidSyntax", "Request body is not a valid SCIM user: %v", err)
	}
	if strings.TrimSpace(w.UserName) == "" {
		return nil, bad("invalidValue", "Attribute userName is required")
	}
	if len(w.Emails) == 0 {
		return nil, bad("invalidValue", "Attribute emails is required (one primary email)")
	}
	u := &User{
		ExternalID: w.ExternalID, UserName: w.UserName, DisplayName: w.DisplayName, NickName: w.NickName, Title: w.Title,
		PreferredLanguage: w.PreferredLanguage, Timezone: w.Timezone, Emails: w.Emails, PhoneNumbers: w.PhoneNumbers, Active: true,
	}
	if w.Active != nil { // "active will default to true if not provided"
		u.Active = *w.Active
	}
	if w.Name != nil {
		u.GivenName, u.FamilyName = w.Name.GivenName, w.Name.FamilyName
	}
	if w.Enterprise != nil {
		u.Department, u.Organization = w.Enterprise.Department, w.Enterprise.Organization
	}
	return u, nil
}

// serveUsers answers /Users (caller holds s.mu).
func (s *Server) serveUsers(w http.ResponseWriter, r *http.Request, rest []string, body []byte) {
	route(w, r.Method, rest, "USER", s.users, scimMethods[*User]{
		list: func() { s.listUsers(w, r) },
		create: func() {
			u, e := userFromWire(body)
			if e == nil {
				e = s.createUser(u)
			}
			reply(w, e, http.StatusCreated, func() any { return s.renderUser(u) })
		},
		get: func(u *User) { writeJSON(w, 200, s.renderUser(u)) },
		put: func(u *User) {
			nu, e := userFromWire(body)
			if e == nil {
				e = s.replaceUser(u, nu)
			}
			reply(w, e, 200, func() any { return s.renderUser(s.users[u.ID]) })
		},
		patch: func(u *User) {
			ops, e := parsePatch(body)
			if e == nil {
				nu := u.clone()
				for _, op := range ops {
					if e = patchUser(nu, op); e != nil {
						break
					}
				}
				if e == nil {
					e = s.replaceUser(u, nu)
				}
			}
			reply(w, e, 200, func() any { return s.renderUser(s.users[u.ID]) })
		},
		del: s.deleteUser,
	})
}

// scimMethods is what a SCIM resource type (Users, Groups) does for each request route sends it.
type scimMethods[T any] struct {
	list, create         func()  // the collection: GET, POST
	get, put, patch, del func(T) // the resource found; del's answer is route's 204
}

// route dispatches a request under /Users or /Groups as Atlassian's SCIM API answers it: GET
// and POST on the collection (rest empty), GET, PUT, PATCH and DELETE on the resource of all
// with the id in rest[0]; an unknown id is 404 "Resource [KIND]: id not found", any other
// method 405.
func route[T any](w http.ResponseWriter, method string, rest []string, kind string, all map[string]*T, m scimMethods[*T]) {
	if len(rest) == 0 {
		switch method {
		case http.MethodGet:
			m.list()
		case http.MethodPost:
			m.create()
		default:
			writeError(w, http.StatusMethodNotAllowed, "", "Method not allowed")
		}
		return
	}
	x := all[rest[0]]
	if x == nil {
		writeError(w, http.StatusNotFound, "", "Resource ["+kind+"]: "+rest[0]+" not found")
		return
	}
	switch method {
	case http.MethodGet:
		m.get(x)
	case http.MethodPut:
		m.put(x)
	case http.MethodPatch:
		m.patch(x)
	case http.MethodDelete:
		m.del(x)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusMethodNotAllowed, "", "Method not allowed")
	}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	listResources(w, r, &s.userIdx, s.users, []string{"userName", "externalId"}, s.renderUser)
}

// listResources answers GET on /Users or /Groups: a page of all the resources in creation order
// (paged over the index directly: 1,500 pages of a full directory stay cheap), or, with a
// filter attr eq value on one of allowed, a page of the one resource it names or of none.
func listResources[T any](w http.ResponseWriter, r *http.Request, x *index, all map[string]T, allowed []string, render func(T) any) {
	start, count, e := paging(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	f := r.URL.Query().Get("filter")
	if f == "" {
		writeJSON(w, 200, page(x.order, start, count, func(id string) any { return render(all[id]) }))
		return
	}
	attr, val, e := parseFilter(f, allowed...)
	if e != nil {
		writeErr(w, e)
		return
	}
	var found []T
	if v, ok := all[x.lookup(attr, val)]; ok {
		found = append(found, v)
	}
	writeJSON(w, 200, page(found, start, count, render))
}

func (s *Server) managed(email string) bool {
	if len(s.domains) == 0 {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	d := strings.ToLower(email[at+1:])
	for _, x := range s.domains {
		if strings.EqualFold(x.Name, d) && x.Status == "verified" {
			return true
		}
	}
	return false
}

// createUser stores u (caller holds s.mu). It links an existing account with the same email.
func (s *Server) createUser(u *User) *scimErr {
	if e := s.userIdx.clash("USER", "userName", u.UserName, u.ExternalID, ""); e != nil {
		return e
	}
	if len(s.users) >= s.opts.MaxUsers {
		return bad("", "This directory has reached its limit of %d users; no new users are synced.", s.opts.MaxUsers)
	}
	email := u.Email()
	if !strings.Contains(email, "@") {
		return bad("invalidValue", "emails: %q is not an email address", email)
	}
	u.Managed = s.managed(email)
	if !u.Managed && s.opts.RejectUnverifiedDomains {
		return bad("invalidValue", "A user account can only be created if it has an email address on a verified domain (%s).", email)
	}
	if u.ID == "" {
		u.ID = newID()
	}
	now := time.Now().UTC()
	u.Created, u.Modified = now, now
	if a := s.accounts[strings.ToLower(email)]; a != nil && a.LinkedTo == "" {
		a.LinkedTo = u.ID // "if a managed Atlassian account with that email exists, it is linked"
		a.Active = u.Active
		if a.ID == "" {
			a.ID = newAccountID()
		}
		u.AccountID = a.ID
	}
	if u.AccountID == "" {
		u.AccountID = newAccountID()
	}
	s.users[u.ID] = u
	s.userIdx.add(u.ID, u.UserName, u.ExternalID)
	return nil
}

// replaceUser swaps old for nu after the uniqueness checks (caller holds s.mu).
func (s *Server) replaceUser(old, nu *User) *scimErr {
	if strings.TrimSpace(nu.UserName) == "" {
		return bad("mutability", "Attribute userName is required and cannot be removed")
	}
	if e := s.userIdx.clash("USER", "userName", nu.UserName, nu.ExternalID, old.ID); e != nil {
		return e
	}
	nu.ID, nu.Created, nu.Modified = old.ID, old.Created, time.Now().UTC()
	nu.AccountID, nu.Suspended = old.AccountID, old.Suspended // the same linked account
	nu.Managed = s.managed(nu.Email())
	s.userIdx.rekey(nu.ID, old.UserName, old.ExternalID, nu.UserName, nu.ExternalID)
	s.users[nu.ID] = nu
	return nil
}

// deleteUser removes the SCIM record and its memberships. The Atlassian account stays: unlinked,
// and deactivated when the organization manages it (Atlassian: DELETE "will unlink the user from
// your identity provider and deactivate the user within Atlassian if they are managed by your
// organization").
func (s *Server) deleteUser(u *User) {
	delete(s.users, u.ID)
	s.userIdx.remove(u.ID, u.UserName, u.ExternalID)
	for _, g := range s.groups {
		delete(g.members, u.ID)
	}
	email := strings.ToLower(u.Email())
	a := s.accounts[email]
	if a == nil {
		a = &Account{Email: u.Email(), DisplayName: u.DisplayName, Origin: "unlinked", Active: true}
		s.accounts[email] = a
	}
	a.LinkedTo = ""
	if a.ID == "" {
		a.ID = u.AccountID
	}
	if u.Managed {
		a.Active = false
	}
}

// ---- PATCH ----

type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

func parsePatch(body []byte) ([]patchOp, *scimErr) {
	var p struct {
		Schemas    []string  `json:"schemas"`
		Operations []patchOp `json:"Operations"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, bad("invalidSyntax", "Request body is not a SCIM PatchOp: %v", err)
	}
	okSchema := false
	for _, s := range p.Schemas {
		okSchema = okSchema || s == schemaPatch
	}
	if !okSchema {
		return nil, bad("invalidSyntax", "schemas must be [%q]", schemaPatch)
	}
	if len(p.Operations) == 0 {
		return nil, bad("invalidSyntax", "Operations is empty")
	}
	for i := range p.Operations {
		op := &p.Operations[i]
		op.Op = strings.ToLower(op.Op)
		if op.Op != "add" && op.Op != "replace" && op.Op != "remove" {
			return nil, bad("invalidSyntax", "Unknown op %q", op.Op)
		}
		if op.Op == "remove" && op.Path == "" {
			return nil, bad("noTarget", "remove needs a path")
		}
		if op.Op != "remove" && len(op.Value) == 0 {
			return nil, bad("invalidValue", "%s needs a value", op.Op)
		}
	}
	return p.Operations, nil
}

func str(v json.RawMessage, path string) (string, *scimErr) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", bad("invalidValue", "%s: a string is expected", path)
	}
	return s, nil
}

// valueFilterPath splits `attr[type eq "x"].sub` into attr, x and sub (lower-cased attr and sub).
func valueFilterPath(p string) (attr, typ, sub string, ok bool) {
	open := strings.IndexByte(p, '[')
	close := strings.LastIndexByte(p, ']')
	if open < 0 || close < open {
		return "", "", "", false
	}
	a, v, e := parseFilter(p[open+1:close], "type")
	if e != nil || a != "type" {
		return "", "", "", false
	}
	return strings.ToLower(p[:open]), v, strings.ToLower(strings.TrimPrefix(p[close+1:], ".")), true
}

func setTyped(list []Multi, typ, value string, primary bool) []Multi {
	for i := range list {
		if strings.EqualFold(list[i].Type, typ) {
			list[i].Value = value
			return list
		}
	}
	return append(list, Multi{Value: value, Type: typ, Primary: primary})
}

func dropTyped(list []Multi, typ string) []Multi {
	out := list[:0]
	for _, m := range list {
		if !strings.EqualFold(m.Type, typ) {
			out = append(out, m)
		}
	}
	return out
}

// stringFields maps a lower-cased SCIM path to the string attribute it names.
var stringFields = map[string]func(*User) *string{
	"username":          func(u *User) *string { return &u.UserName },
	"externalid":        func(u *User) *string { return &u.ExternalID },
	"displayname":       func(u *User) *string { return &u.DisplayName },
	"nickname":          func(u *User) *string { return &u.NickName },
	"title":             func(u *User) *string { return &u.Title },
	"preferredlanguage": func(u *User) *string { return &u.PreferredLanguage },
	"timezone":          func(u *User) *string { return &u.Timezone },
	"name.givenname":    func(u *User) *string { return &u.GivenName },
	"name.familyname":   func(u *User) *string { return &u.FamilyName },
	strings.ToLower(schemaEnterprise) + ":department":   func(u *User) *string { return &u.Department },
	strings.ToLower(schemaEnterprise) + ":organization": func(u *User) *string { return &u.Organization },
}

// pathless splits a PATCH operation without a path into one operation per attribute of its
// value, which must be an object (RFC 7644 §3.5.2.1 and §3.5.2.3: without a path the value holds
// the attributes to add or replace), in key order so that a refusal names the same attribute
// every time (groups took Go's random map order before).
func pathless(op patchOp) ([]patchOp, *scimErr) {
	if op.Op == "remove" {
		return nil, bad("noTarget", "remove needs a path")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(op.Value, &m); err != nil {
		return nil, bad("invalidValue", "a value without a path must be an object")
	}
	subs := make([]patchOp, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		subs = append(subs, patchOp{Op: op.Op, Path: k, Value: m[k]})
	}
	return subs, nil
}

// patchUser applies one operation to u (a copy; the caller commits it only if all succeed).
func patchUser(u *User, op patchOp) *scimErr {
	if op.Path == "" {
		subs, e := pathless(op)
		if e != nil {
			return e
		}
		for _, sub := range subs {
			k := sub.Path
			if strings.EqualFold(k, "name") || strings.EqualFold(k, schemaEnterprise) {
				var inner map[string]json.RawMessage
				if err := json.Unmarshal(sub.Value, &inner); err != nil {
					return bad("invalidValue", "%s must be an object", k)
				}
				for ik, iv := range inner {
					p := k + "." + ik
					if strings.EqualFold(k, schemaEnterprise) {
						p = k + ":" + ik
					}
					if e := patchUser(u, patchOp{Op: op.Op, Path: p, Value: iv}); e != nil {
						return e
					}
				}
				continue
			}
			if e := patchUser(u, sub); e != nil {
				return e
			}
		}
		return nil
	}
	path := strings.ToLower(op.Path)
	remove := op.Op == "remove"
	setStr := func(dst *string) *scimErr {
		if remove {
			*dst = ""
			return nil
		}
		v, e := str(op.Value, op.Path)
		if e == nil {
			*dst = v
		}
		return e
	}
	if path == "username" && remove {
		return bad("mutability", "userName is required and cannot be removed")
	}
	if field, ok := stringFields[path]; ok {
		return setStr(field(u))
	}
	switch path {
	case "active":
		if remove {
			return bad("mutability", "active cannot be removed")
		}
		var b bool
		if err := json.Unmarshal(op.Value, &b); err != nil {
			return bad("invalidValue", "active: a boolean is expected")
		}
		u.Active = b
		return nil
	case "emails", "phonenumbers":
		dst := &u.Emails
		if path == "phonenumbers" {
			dst = &u.PhoneNumbers
		}
		if remove {
			*dst = nil
			return nil
		}
		var list []Multi
		if err := json.Unmarshal(op.Value, &list); err != nil {
			return bad("invalidValue", "%s: a list of {value, type} is expected", op.Path)
		}
		if op.Op == "add" {
			*dst = append(*dst, list...)
		} else {
			*dst = list
		}
		return nil
	case "id", "groups", "meta":
		return bad("mutability", "%s is read-only", op.Path)
	}
	if attr, typ, sub, ok := valueFilterPath(op.Path); ok && (attr == "emails" || attr == "phonenumbers") && (sub == "value" || sub == "") {
		dst := &u.Emails
		if attr == "phonenumbers" {
			dst = &u.PhoneNumbers
		}
		if remove {
			*dst = dropTyped(*dst, typ)
			return nil
		}
		var v string
		if sub == "value" {
			s, e := str(op.Value, op.Path)
			if e != nil {
				return e
			}
			v = s
		} else {
			var m Multi
			if err := json.Unmarshal(op.Value, &m); err != nil {
				return bad("invalidValue", "%s: {value} is expected", op.Path)
			}
			v = m.Value
		}
		// Assumed (Atlassian documents nothing here): add or replace of a missing typed value creates it.
		*dst = setTyped(*dst, typ, v, attr == "emails" && len(*dst) == 0)
		return nil
	}
	return bad("invalidPath", "Unsupported path %q", op.Path)
}
