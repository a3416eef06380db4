package atlassian_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/apperr/apperrtest"
	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// A SCIM user carries its Atlassian account id in Atlassian's extension; the organization key
// suspends and restores that account in the SCIM directory's v2 directory, and the v2 search
// lists who is suspended. Over real HTTP against the strict emulator.
func TestSuspendAndRestoreThroughOrganizationsAPI(t *testing.T) {
	ctx := context.Background()
	s, c, u := withAlice(t, emu.Options{})
	if u.AccountID == "" {
		t.Fatalf("the created user carries no account id: %+v", u)
	}
	got, err := c.GetUser(ctx, u.ID)
	if err != nil || got.AccountID != u.AccountID {
		t.Fatalf("GET /Users/{id} account id %q, want %q (%v)", got.AccountID, u.AccountID, err)
	}
	var listed string
	if err := c.ListUsers(ctx, func(x atlassian.User) error { listed = x.AccountID; return nil }); err != nil || listed != u.AccountID {
		t.Fatalf("GET /Users account id %q, want %q (%v)", listed, u.AccountID, err)
	}

	o, err := atlassian.NewOrg(*orgCfg(s))
	if err != nil {
		t.Fatal(err)
	}
	a := o.Access(s.DirectoryID())
	dir, err := a.DirectoryID(ctx)
	if err != nil || dir != s.DirectoryID() {
		t.Fatalf("v2 directory %q (%v), want %q", dir, err, s.DirectoryID())
	}
	if sus, err := a.Suspended(ctx); err != nil || len(sus) != 0 {
		t.Fatalf("suspended before anything: %v %v", sus, err)
	}
	if err := a.Suspend(ctx, u.AccountID); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State().UserByUserName(u.UserName); !st.Suspended || !st.Active {
		t.Fatalf("after suspend the emulator holds %+v (want suspended, SCIM record still active)", st)
	}
	if sus, err := a.Suspended(ctx); err != nil || !sus[u.AccountID] || len(sus) != 1 {
		t.Fatalf("suspended after suspend: %v %v", sus, err)
	}
	if err := a.Restore(ctx, u.AccountID); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State().UserByUserName(u.UserName); st.Suspended {
		t.Fatalf("after restore the emulator holds %+v", st)
	}
	if sus, err := a.Suspended(ctx); err != nil || len(sus) != 0 {
		t.Fatalf("suspended after restore: %v %v", sus, err)
	}
	// An account the directory does not hold is 404, coded.
	apperrtest.Want(t, a.Suspend(ctx, "5b10ac8d82e05b22cc7d4ef5"), apperr.AtlassianNotFound)

	// Exactly the documented requests were sent, with the documented bodies.
	var paths []string
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/admin/") {
			paths = append(paths, r.Method+" "+r.Path)
			if strings.HasSuffix(r.Path, "/users/search") {
				var body map[string]any
				if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body["status"] == nil || len(body) > 3 {
					t.Errorf("search body %s", r.Body)
				}
			}
		}
	}
	base := "/admin/v2/orgs/" + s.OrgID() + "/directories"
	want := []string{"GET " + base,
		"POST " + base + "/" + dir + "/users/search",
		"POST " + base + "/" + dir + "/users/" + u.AccountID + "/suspend",
		"POST " + base + "/" + dir + "/users/search",
		"POST " + base + "/" + dir + "/users/" + u.AccountID + "/restore",
		"POST " + base + "/" + dir + "/users/search",
		"POST " + base + "/" + dir + "/users/5b10ac8d82e05b22cc7d4ef5/suspend"}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
}

// Without the extension in the SCIM answer, the account id comes from the documented SCIM
// links lookup by email, and only this directory's link of this SCIM user counts.
func TestAccountIDFromSCIMLinks(t *testing.T) {
	ctx := context.Background()
	s, _, u := withAlice(t, emu.Options{NoAccountExtension: true})
	if u.AccountID != "" {
		t.Fatalf("the emulator was asked to leave the extension out, got %q", u.AccountID)
	}
	st, _ := s.State().UserByUserName(u.UserName)
	o, err := atlassian.NewOrg(*orgCfg(s))
	if err != nil {
		t.Fatal(err)
	}
	a := o.Access(s.DirectoryID())
	id, err := a.AccountID(ctx, u.Email, u.ID)
	if err != nil || id != st.AccountID {
		t.Fatalf("links lookup %q (%v), want %q", id, err, st.AccountID)
	}
	if id, err := a.AccountID(ctx, u.Email, "another-scim-user"); err != nil || id != "" {
		t.Fatalf("a link of another SCIM user was used: %q %v", id, err)
	}
	if sid, err := a.SCIMUserID(ctx, st.AccountID); err != nil || sid != u.ID {
		t.Fatalf("links by account id: %q (%v), want %q", sid, err, u.ID)
	}
	if sid, err := a.SCIMUserID(ctx, "5b10ac8d82e05b22cc7d4ef5"); err != nil || sid != "" {
		t.Fatalf("links of an unknown account: %q %v", sid, err)
	}
}

// A SCIM directory the organization does not list (another organization's key) is refused with
// what to do, not guessed; and the strict emulator refuses what the reference does not document.
func TestSuspendRefusals(t *testing.T) {
	ctx := context.Background()
	s := emutest.Atlassian(t, emu.Options{})
	o, err := atlassian.NewOrg(*orgCfg(s))
	if err != nil {
		t.Fatal(err)
	}
	e := apperrtest.Want(t, o.Access("not-this-directory").Suspend(ctx, "5b10ac8d82e05b22cc7d4ef5"), apperr.AtlassianNotFound)
	if !strings.Contains(e.Message, "not-this-directory") || e.Action == "" {
		t.Errorf("refusal says %q / %q", e.Message, e.Action)
	}
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "/directories/" + s.DirectoryID() + "/users/search", `{"status":["gone"]}`},
		{http.MethodPost, "/directories/" + s.DirectoryID() + "/users/search", `{"nickname":"x"}`},
		{http.MethodPost, "/directories/" + s.DirectoryID() + "/users/x/suspend", `{"reason":"x"}`},
		{http.MethodGet, "/directories?directory=x", ""},
	} {
		if st := orgV2Status(t, s, tc.method, tc.path, tc.body); st != http.StatusBadRequest {
			t.Errorf("%s %s %s: %d, want 400", tc.method, tc.path, tc.body, st)
		}
	}
}
