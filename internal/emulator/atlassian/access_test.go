package atlassian

import (
	"net/http"
	"strings"
	"testing"
)

// The shapes BEHAVIOUR.md lists under "Suspend access", over raw HTTP: the account extension on
// SCIM users, the SCIM links lookups, Get directories, the suspended-user search, suspend and
// restore, and the refusals.
func TestSuspendAccessShapes(t *testing.T) {
	r := newRig(t, Options{})
	code, u := r.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso.com","emails":[{"value":"ann@contoso.com","type":"work","primary":true}]}`)
	if code != http.StatusCreated {
		t.Fatalf("create %d %v", code, u)
	}
	ext, _ := u["urn:scim:schemas:extension:atlassian-external:1.0"].(map[string]any)
	aid, _ := ext["atlassianAccountId"].(string)
	if aid == "" {
		t.Fatalf("the SCIM user carries no atlassianAccountId: %v", u)
	}
	org := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, r.s.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+r.s.OrgAPIKey())
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return r.do(req)
	}
	links, m := org("POST", "/admin/user-provisioning/v1/org/"+r.s.OrgID()+"/get-scim-links-for-email", `{"email":"ANN@contoso.com"}`)
	if l, _ := m["scimLinks"].([]any); links != 200 || len(l) != 1 || l[0].(map[string]any)["atlassianAccountId"] != aid || l[0].(map[string]any)["scimUserId"] != u["id"] {
		t.Fatalf("links by email %d %v", links, m)
	}
	if c, m := org("GET", "/admin/user-provisioning/v1/org/"+r.s.OrgID()+"/user/"+aid+"/get-scim-links", ""); c != 200 || len(m["scimLinks"].([]any)) != 1 {
		t.Fatalf("links by account %d %v", c, m)
	}
	v2 := "/admin/v2/orgs/" + r.s.OrgID() + "/directories"
	if c, m := org("GET", v2+"?directoryIds="+r.s.DirectoryID(), ""); c != 200 || len(m["data"].([]any)) != 1 || m["data"].([]any)[0].(map[string]any)["directoryId"] != r.s.DirectoryID() {
		t.Fatalf("get directories %d %v", c, m)
	}
	dir := v2 + "/" + r.s.DirectoryID() + "/users/"
	search := func() int {
		t.Helper()
		c, m := org("POST", dir+"search", `{"status":["suspended"],"limit":100}`)
		if c != 200 {
			t.Fatalf("search %d %v", c, m)
		}
		return len(m["data"].([]any))
	}
	if search() != 0 {
		t.Fatal("suspended before any suspend")
	}
	if c, _ := org("POST", dir+aid+"/suspend", ""); c != http.StatusNoContent || search() != 1 {
		t.Fatalf("suspend %d", c)
	}
	if _, u2 := r.call("GET", "/Users/"+u["id"].(string), ""); u2["active"] != true {
		t.Fatalf("suspension changed the SCIM record: %v", u2)
	}
	if c, _ := org("POST", dir+aid+"/restore", ""); c != http.StatusNoContent || search() != 0 {
		t.Fatalf("restore %d", c)
	}
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", dir + "5b10ac8d82e05b22cc7d4ef5/suspend", "", 404},
		{"POST", v2 + "/emu-local-directory/users/" + aid + "/suspend", "", 404},
		{"POST", dir + aid + "/suspend", `{"reason":"left"}`, 400},
		{"POST", dir + "search", `{"status":["gone"]}`, 400},
		{"POST", dir + "search", `{"emailDomains":["contoso.com"]}`, 400},
		{"POST", dir + "search", `{"limit":101}`, 400},
		{"POST", dir + "search", `{"limit":0}`, 400},
		{"POST", dir + "search", `{"cursor":"g1"}`, 400}, // a group search's cursor
		{"POST", dir + "search", `{"accountIds":["` + aid + `"],"status":["active"],"limit":1}`, 200},
		{"POST", dir + "search", "", 200},
		{"GET", v2 + "?directory=x", "", 400},
		{"POST", "/admin/user-provisioning/v1/org/" + r.s.OrgID() + "/get-scim-links-for-email", `{"mail":"x"}`, 400},
	} {
		if c, m := org(tc.method, tc.path, tc.body); c != tc.want {
			t.Errorf("%s %s %s: %d %v, want %d", tc.method, tc.path, tc.body, c, m, tc.want)
		}
	}
	// The directory key cannot use the organization API.
	req, _ := http.NewRequest("POST", r.s.URL()+dir+aid+"/suspend", nil)
	req.Header.Set("Authorization", "Bearer "+r.s.APIKey())
	if c, _ := r.do(req); c != http.StatusUnauthorized {
		t.Errorf("suspend with the directory key: %d", c)
	}
}
