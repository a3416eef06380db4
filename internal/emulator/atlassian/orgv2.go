package atlassian

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// LocalDirectoryID is the v2 directory of groups made by hand in admin.atlassian.com (an
// organization's local directory); the SCIM directory's groups carry Options.DirectoryID.
const LocalDirectoryID = "emu-local-directory"

// v2PageMax is the largest limit a v2 page answers (the GET twin of the search documents a
// maximum of 100; default 20).
const v2PageMax = 100

func normOrgGroup(g OrgGroup) OrgGroup {
	if g.ID == "" {
		sum := sha256.Sum256([]byte(strings.ToLower(g.Name)))
		h := hex.EncodeToString(sum[:16])
		g.ID = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	if g.DirectoryID == "" {
		g.DirectoryID = LocalDirectoryID
	}
	return g
}

type v2Group struct {
	id, name, directoryID string
	external, def         bool
}

// v2Groups lists every group of the organization in name order: the hand-made ones and the SCIM
// directory's (caller holds s.mu).
func (s *Server) v2Groups() []v2Group {
	var out []v2Group
	for _, g := range s.orgGroups {
		out = append(out, v2Group{id: g.ID, name: g.Name, directoryID: g.DirectoryID, def: g.DefaultAccess})
	}
	for _, g := range s.groups {
		out = append(out, v2Group{id: g.id, name: g.displayName, directoryID: s.opts.DirectoryID, external: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name+"\x00"+out[i].id < out[j].name+"\x00"+out[j].id })
	return out
}

func (g v2Group) render() map[string]any {
	managed := "admins"
	if g.external {
		managed = "external"
	}
	return map[string]any{"id": g.id, "name": g.name, "description": "", "directoryId": g.directoryID,
		"managementAccess": map[string]any{"deletable": !g.external, "modifiable": !g.external, "readable": true},
		"externalSynced":   g.external, "managedBy": managed, "links": map[string]any{"self": g.id}}
}

// serveOrgV2 answers the v2 requests the client sends: the two group reads below and the user
// access requests of access.go (BEHAVIOUR.md, "Organizations REST
// API v2"): POST /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/search and
// GET /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments.
// Everything else under /admin/v2 is 404.
func (s *Server) serveOrgV2(w http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/admin/v2/orgs/"), "/"), "/")
	if len(parts) < 1 || parts[0] != s.opts.OrgID {
		writeOrgError(w, http.StatusNotFound, "Organization not found")
		return
	}
	if len(parts) == 2 && parts[1] == "directories" && r.Method == http.MethodGet {
		s.v2Directories(w, r)
		return
	}
	if len(parts) < 4 || parts[1] != "directories" || (parts[3] != "groups" && parts[3] != "users") {
		writeOrgError(w, http.StatusNotFound, "Not found")
		return
	}
	dir := parts[2]
	if dir != "-" && dir != s.opts.DirectoryID && dir != LocalDirectoryID {
		writeOrgError(w, http.StatusNotFound, "Directory not found")
		return
	}
	if parts[3] == "users" {
		s.serveV2Users(w, r, dir, parts[4:], body)
		return
	}
	switch {
	case len(parts) == 5 && parts[4] == "search" && r.Method == http.MethodPost:
		s.v2SearchGroups(w, r, dir, body)
	case len(parts) == 6 && parts[5] == "role-assignments" && r.Method == http.MethodGet:
		s.v2RoleAssignments(w, r, dir, parts[4])
	default:
		writeOrgError(w, http.StatusNotFound, "Not found")
	}
}

func (s *Server) v2SearchGroups(w http.ResponseWriter, r *http.Request, dir string, body []byte) {
	var req struct {
		v2Search
		GroupNames []string `json:"groupNames"`
		GroupIDs   []string `json:"groupIds"`
		SearchTerm string   `json:"searchTerm"`
	}
	limit, ok := decodeV2Search(w, r, body, &req, 20)
	if !ok {
		return
	}
	if len(req.GroupNames) > 0 && (req.SearchTerm != "" || len(req.GroupIDs) > 0) {
		writeOrgError(w, http.StatusBadRequest, "groupNames is mutually exclusive with searchTerm and groupIds")
		return
	}
	names := map[string]bool{}
	for _, n := range req.GroupNames {
		names[strings.ToLower(n)] = true
	}
	ids := map[string]bool{}
	for _, id := range req.GroupIDs {
		ids[id] = true
	}
	s.mu.Lock()
	all := s.v2Groups()
	s.mu.Unlock()
	var match []v2Group
	for _, g := range all {
		switch {
		case dir != "-" && g.directoryID != dir:
		case len(names) > 0 && !names[strings.ToLower(g.name)]:
		case len(ids) > 0 && !ids[g.id]:
		case req.SearchTerm != "" && !strings.Contains(strings.ToLower(g.name), strings.ToLower(req.SearchTerm)):
		default:
			match = append(match, g)
		}
	}
	v2Page(w, "g", req.Cursor, limit, len(match), func(i int) any { return match[i].render() })
}

func (s *Server) v2RoleAssignments(w http.ResponseWriter, r *http.Request, dir, groupID string) {
	for k := range r.URL.Query() {
		if k != "cursor" && k != "limit" {
			writeOrgError(w, http.StatusBadRequest, "Unsupported query parameter "+k)
			return
		}
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		if n, err := strconv.Atoi(l); err != nil || n < 1 || n > v2PageMax {
			writeOrgError(w, http.StatusBadRequest, "limit must be between 1 and 100")
			return
		}
	}
	s.mu.Lock()
	all := s.v2Groups()
	s.mu.Unlock()
	for _, g := range all {
		if g.id != groupID || (dir != "-" && dir != g.directoryID) {
			continue
		}
		data := []any{}
		if g.def {
			// A default group grants the app's user role by default (the role-assignment model's
			// defaultRole: "which role is granted by default for the resource ID").
			data = append(data, map[string]any{"resourceId": "ari:cloud:jira::site/emu-site", "resourceOwner": "jira",
				"defaultRole": "atlassian/user", "roles": []string{"atlassian/user"}})
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, 200, map[string]any{"data": data, "links": map[string]any{"self": "r0"}})
		return
	}
	writeOrgError(w, http.StatusNotFound, "Group not found")
}

// v2Search is the paging every v2 search body carries (the group search and the user search of
// BEHAVIOUR.md): a request type embeds it beside the filters its search documents.
type v2Search struct {
	Cursor string `json:"cursor"`
	Limit  *int   `json:"limit"`
}

func (p *v2Search) paging() *v2Search { return p }

// decodeV2Search is the one decoder of v2 search bodies. It decodes body into req (a struct
// embedding v2Search), refusing another Content-Type (415) and any field req does not model (400):
// only the fields BEHAVIOUR.md lists for that search are modelled. It returns the page size, def
// (the search's documented default) when absent, else 1 to 100.
func decodeV2Search(w http.ResponseWriter, r *http.Request, body []byte, req interface{ paging() *v2Search }, def int) (int, bool) {
	if ct := r.Header.Get("Content-Type"); len(body) > 0 && !strings.HasPrefix(ct, "application/json") {
		writeOrgError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return 0, false
	}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(req); err != nil {
			writeOrgError(w, http.StatusBadRequest, "Invalid request body: "+err.Error())
			return 0, false
		}
	}
	limit := req.paging().Limit
	if limit == nil {
		return def, true
	}
	if *limit < 1 || *limit > v2PageMax {
		writeOrgError(w, http.StatusBadRequest, "limit must be between 1 and 100")
		return 0, false
	}
	return *limit, true
}

// v2Page answers one page of n results from the cursor (prefix + offset), with links.next when
// more follow.
func v2Page(w http.ResponseWriter, prefix, cursor string, limit, n int, render func(i int) any) {
	start := 0
	if cursor != "" {
		k, err := strconv.Atoi(strings.TrimPrefix(cursor, prefix))
		if err != nil || !strings.HasPrefix(cursor, prefix) || k < 0 || k > n {
			writeOrgError(w, http.StatusBadRequest, "Invalid cursor")
			return
		}
		start = k
	}
	end := min(start+limit, n)
	data := []any{}
	for i := start; i < end; i++ {
		data = append(data, render(i))
	}
	links := map[string]any{"self": prefix + strconv.Itoa(start)}
	if end < n {
		links["next"] = prefix + strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": links})
}
