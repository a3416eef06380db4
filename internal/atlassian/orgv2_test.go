package atlassian_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// Groups outside the SCIM directory are found by name through the v2 search, 10 names per
// request, case-insensitively and Unicode-exact, with their default access status; names the
// organization lacks come back as nothing.
func TestFindGroupsByNameAcrossDirectories(t *testing.T) {
	var org []emu.OrgGroup
	var names []string
	for i := range 25 {
		n := fmt.Sprintf("Équipe %02d <b>", i)
		names = append(names, strings.ToUpper(n))
		if i%2 == 0 {
			org = append(org, emu.OrgGroup{Name: n, DefaultAccess: i == 4})
		}
	}
	names = append(names, "Équipe 00 <b>", "", "  ", "équipe 00") // duplicates, blanks, a near miss
	s := emutest.Atlassian(t, emu.Options{OrgGroups: org, Groups: []emu.SeedGroup{{DisplayName: "Équipe 01 <b>"}}})
	o, err := atlassian.NewOrg(*orgCfg(s))
	if err != nil {
		t.Fatal(err)
	}
	got, err := o.FindGroupsByName(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	// 13 hand-made groups, plus the SCIM directory's own group (the search spans every directory).
	if len(got) != 14 {
		t.Fatalf("found %d groups: %+v", len(got), got)
	}
	defaults := 0
	for _, g := range got {
		if g.ID == "" || g.DirectoryID == "" {
			t.Errorf("group without id or directory: %+v", g)
		}
		if g.DefaultAccess {
			defaults++
			if g.Name != "Équipe 04 <b>" || len(g.DefaultFor) == 0 {
				t.Errorf("wrong default group %+v", g)
			}
		}
		if g.Name == "Équipe 01 <b>" && (!g.ExternalSynced || g.DirectoryID != s.DirectoryID()) {
			t.Errorf("the SCIM group is not marked as synced in its directory: %+v", g)
		}
	}
	if defaults != 1 {
		t.Errorf("%d default groups", defaults)
	}
	searches, roles := 0, 0
	for _, r := range s.Requests() {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/directories/-/groups/search"):
			searches++
			var body map[string]any
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil || len(body["groupNames"].([]any)) > 10 {
				t.Errorf("search body %s", r.Body)
			}
		case r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/role-assignments"):
			roles++
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
	// 26 distinct names (case-folded) → 3 searches; one role read per group found.
	if searches != 3 || roles != 14 {
		t.Errorf("%d searches, %d role reads", searches, roles)
	}
}

// The organization key is proven with GET /admin/v1/orgs/{orgId}; a directory key on the
// organization API is refused with the key's age.
func TestOrgVerifyRefusesTheWrongKey(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	cfg := orgCfg(s)
	o, _ := atlassian.NewOrg(*cfg)
	if err := o.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.APIKey = s.APIKey()
	o, _ = atlassian.NewOrg(*cfg)
	err := o.Verify(context.Background())
	if apperr.CodeOf(err) != apperr.AtlassianUnauthorized || !strings.Contains(err.Error(), "organization API key") {
		t.Fatalf("wrong key: %v", err)
	}
	cfg.APIKey, cfg.OrgID = s.OrgAPIKey(), "another-org"
	o, _ = atlassian.NewOrg(*cfg)
	if err := o.Verify(context.Background()); apperr.CodeOf(err) != apperr.AtlassianNotFound {
		t.Fatalf("another org: %v", err)
	}
}

// Verify proves a key only with the documented answer of the endpoint it calls: a SCIM
// ListResponse for GET /Users, the Org object of the organization for GET /admin/v1/orgs/{orgId}.
// A proxy or captive portal answering 200 is refused as atlassian_bad_response, with the action
// that names it (before, any 200 passed).
func TestVerifyRefusesA200ThatIsNotTheDocumentedAnswer(t *testing.T) {
	ctx := context.Background()
	s := emutest.Atlassian(t, emu.Options{Users: []emu.User{{UserName: "a@contoso.com"}}})
	if err := newClient(t, fastCfg(s)).Verify(ctx); err != nil {
		t.Fatalf("the emulator's ListResponse: %v", err)
	}
	for name, answer := range map[string]struct{ contentType, body string }{
		"a captive portal's page": {"text/html", `<html><body>Sign in to the hotel Wi-Fi</body></html>`},
		"an empty object":         {"application/json", `{}`},
		"a list without schemas":  {"application/json", `{"totalResults":1,"Resources":[]}`},
		"another organization":    {"application/json", `{"data":{"id":"other-org","type":"orgs"}}`},
	} {
		u, tr, calls := sameAnswerServer(t, answer.contentType, answer.body)
		c, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: u + "/scim/directory/x", APIKey: "k", Transport: tr, AllowCustomHost: true})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Verify(ctx)
		if apperr.CodeOf(err) != apperr.AtlassianBadResponse || !strings.Contains(apperr.As(err).Action, "captive portal") {
			t.Errorf("%s: SCIM Verify: %v", name, err)
		}
		o, err := atlassian.NewOrg(atlassian.OrgConfig{BaseURL: u, OrgID: "my-org", APIKey: "k", Transport: tr, AllowCustomHost: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Verify(ctx); apperr.CodeOf(err) != apperr.AtlassianBadResponse {
			t.Errorf("%s: Org Verify: %v", name, err)
		}
		if *calls != 2 {
			t.Errorf("%s: %d requests, want one per Verify (a 200 is not retried)", name, *calls)
		}
	}
}

// The emulator refuses v2 search bodies Atlassian documents as invalid (groupNames with
// searchTerm or groupIds, a limit above 100) and fields the client never sends.
func TestEmulatorV2SearchIsStrict(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{OrgGroups: []emu.OrgGroup{{Name: "a"}}})
	for body, want := range map[string]int{
		`{"groupNames":["a"],"limit":100}`:      200,
		``:                                      200,
		`{"groupNames":["a"],"searchTerm":"a"}`: 400,
		`{"groupNames":["a"],"groupIds":["x"]}`: 400,
		`{"limit":101}`:                         400,
		`{"filter":"displayName eq \"a\""}`:     400,
		`{"cursor":"not-a-cursor"}`:             400,
	} {
		if st := orgV2Status(t, s, http.MethodPost, "/directories/-/groups/search", body); st != want {
			t.Errorf("%s → %d, want %d", body, st, want)
		}
	}
}

// orgV2Status sends one raw request to the emulator's Organizations API v2 (path below
// /admin/v2/orgs/{orgId}) with the organization key and a JSON body, and returns the status.
func orgV2Status(t *testing.T, s *emu.Server, method, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+"/admin/v2/orgs/"+s.OrgID()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.OrgAPIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: s.Transport()}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
