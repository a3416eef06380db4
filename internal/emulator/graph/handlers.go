package graph

import (
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/jsonstr"
)

// route is a parsed request: which resource, and the id when the path names one.
type route struct {
	kind string // organization, domains, users, user, usersDelta, groups, group, members, transitive, groupsDelta, batch
	id   string
	cost int // Graph's base resource-unit cost
	perm []string
}

var (
	permUsers   = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	permGroups  = []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	permDomains = []string{"Domain.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	// GET /organization: User.Read is the least privileged delegated permission (organization-get).
	permOrg = []string{"User.Read", "Directory.Read.All", "Organization.Read.All", "Organization.ReadWrite.All"}
)

func parseRoute(method, path string) (route, string) {
	rest, ok := strings.CutPrefix(path, "/v1.0/")
	if !ok {
		return route{}, "Invalid version."
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	isDelta := func(s string) bool { return s == "delta" || s == "delta()" || s == "microsoft.graph.delta()" }
	switch {
	case len(seg) == 1 && seg[0] == "$batch":
		return route{kind: "batch"}, ""
	case len(seg) == 1 && seg[0] == "organization":
		return route{kind: "organization", cost: 1, perm: permOrg}, ""
	case len(seg) == 1 && seg[0] == "domains":
		return route{kind: "domains", cost: 1, perm: permDomains}, ""
	case len(seg) == 1 && seg[0] == "users":
		return route{kind: "users", cost: 2, perm: permUsers}, ""
	case len(seg) == 2 && seg[0] == "users" && isDelta(seg[1]):
		return route{kind: "usersDelta", cost: 1, perm: permUsers}, ""
	case len(seg) == 2 && seg[0] == "users":
		return route{kind: "user", id: seg[1], cost: 1, perm: permUsers}, ""
	case len(seg) == 1 && seg[0] == "groups":
		return route{kind: "groups", cost: 1, perm: permGroups}, ""
	case len(seg) == 2 && seg[0] == "groups" && isDelta(seg[1]):
		return route{kind: "groupsDelta", cost: 1, perm: permGroups}, ""
	case len(seg) == 2 && seg[0] == "groups":
		return route{kind: "group", id: seg[1], cost: 1, perm: permGroups}, ""
	case len(seg) == 3 && seg[0] == "groups" && seg[2] == "members":
		return route{kind: "members", id: seg[1], cost: 3, perm: permGroups}, ""
	case len(seg) == 3 && seg[0] == "groups" && seg[2] == "transitiveMembers":
		return route{kind: "transitive", id: seg[1], cost: 5, perm: permGroups}, ""
	}
	return route{}, "Resource not found for the segment '" + seg[len(seg)-1] + "'."
}

// allowed says whether the principal holds one of the permissions a route needs (nil scopes or
// a route without permissions: always).
func allowed(p Principal, perm []string) bool {
	return p.Scopes == nil || perm == nil || slices.ContainsFunc(p.Scopes, func(s string) bool { return slices.Contains(perm, s) })
}

// query holds the OData options the emulator implements.
type query struct {
	raw                               url.Values
	sel, top, skip, delta, expand     string
	hasSelect, hasTop, hasSkip, hasDT bool
}

func parseQuery(r *http.Request) (query, string) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, "Invalid query string."
	}
	q := query{raw: v}
	for k := range v {
		switch strings.ToLower(k) {
		case "$select":
			q.sel, q.hasSelect = v.Get(k), true
		case "$top":
			q.top, q.hasTop = v.Get(k), true
		case "$skiptoken":
			q.skip, q.hasSkip = v.Get(k), true
		case "$deltatoken":
			q.delta, q.hasDT = v.Get(k), true
		case "$expand":
			q.expand = v.Get(k)
		case "$filter", "$orderby", "$search", "$count", "$format", "$skip":
			return q, "Query option '" + k + "' is not supported by this emulator."
		default:
			if strings.HasPrefix(k, "$") {
				return q, "Unrecognized query argument specified: '" + k + "'."
			}
		}
	}
	return q, ""
}

