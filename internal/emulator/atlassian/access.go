package atlassian

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The Organizations API v2 requests that suspend and restore a user's access in the SCIM
// directory, the directory lookup they need, and the SCIM links lookup of the user-provisioning
// API (BEHAVIOUR.md, "Suspend access"). Suspension is per directory: the SCIM record is left as
// it is (active unchanged), as Atlassian documents suspension as separate from the account's
// lifecycle ("They regain their roles and group memberships when you restore their access").

// newAccountID makes an Atlassian-style account id (24 hex digits, as in the reference's
// examples "5b10ac8d82e05b22cc7d4ef5").
func newAccountID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// localDirectoryName and scimDirectoryName are the names "Get directories" answers.
const (
	localDirectoryName = "Local directory"
	scimDirectoryName  = "Microsoft Entra ID"
)

// v2Directories answers GET /admin/v2/orgs/{orgId}/directories with the organization's two
// directories (the local one and the SCIM one), filtered by directoryIds (repeated or comma
// separated: the reference does not say how the list is encoded) and paged by limit.
func (s *Server) v2Directories(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "directoryIds", "limit", "cursor", "searchTerm", "accountId":
		default:
			writeOrgError(w, http.StatusBadRequest, "Unsupported query parameter "+k)
			return
		}
	}
	if l := q.Get("limit"); l != "" {
		if n, err := strconv.Atoi(l); err != nil || n < 1 || n > v2PageMax {
			writeOrgError(w, http.StatusBadRequest, "limit must be between 1 and 100")
			return
		}
	}
	want := map[string]bool{}
	for _, v := range q["directoryIds"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				want[id] = true
			}
		}
	}
	term := strings.ToLower(q.Get("searchTerm"))
	data := []any{}
	for _, d := range []struct{ id, name string }{{LocalDirectoryID, localDirectoryName}, {s.opts.DirectoryID, scimDirectoryName}} {
		if len(want) > 0 && !want[d.id] {
			continue
		}
		if term != "" && !strings.Contains(strings.ToLower(d.name), term) {
			continue
		}
		if aid := q.Get("accountId"); aid != "" && (d.id == LocalDirectoryID || s.userByAccount(aid) == nil) {
			continue
		}
		data = append(data, map[string]any{"directoryId": d.id, "name": d.name, "icon": ""})
	}
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": map[string]any{"self": "d0"}})
}

// userByAccount finds the SCIM record linked to an account id.
func (s *Server) userByAccount(accountID string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userByAccountLocked(accountID)
}

func (s *Server) userByAccountLocked(accountID string) *User {
	for _, u := range s.users {
		if u.AccountID == accountID {
			return u
		}
	}
	return nil
}

// serveV2Users answers POST .../directories/{directoryId}/users/search and
// POST .../directories/{directoryId}/users/{accountId}/suspend|restore. The writes need the
// SCIM directory (or "-"): the local directory holds none of its users.
func (s *Server) serveV2Users(w http.ResponseWriter, r *http.Request, dir string, rest []string, body []byte) {
	switch {
	case len(rest) == 1 && rest[0] == "search" && r.Method == http.MethodPost:
		s.v2SearchUsers(w, r, dir, body)
	case len(rest) == 2 && (rest[1] == "suspend" || rest[1] == "restore") && r.Method == http.MethodPost:
		if len(bytes.TrimSpace(body)) > 0 {
			writeOrgError(w, http.StatusBadRequest, "This request takes no body")
			return
		}
		s.mu.Lock()
		u := s.userByAccountLocked(rest[0])
		if u == nil || (dir != "-" && dir != s.opts.DirectoryID) {
			s.mu.Unlock()
			writeOrgError(w, http.StatusNotFound, "User not found in directory")
			return
		}
		u.Suspended = rest[1] == "suspend"
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeOrgError(w, http.StatusNotFound, "Not found")
	}
}

func (s *Server) v2SearchUsers(w http.ResponseWriter, r *http.Request, dir string, body []byte) {
	var req struct {
		v2Search
		Status     []string `json:"status"`
		AccountIDs []string `json:"accountIds"`
	}
	limit, ok := decodeV2Search(w, r, body, &req, 50) // "Defaults to 50"
	if !ok {
		return
	}
	statuses := map[string]bool{}
	for _, st := range req.Status {
		switch st {
		case "active", "suspended", "not_invited", "deactivated", "for_deletion":
			statuses[st] = true
		default:
			writeOrgError(w, http.StatusBadRequest, "Unknown status "+st)
			return
		}
	}
	ids := map[string]bool{}
	for _, id := range req.AccountIDs {
		ids[id] = true
	}
	type row struct{ id, name, email, status string }
	var match []row
	s.mu.Lock()
	if dir == "-" || dir == s.opts.DirectoryID {
		for _, id := range s.userIdx.order {
			u := s.users[id]
			st := "active"
			switch {
			case !u.Active:
				st = "deactivated"
			case u.Suspended:
				st = "suspended"
			}
			if (len(statuses) > 0 && !statuses[st]) || (len(ids) > 0 && !ids[u.AccountID]) {
				continue
			}
			match = append(match, row{u.AccountID, u.DisplayName, u.Email(), st})
		}
	}
	s.mu.Unlock()
	v2Page(w, "u", req.Cursor, limit, len(match), func(i int) any {
		m := match[i]
		membership, account := "active", "active"
		switch m.status {
		case "suspended":
			membership = "suspended"
		case "deactivated":
			account = "inactive"
		}
		return map[string]any{"accountId": m.id, "accountType": "atlassian", "status": m.status, "accountStatus": account,
			"membershipStatus": membership, "name": m.name, "email": m.email, "links": map[string]any{"self": m.id}}
	})
}

// serveSCIMLinks answers the SCIM links lookups of the user-provisioning API's "Admin APIs":
// POST /admin/user-provisioning/v1/org/{orgId}/get-scim-links-for-email {"email"} and
// GET /admin/user-provisioning/v1/org/{orgId}/user/{aaId}/get-scim-links.
func (s *Server) serveSCIMLinks(w http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/admin/user-provisioning/v1/org/"), "/"), "/")
	if len(parts) < 2 || parts[0] != s.opts.OrgID {
		writeOrgError(w, http.StatusNotFound, "Organization not found")
		return
	}
	link := func(u *User) map[string]any {
		return map[string]any{"scimUserId": u.ID, "atlassianAccountId": u.AccountID, "orgId": s.opts.OrgID, "directoryId": s.opts.DirectoryID}
	}
	var links []any
	switch {
	case len(parts) == 2 && parts[1] == "get-scim-links-for-email" && r.Method == http.MethodPost:
		var req struct {
			Email string `json:"email"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || !strings.Contains(req.Email, "@") {
			writeOrgError(w, http.StatusBadRequest, "A valid email is required")
			return
		}
		s.mu.Lock()
		for _, id := range s.userIdx.order {
			if u := s.users[id]; strings.EqualFold(u.Email(), req.Email) {
				links = append(links, link(u))
			}
		}
		s.mu.Unlock()
	case len(parts) == 4 && parts[1] == "user" && parts[3] == "get-scim-links" && r.Method == http.MethodGet:
		s.mu.Lock()
		if u := s.userByAccountLocked(parts[2]); u != nil {
			links = append(links, link(u))
		}
		s.mu.Unlock()
	default:
		writeOrgError(w, http.StatusNotFound, "Not found")
		return
	}
	if links == nil {
		links = []any{}
	}
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, http.StatusOK, map[string]any{"scimLinks": links})
}