// dispatch answers one request (top level or inside a $batch) after authentication.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, p Principal, e *Entry) {
	sw := &loopbacktls.StatusRecorder{ResponseWriter: w}
	defer func() { e.Status = sw.Status }()
	w = sw
	rt, msg := parseRoute(r.Method, r.URL.Path)
	if msg != "" {
		odataError(w, r, http.StatusBadRequest, "BadRequest", "%s", msg)
		return
	}
	if rt.kind == "batch" {
		if r.Method != http.MethodPost {
			odataError(w, r, http.StatusMethodNotAllowed, "BadRequest", "The HTTP method '%s' is not allowed on $batch.", r.Method)
			return
		}
		s.batch(w, r, p)
		return
	}
	if r.Method != http.MethodGet {
		odataError(w, r, http.StatusMethodNotAllowed, "Request_BadRequest", "The HTTP method '%s' is not supported by this emulator on %s.", r.Method, r.URL.Path)
		return
	}
	q, msg := parseQuery(r)
	if msg != "" {
		odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "%s", msg)
		return
	}
	top := 100
	if q.hasTop {
		n, err := strconv.Atoi(q.top)
		if err != nil || n < 1 || n > 999 {
			odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", q.top)
			return
		}
		top = n
	}
	if (rt.kind == "usersDelta" || rt.kind == "groupsDelta") && (q.hasTop || q.expand != "") {
		odataError(w, r, http.StatusBadRequest, "Request_UnsupportedQuery", "$top and $expand are not supported with delta queries.")
		return
	}
	if q.expand != "" {
		odataError(w, r, http.StatusBadRequest, "Request_UnsupportedQuery", "$expand is not supported by this emulator: page /members instead.")
		return
	}
	if !allowed(p, rt.perm) {
		odataError(w, r, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	cost := rt.cost
	if q.hasSelect {
		cost--
	}
	if q.hasTop && top < 20 {
		cost--
	}
	cost = max(cost, 1)
	if wait, ok := s.take(p.AppID+"|"+p.TenantID, cost); !ok {
		e.Fault = "throttled"
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		w.Header().Set("x-ms-throttle-information", "ResourceUnitLimitExceeded")
		w.Header().Set("x-ms-throttle-scope", "Tenant_Application/ReadWrite/"+p.AppID+"/"+s.opts.Tenant.ID)
		odataError(w, r, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
		return
	}
	e.Units = cost
	w.Header().Set("x-ms-resource-unit", strconv.Itoa(cost))
	base := "https://" + r.Host + "/v1.0/"
	switch rt.kind {
	case "organization":
		s.organization(w, base)
	case "domains":
		s.domains(w, base)
	case "users":
		s.users(w, r, q, top, base)
	case "user":
		s.user(w, r, q, rt.id, base)
	case "groups":
		s.groups(w, r, q, top, base)
	case "group":
		s.group(w, r, q, rt.id, base)
	case "members", "transitive":
		s.members(w, r, q, top, rt, base)
	case "usersDelta":
		s.usersDelta(w, r, q, base)
	case "groupsDelta":
		s.groupsDelta(w, r, q, base)
	}
}

func (s *Server) organization(w http.ResponseWriter, base string) {
	t := s.opts.Tenant
	org := t.Org()
	b := append(collectionStart(base, "organization"), `{"id":`...)
	b = jsonstr.Append(b, org.ID)
	b = append(b, `,"displayName":`...)
	b = jsonstr.Append(b, org.DisplayName)
	b = append(b, `,"verifiedDomains":[`...)
	first := true
	for _, d := range t.Domains {
		if !d.IsVerified {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		typ := "Managed"
		b = append(b, `{"capabilities":"Email, OfficeCommunicationsOnline","isDefault":`...)
		b = appendBool(b, d.IsDefault)
		b = append(b, `,"isInitial":`...)
		b = appendBool(b, d.IsInitial)
		b = append(b, `,"name":`...)
		b = jsonstr.Append(b, d.Name)
		b = append(b, `,"type":`...)
		b = jsonstr.Append(b, typ)
		b = append(b, '}')
	}
	b = append(b, "]}]}"...)
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) domains(w http.ResponseWriter, base string) {
	b := collectionStart(base, "domains")
	for i, d := range s.opts.Tenant.Domains {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = jsonstr.Append(b, d.Name)
		b = append(b, `,"authenticationType":"Managed","isAdminManaged":true,"isDefault":`...)
		b = appendBool(b, d.IsDefault)
		b = append(b, `,"isInitial":`...)
		b = appendBool(b, d.IsInitial)
		b = append(b, `,"isRoot":true,"isVerified":`...)
		b = appendBool(b, d.IsVerified)
		b = append(b, `,"supportedServices":["Email"]}`...)
	}
	b = append(b, "]}"...)
	writeJSON(w, http.StatusOK, b)
}

func userSelect(w http.ResponseWriter, r *http.Request, q query) ([]string, bool) {
	if !q.hasSelect {
		return defaultUserSelect, true
	}
	props, _, bad := parseSelect(q.sel, func(p string) bool { _, ok := userProps[p]; return ok }, "")
	if bad != "" {
		odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "Could not find a property named '%s' on type 'microsoft.graph.user'.", bad)
		return nil, false
	}
	return props, true
}

func groupSelect(w http.ResponseWriter, r *http.Request, q query, nav string) ([]string, bool, bool) {
	if !q.hasSelect {
		return defaultGroupSelect, false, true
	}
	props, members, bad := parseSelect(q.sel, func(p string) bool { _, ok := groupProps[p]; return ok }, nav)
	if bad != "" {
		odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "Could not find a property named '%s' on type 'microsoft.graph.group'.", bad)
		return nil, false, false
	}
	return props, members, true
}

// nextLink is the request URL with $skiptoken replaced: absolute, and opaque to the client.
func nextLink(r *http.Request, token string) string {
	v, _ := url.ParseQuery(r.URL.RawQuery)
	for k := range v {
		if strings.EqualFold(k, "$skiptoken") || strings.EqualFold(k, "$deltatoken") {
			delete(v, k)
		}
	}
	v.Set("$skiptoken", token)
	return "https://" + r.Host + r.URL.Path + "?" + encodeQuery(v)
}

// encodeQuery keeps '$' readable in option names, as Graph's links do.
func encodeQuery(v url.Values) string {
	return strings.ReplaceAll(v.Encode(), "%24", "$")
}

func skipToken(prefix, value string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + ":" + value))
}

// pageAfter reads a list's $skiptoken (the last id of the previous page), answering 400 itself
// for a token it did not issue.
func pageAfter(w http.ResponseWriter, r *http.Request, q query, prefix string) (string, bool) {
	if !q.hasSkip {
		return "", true
	}
	after, ok := readSkipToken(q.skip, prefix)
	if !ok {
		odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "The specified page token value has expired or is invalid.")
	}
	return after, ok
}

func readSkipToken(tok, prefix string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	v, ok := strings.CutPrefix(string(raw), prefix+":")
	return v, ok
}

// contextStart opens an answer with its @odata.context, base+"$metadata#"+ctx.
func contextStart(base, ctx string) []byte {
	return append([]byte(`{"@odata.context":`), jsonstr.Append(nil, base+"$metadata#"+ctx)...)
}

// collectionStart opens a collection answer up to the first element of "value".
func collectionStart(base, ctx string) []byte {
	return append(contextStart(base, ctx), `,"value":[`...)
}

// entityStart opens the answer of one object of set (users, groups), ready for its fields.
func entityStart(base, set string) []byte {
	return append(contextStart(base, set+"/$entity"), ',')
}

// resourceNotFound is Graph's 404 for an object id the tenant does not hold.
func resourceNotFound(w http.ResponseWriter, r *http.Request, id string) {
	odataError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func collectionEnd(b []byte, linkName, link string) []byte {
	b = append(b, ']')
	if link != "" {
		b = append(b, `,"`...)
		b = append(b, linkName...)
		b = append(b, `":`...)
		b = jsonstr.Append(b, link)
	}
	return append(b, '}')
}

// writeList answers one page of a list (users, groups): the objects read after the skip token's
// id (prefix marks whose token it is), each written by appendOne, and an @odata.nextLink to the
// last one's id when more follow. grow reserves that many bytes per object (0: none).
func writeList[T any](w http.ResponseWriter, r *http.Request, q query, base, set, prefix string, grow int, read func(after string) ([]T, bool), id func(*T) string, appendOne func([]byte, *T) []byte) {
	after, ok := pageAfter(w, r, q, prefix)
	if !ok {
		return
	}
	page, more := read(after)
	b := slices.Grow(collectionStart(base, set), len(page)*grow)
	for i := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(b, &page[i])
	}
	link := ""
	if more {
		link = nextLink(r, skipToken(prefix, id(&page[len(page)-1])))
	}
	writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.nextLink", link))
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, q query, top int, base string) {
	props, ok := userSelect(w, r, q)
	if !ok {
		return
	}
	writeList(w, r, q, base, "users", "u", 400, func(after string) ([]directory.User, bool) { return s.opts.Tenant.UsersAfter(after, top) },
		func(u *directory.User) string { return u.ID }, func(b []byte, u *directory.User) []byte { return appendUser(b, u, props) })
}

func (s *Server) user(w http.ResponseWriter, r *http.Request, q query, id, base string) {
	props, ok := userSelect(w, r, q)
	if !ok {
		return
	}
	writeEntity(w, r, id, s.opts.Tenant.User, func(u *directory.User) []byte {
		return append(entityStart(base, "users"), appendUser(nil, u, props)[1:]...)
	})
}

// writeEntity answers GET of one user or group: the object get finds, rendered (render writes
// the whole JSON object), or 404 Request_ResourceNotFound.
func writeEntity[T any](w http.ResponseWriter, r *http.Request, id string, get func(string) (T, bool), render func(*T) []byte) {
	x, found := get(id)
	if !found {
		resourceNotFound(w, r, id)
		return
	}
	writeJSON(w, http.StatusOK, render(&x))
}

func (s *Server) groups(w http.ResponseWriter, r *http.Request, q query, top int, base string) {
	props, _, ok := groupSelect(w, r, q, "")
	if !ok {
		return
	}
	writeList(w, r, q, base, "groups", "g", 0, func(after string) ([]directory.Group, bool) { return s.opts.Tenant.GroupsAfter(after, top) },
		func(g *directory.Group) string { return g.ID }, func(b []byte, g *directory.Group) []byte {
			return append(appendGroupFields(append(b, '{'), g, props), '}')
		})
}

func (s *Server) group(w http.ResponseWriter, r *http.Request, q query, id, base string) {
	props, _, ok := groupSelect(w, r, q, "")
	if !ok {
		return
	}
	writeEntity(w, r, id, s.opts.Tenant.Group, func(g *directory.Group) []byte {
		return append(appendGroupFields(entityStart(base, "groups"), g, props), '}')
	})
}

// appendMember writes a directory object with its @odata.type, which clients need to tell users
// from groups and from the member types the sync skips.
func (s *Server) appendMember(b []byte, m directory.Member, userProps, groupProps []string) []byte {
	b = append(b, `{"@odata.type":`...)
	b = jsonstr.Append(b, odataType(m))
	switch m.Kind {
	case directory.MemberUser:
		if u, ok := s.opts.Tenant.User(m.ID); ok {
			return append(append(b, ','), appendUser(nil, &u, userProps)[1:]...)
		}
	case directory.MemberGroup:
		if g, ok := s.opts.Tenant.Group(m.ID); ok {
			return append(appendGroupFields(append(b, ','), &g, groupProps), '}')
		}
	}
	b = append(b, `,"id":`...)
	b = jsonstr.Append(b, m.ID)
	return append(b, '}')
}

func (s *Server) members(w http.ResponseWriter, r *http.Request, q query, top int, rt route, base string) {
	uProps, gProps := []string{"id", "displayName", "userPrincipalName", "mail"}, []string{"id", "displayName"}
	if q.hasSelect {
		props, _, bad := parseSelect(q.sel, func(p string) bool {
			_, u := userProps[p]
			_, g := groupProps[p]
			return u || g
		}, "")
		if bad != "" {
			odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "Could not find a property named '%s' on type 'microsoft.graph.directoryObject'.", bad)
			return
		}
		uProps, gProps = nil, nil
		for _, p := range props {
			if _, ok := userProps[p]; ok {
				uProps = append(uProps, p)
			}
			if _, ok := groupProps[p]; ok {
				gProps = append(gProps, p)
			}
		}
	}
	var ms []directory.Member
	var found bool
	if rt.kind == "members" {
		ms, found = s.opts.Tenant.Members(rt.id)
	} else {
		ms, found = s.opts.Tenant.TransitiveMembers(rt.id)
	}
	if !found {
		resourceNotFound(w, r, rt.id)
		return
	}
	off := 0
	if q.hasSkip {
		v, ok := readSkipToken(q.skip, "m")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 || n > len(ms) {
			odataError(w, r, http.StatusBadRequest, "Request_BadRequest", "The specified page token value has expired or is invalid.")
			return
		}
		off = n
	}
	end := min(off+top, len(ms))
	b := collectionStart(base, "directoryObjects")
	for i, m := range ms[off:end] {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendMember(b, m, uProps, gProps)
	}
	link := ""
	if end < len(ms) {
		link = nextLink(r, skipToken("m", strconv.Itoa(end)))
	}
	writeJSON(w, http.StatusOK, collectionEnd(b, "@odata.nextLink", link))
}
