package atlassian_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/apperr/apperrtest"
	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/engine"
)

// fastCfg is a client config with short backoffs and a high starting rate, so tests measure
// behaviour rather than wait.
func fastCfg(s *emu.Server) atlassian.SCIMConfig {
	return atlassian.SCIMConfig{
		BaseURL: s.SCIMURL(), APIKey: s.APIKey(), Transport: s.Transport(), AllowCustomHost: true,
		Retry:         atlassian.RetryPolicy{BaseDelay: 2 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
		LimiterConfig: atlassian.LimiterConfig{Initial: 2000, Max: 5000},
	}
}

// withAlice starts an emulator with o and a client of it, and creates alice() in it.
func withAlice(t *testing.T, o emu.Options) (*emu.Server, *atlassian.SCIM, atlassian.User) {
	t.Helper()
	s := emutest.Atlassian(t, o)
	c := newClient(t, fastCfg(s))
	u, err := c.CreateUser(context.Background(), alice())
	if err != nil {
		t.Fatal(err)
	}
	return s, c, u
}

func newClient(t *testing.T, cfg atlassian.SCIMConfig) *atlassian.SCIM {
	t.Helper()
	c, err := atlassian.NewSCIM(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func alice() atlassian.User {
	return atlassian.User{
		ExternalID: "0a1b2c3d-0000-4000-8000-000000000001", UserName: "alice@contoso.com", Email: "alice@contoso.com",
		DisplayName: "Alice Smith", GivenName: "Alice", FamilyName: "Smith", Title: "Engineer", PreferredLanguage: "en-US",
		MobilePhone: "+1 555 0100", WorkPhone: "+1 555 0101", Department: "R&D", Active: true,
	}
}

func TestValidateBaseURL(t *testing.T) {
	cases := []struct {
		url   string
		allow bool
		code  apperr.Code
	}{
		{"https://api.atlassian.com/scim/directory/abc-123", false, ""},
		{"https://api.atlassian.com/scim/directory/abc-123/", false, ""},
		{"http://api.atlassian.com/scim/directory/abc", false, apperr.InsecureURL},
		{"http://127.0.0.1:8080/scim/directory/abc", true, apperr.InsecureURL},
		{"https://evil.example.com/scim/directory/abc", false, apperr.InsecureURL},
		{"https://127.0.0.1:9/scim/directory/abc", true, ""},
		{"https://api.atlassian.com/scim/abc", false, apperr.InvalidInput},
		{"https://api.atlassian.com/scim/directory/abc/Users", false, apperr.InvalidInput},
		{"https://api.atlassian.com/scim/directory/abc?x=1", false, apperr.InvalidInput},
		{"https://user:pw@api.atlassian.com/scim/directory/abc", false, apperr.InvalidInput},
		{"api.atlassian.com/scim/directory/abc", false, apperr.InvalidInput},
	}
	for _, c := range cases {
		_, err := atlassian.ValidateBaseURL(c.url, c.allow)
		if c.code == "" && err != nil {
			t.Errorf("%s: unexpected %v", c.url, err)
		}
		if c.code != "" && apperr.CodeOf(err) != c.code {
			t.Errorf("%s: want %s, got %v", c.url, c.code, err)
		}
	}
	if _, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: "https://api.atlassian.com/scim/directory/x"}); apperr.CodeOf(err) != apperr.SecretMissing {
		t.Errorf("empty key: %v", err)
	}
}

func TestCreateReadFindRoundTrip(t *testing.T) {
	s, c, created := withAlice(t, emu.Options{})
	ctx := context.Background()
	if created.ID == "" || created.AccountID == "" {
		t.Fatalf("no id or no Atlassian account id: %+v", created)
	}
	want := alice()
	want.ID, want.AccountID = created.ID, created.AccountID // the account is Atlassian's, never written
	if created != want {
		t.Fatalf("created\n got %+v\nwant %+v", created, want)
	}
	// What was written: the mapped SCIM payload, with the enterprise extension and typed values.
	w := s.Writes()
	if len(w) != 1 || w[0].Method != "POST" || w[0].Path != "/Users" {
		t.Fatalf("writes: %+v", w)
	}
	var body map[string]any
	_ = json.Unmarshal([]byte(w[0].Body), &body)
	if body[atlassian.SchemaEnterprise].(map[string]any)["department"] != "R&D" {
		t.Errorf("department not in the enterprise extension: %s", w[0].Body)
	}
	for _, frag := range []string{`"type":"work","primary":true`, `"type":"mobile"`, `"externalId":"0a1b2c3d-`, `"active":true`} {
		if !strings.Contains(w[0].Body, frag) {
			t.Errorf("body lacks %s: %s", frag, w[0].Body)
		}
	}
	st := s.State()
	u, ok := st.UserByUserName("ALICE@contoso.com")
	if !ok || u.Department != "R&D" || u.Phone("work") != "+1 555 0101" || !u.Active {
		t.Fatalf("state: %+v", st.Users)
	}
	got, err := c.GetUser(ctx, created.ID)
	if err != nil || got != want {
		t.Fatalf("get: %+v %v", got, err)
	}
	byExt, ok, err := c.FindUserByExternalID(ctx, want.ExternalID)
	if err != nil || !ok || byExt != want {
		t.Fatalf("by externalId: %+v %v %v", byExt, ok, err)
	}
	byName, ok, err := c.FindUserByUserName(ctx, "Alice@Contoso.com")
	if err != nil || !ok || byName.ID != want.ID {
		t.Fatalf("by userName (case-insensitive): %+v %v %v", byName, ok, err)
	}
	if _, ok, err := c.FindUserByUserName(ctx, "bob@contoso.com"); ok || err != nil {
		t.Fatalf("absent: %v %v", ok, err)
	}
	if d := diffUser(got, alice()); len(d) != 0 {
		t.Fatalf("read-back differs: %+v", d)
	}
}

func TestPatchOnlyWhatChanged(t *testing.T) {
	s, c, cur := withAlice(t, emu.Options{})
	ctx := context.Background()
	desired := alice()
	desired.Title = "Staff Engineer"
	desired.MobilePhone = ""
	desired.Email = "Alice@contoso.com" // a change of case is an update
	desired.UserName = "Alice@contoso.com"
	changes := diffUser(cur, desired)
	if len(changes) != 4 {
		t.Fatalf("changes: %+v", changes)
	}
	s.ResetRequests()
	if err := c.PatchUser(ctx, cur.ID, patchFor(changes)); err != nil {
		t.Fatal(err)
	}
	w := s.Writes()
	if len(w) != 1 || w[0].Method != "PATCH" {
		t.Fatalf("want one PATCH, got %+v", w)
	}
	var p struct {
		Operations []map[string]any
	}
	_ = json.Unmarshal([]byte(w[0].Body), &p)
	if len(p.Operations) != 4 {
		t.Fatalf("ops: %s", w[0].Body)
	}
	if !strings.Contains(w[0].Body, `{"op":"remove","path":"phoneNumbers[type eq \"mobile\"].value"}`) ||
		!strings.Contains(w[0].Body, `{"op":"replace","path":"title","value":"Staff Engineer"}`) {
		t.Errorf("body: %s", w[0].Body)
	}
	got, _ := c.GetUser(ctx, cur.ID)
	desired.ID, desired.AccountID = cur.ID, cur.AccountID
	if got != desired {
		t.Fatalf("after patch\n got %+v\nwant %+v", got, desired)
	}
	for _, r := range s.Requests() {
		if r.Method == "PUT" {
			t.Fatal("the client sent a PUT")
		}
	}
}

func TestDeactivateAndDelete(t *testing.T) {
	s, c, u := withAlice(t, emu.Options{})
	ctx := context.Background()
	s.ResetRequests()
	if err := c.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if w := s.Writes(); len(w) != 1 || w[0].Body != `{"Operations":[{"op":"replace","path":"active","value":false}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}` {
		t.Fatalf("deactivation request: %+v", w)
	}
	if st := s.State(); st.Users[0].Active {
		t.Fatal("still active")
	}
	if err := c.SetActive(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	st := s.State()
	if len(st.Users) != 0 || len(st.Accounts) != 1 || st.Accounts[0].Active || st.Accounts[0].Origin != "unlinked" {
		t.Fatalf("after delete: %+v", st)
	}
	_, err := c.GetUser(ctx, u.ID)
	apperrtest.Want(t, err, apperr.AtlassianNotFound)
}

func TestNotFoundMeansDeletedByHand(t *testing.T) {
	s, c, u := withAlice(t, emu.Options{})
	ctx := context.Background()
	g, _ := c.CreateGroup(ctx, "Engineering", "grp-1")
	s.DeleteUserByHand(u.ID)
	s.DeleteGroupByHand(g.ID)
	e := apperrtest.Want(t, c.PatchUser(ctx, u.ID, []atlassian.PatchOp{{Op: "replace", Path: "title", Value: "x"}}), apperr.AtlassianNotFound)
	if !strings.Contains(e.Message, "deleted by hand") {
		t.Errorf("message: %s", e.Message)
	}
	apperrtest.Want(t, c.SetActive(ctx, u.ID, false), apperr.AtlassianNotFound)
	apperrtest.Want(t, c.AddMembers(ctx, g.ID, []string{"x"}), apperr.AtlassianNotFound)
	apperrtest.Want(t, c.DeleteGroup(ctx, g.ID), apperr.AtlassianNotFound)
}

func TestConflictAndAdopt(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{
		Users:     []emu.User{{UserName: "alice@contoso.com", DisplayName: "Alice (made elsewhere)", Active: true}},
		Groups:    []emu.SeedGroup{{DisplayName: "Engineering"}},
		OrgGroups: []emu.OrgGroup{{Name: "site-admins"}, {Name: "jira-software-users", DefaultAccess: true}},
	})
	c := newClient(t, fastCfg(s))
	ctx := context.Background()
	_, err := c.CreateUser(ctx, atlassian.User{UserName: "ALICE@contoso.com", Email: "ALICE@contoso.com", ExternalID: "e1", Active: true})
	e := apperrtest.Want(t, err, apperr.AtlassianConflict)
	var ce *atlassian.ConflictError
	if !errors.As(e, &ce) || ce.UserName != "ALICE@contoso.com" || ce.ExternalID != "e1" || !strings.Contains(ce.Detail, "already exists") {
		t.Fatalf("conflict: %#v", ce)
	}
	u, adopted, err := c.CreateOrAdoptUser(ctx, alice())
	if err != nil || !adopted || u.DisplayName != "Alice (made elsewhere)" {
		t.Fatalf("adopt user: %+v %v %v", u, adopted, err)
	}
	// Adopted: the caller diffs and patches; externalId is among the changes.
	ch := diffUser(u, alice())
	if ch[0].Attribute != engine.AttrExternalID {
		t.Fatalf("changes: %+v", ch)
	}
	if err := c.PatchUser(ctx, u.ID, patchFor(ch)); err != nil {
		t.Fatal(err)
	}
	if again, adopted, err := c.CreateOrAdoptUser(ctx, alice()); err != nil || !adopted || again.ID != u.ID {
		t.Fatalf("adopt by externalId: %+v %v %v", again, adopted, err)
	}
	g, adopted, err := c.CreateOrAdoptGroup(ctx, "engineering", "grp-eng")
	if err != nil || !adopted || g.DisplayName != "Engineering" {
		t.Fatalf("adopt group: %+v %v %v", g, adopted, err)
	}
	// A group made by hand in admin.atlassian.com: 409, and SCIM cannot see it to adopt it.
	_, adopted, err = c.CreateOrAdoptGroup(ctx, "Site-Admins", "grp-sa")
	if adopted {
		t.Fatal("adopted an invisible group")
	}
	apperrtest.Want(t, err, apperr.AtlassianConflict)
	_, err = c.CreateGroup(ctx, "jira-software-users", "grp-j")
	if e := apperrtest.Want(t, err, apperr.AtlassianRejected); !strings.Contains(e.Message, "default access group") {
		t.Errorf("message: %s", e.Message)
	}
}

func TestPagingAllUsers(t *testing.T) {
	var seed []emu.User
	for i := range 257 {
		seed = append(seed, emu.User{UserName: fmt.Sprintf("user%03d@contoso.com", i), Active: true})
	}
	s := emutest.Atlassian(t, emu.Options{Users: seed})
	c := newClient(t, fastCfg(s))
	seen := map[string]bool{}
	err := c.ListUsers(context.Background(), func(u atlassian.User) error {
		if seen[u.ID] {
			t.Errorf("duplicate %s", u.UserName)
		}
		seen[u.ID] = true
		return nil
	})
	if err != nil || len(seen) != 257 {
		t.Fatalf("%d users, %v", len(seen), err)
	}
	var starts []string
	for _, r := range s.Requests() {
		if r.Query.Get("count") != "100" {
			t.Errorf("count %q", r.Query.Get("count"))
		}
		starts = append(starts, r.Query.Get("startIndex"))
	}
	if strings.Join(starts, ",") != "1,101,201" {
		t.Fatalf("startIndex sequence %v", starts)
	}
	if st := c.Stats(); st.Requests != 3 || st.Reads != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestFilterEscaping(t *testing.T) {
	weird := `o"brien\ops@contoso.com`
	s := emutest.Atlassian(t, emu.Options{
		Users:  []emu.User{{UserName: weird, Active: true}},
		Groups: []emu.SeedGroup{{DisplayName: `R&D "core" \ team`, ExternalID: `ext"1\`}},
	})
	c := newClient(t, fastCfg(s))
	ctx := context.Background()
	u, ok, err := c.FindUserByUserName(ctx, weird)
	if err != nil || !ok || u.UserName != weird {
		t.Fatalf("user: %+v %v %v", u, ok, err)
	}
	g, ok, err := c.FindGroupByDisplayName(ctx, `r&d "CORE" \ team`)
	if err != nil || !ok {
		t.Fatalf("group: %v %v", ok, err)
	}
	if g.ExternalID != `ext"1\` {
		t.Fatalf("group found by name carries externalId %q", g.ExternalID)
	}
	r := s.Requests()
	if got := r[0].Query.Get("filter"); got != `userName eq "o\"brien\\ops@contoso.com"` {
		t.Errorf("filter sent: %s", got)
	}
	if got := r[1].Query.Get("filter"); got != `displayName eq "r&d \"CORE\" \\ team"` {
		t.Errorf("filter sent: %s", got)
	}
}

func TestMembersInChunks(t *testing.T) {
	var seed []emu.User
	for i := range 250 {
		seed = append(seed, emu.User{UserName: fmt.Sprintf("m%03d@contoso.com", i), Active: true})
	}
	s := emutest.Atlassian(t, emu.Options{Users: seed})
	cfg := fastCfg(s)
	c := newClient(t, cfg)
	if c.MemberChunkSize() != atlassian.DefaultMemberChunkSize {
		t.Fatal("default chunk size")
	}
	ctx := context.Background()
	var ids []string
	_ = c.ListUsers(ctx, func(u atlassian.User) error { ids = append(ids, u.ID); return nil })
	g, err := c.CreateGroup(ctx, "All staff", "grp-all")
	if err != nil {
		t.Fatal(err)
	}
	s.ResetRequests()
	if err := c.AddMembers(ctx, g.ID, ids); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Writes()); n != 3 {
		t.Fatalf("%d PATCHes for 250 members, want 3", n)
	}
	s.ResetRequests()
	cfg.MemberChunkSize = 50
	c50 := newClient(t, cfg)
	if err := c50.RemoveMembers(ctx, g.ID, ids[:120]); err != nil {
		t.Fatal(err)
	}
	w := s.Writes()
	if len(w) != 3 || !strings.Contains(w[0].Body, `{"op":"remove","path":"members[value eq \"`+ids[0]+`\"]"}`) {
		t.Fatalf("remove requests: %d %s", len(w), w[0].Body)
	}
	got, err := c.GetGroup(ctx, g.ID)
	if err != nil || len(got.Members) != 130 {
		t.Fatalf("members %d %v", len(got.Members), err)
	}
	// Removing members that are gone already is harmless, so a retried chunk is safe.
	if err := c.RemoveMembers(ctx, g.ID, ids[:10]); err != nil {
		t.Fatal(err)
	}
	var groups []atlassian.Group
	_ = c.ListGroups(ctx, func(g atlassian.Group) error { groups = append(groups, g); return nil })
	if len(groups) != 1 || len(groups[0].Members) != 130 {
		t.Fatalf("list groups: %+v", groups)
	}
	if err := c.DeleteGroup(ctx, g.ID); err != nil || len(s.State().Groups) != 0 {
		t.Fatalf("delete group: %v", err)
	}
}

func TestLimitsAndStructure(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{MaxUsers: 3, MaxMembers: 2,
		Users: []emu.User{{UserName: "a@contoso.com"}, {UserName: "b@contoso.com"}, {UserName: "c@contoso.com"}}})
	c := newClient(t, fastCfg(s))
	ctx := context.Background()
	_, err := c.CreateUser(ctx, atlassian.User{UserName: "d@contoso.com", Email: "d@contoso.com", Active: true})
	if e := apperrtest.Want(t, err, apperr.AtlassianRejected); !strings.Contains(e.Message, "limit of 3 users") {
		t.Errorf("message: %s", e.Message)
	}
	var ids []string
	_ = c.ListUsers(ctx, func(u atlassian.User) error { ids = append(ids, u.ID); return nil })
	g, _ := c.CreateGroup(ctx, "Small", "")
	inner, _ := c.CreateGroup(ctx, "Inner", "")
	err = c.AddMembers(ctx, g.ID, ids)
	if e := apperrtest.Want(t, err, apperr.AtlassianRejected); !strings.Contains(e.Message, "at most 2 users") {
		t.Errorf("message: %s", e.Message)
	}
	if st, _ := s.State().GroupByName("Small"); len(st.Members) != 0 {
		t.Fatal("an over-limit PATCH was partly applied")
	}
	err = c.AddMembers(ctx, g.ID, []string{inner.ID})
	if e := apperrtest.Want(t, err, apperr.AtlassianRejected); !strings.Contains(e.Message, "groups cannot contain groups") {
		t.Errorf("message: %s", e.Message)
	}
}

func TestUnverifiedDomains(t *testing.T) {
	doms := []emu.Domain{{Name: "contoso.com", ClaimType: "dns", Status: "verified"}, {Name: "fabrikam.com", ClaimType: "http", Status: "unverified"}}
	s := emutest.Atlassian(t, emu.Options{Domains: doms})
	c := newClient(t, fastCfg(s))
	ctx := context.Background()
	ext := atlassian.User{UserName: "guest@fabrikam.com", Email: "guest@fabrikam.com", Active: true}
	u, err := c.CreateUser(ctx, ext)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.State().UserByUserName(ext.UserName); got.Managed {
		t.Fatal("a user on an unverified domain counts as managed")
	}
	_ = c.DeleteUser(ctx, u.ID) // unlinks; an account the organization does not manage stays active
	if a := s.State().Accounts; len(a) != 1 || !a[0].Active {
		t.Fatalf("accounts %+v", a)
	}
	strict := emutest.Atlassian(t, emu.Options{Domains: doms, RejectUnverifiedDomains: true})
	_, err = newClient(t, fastCfg(strict)).CreateUser(ctx, ext)
	if e := apperrtest.Want(t, err, apperr.AtlassianRejected); !strings.Contains(e.Message, "verified domain") {
		t.Errorf("message: %s", e.Message)
	}
}

func TestRetryServerErrorsThenSucceed(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	c := newClient(t, fastCfg(s))
	s.Inject(emu.Fault{Method: "POST", PathSuffix: "/Users", Status: 503, Times: 2}, emu.Fault{Method: "PATCH", Reset: true})
	u, err := c.CreateUser(context.Background(), alice())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetActive(context.Background(), u.ID, false); err != nil {
		t.Fatalf("patch after a reset: %v", err)
	}
	// A reset GET may be retried by net/http itself on a reused connection; either way it completes.
	s.Inject(emu.Fault{Method: "GET", Reset: true})
	n := 0
	if err := c.ListUsers(context.Background(), func(atlassian.User) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("list after a reset: %d %v", n, err)
	}
	st := c.Stats()
	if st.ServerErrors != 2 || st.NetworkErrors < 1 || st.Retries < 3 || len(s.State().Users) != 1 || s.State().Users[0].Active {
		t.Fatalf("stats %+v", st)
	}
	if s.StatusCount(503) != 2 || s.StatusCount(0) != 2 {
		t.Fatalf("emulator saw %d 503s and %d resets", s.StatusCount(503), s.StatusCount(0))
	}
}

func TestServerErrorsPastTheLimitFailOnlyThatOperation(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	cfg := fastCfg(s)
	cfg.Retry.MaxRetries = 2
	c := newClient(t, cfg)
	ctx := context.Background()
	a, _ := c.CreateUser(ctx, alice())
	b, _ := c.CreateUser(ctx, atlassian.User{UserName: "bob@contoso.com", Email: "bob@contoso.com", Active: true})
	s.Inject(emu.Fault{Method: "PATCH", PathSuffix: "/Users/" + a.ID, Status: 500, Times: 100})
	err := c.SetActive(ctx, a.ID, false)
	if e := apperrtest.Want(t, err, apperr.AtlassianUnavailable); !strings.Contains(e.Message, "after 3 attempts") {
		t.Errorf("message: %s", e.Message)
	}
	if err := c.SetActive(ctx, b.ID, false); err != nil {
		t.Fatalf("the other operation failed too: %v", err)
	}
	if s.StatusCount(500) != 3 {
		t.Errorf("%d attempts", s.StatusCount(500))
	}
}

// A throttle storm: 40 requests/s with a burst of 5, against a client that starts at 400/s with
// 8 goroutines. In a synctest bubble (the emulator in-process through emutest.InProcess), so the
// emulator's bucket, its Retry-After and the client's limiter share one fake clock: the outcome
// depends on the limiter, not on how loaded the machine is (it ran on the wall clock).
func TestThrottleStormAdapts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := emu.New(emu.Options{RateLimit: 40, Burst: 5, RetryAfter: 100 * time.Millisecond, NoRequestLog: true})
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, atlassian.SCIMConfig{BaseURL: "https://atlassian.test/scim/directory/" + s.DirectoryID(), APIKey: s.APIKey(),
			Transport: emutest.InProcess{Handler: s}, AllowCustomHost: true,
			Retry:         atlassian.RetryPolicy{BaseDelay: 2 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
			LimiterConfig: atlassian.LimiterConfig{Initial: 400, Max: 400, Min: 1}})
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 80)
		for w := range 8 {
			wg.Go(func() {
				for i := range 10 {
					n := fmt.Sprintf("storm%d-%d@contoso.com", w, i)
					if _, err := c.CreateUser(ctx, atlassian.User{UserName: n, Email: n, Active: true}); err != nil {
						errs <- fmt.Errorf("%w (limiter %+v)", err, c.Limiter().Stats())
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got429 := s.StatusCount(429)
		st, ls := c.Stats(), c.Limiter().Stats()
		t.Logf("429s=%d requests=%d rate %.1f→lowest %.1f cuts=%d waited=%v", got429, st.Requests, 400.0, ls.Lowest, ls.Cuts, ls.Waited)
		if len(s.State().Users) != 80 {
			t.Fatalf("%d users", len(s.State().Users))
		}
		if got429 == 0 || int64(got429) != st.Throttled || ls.Throttles != st.Throttled {
			t.Fatalf("429s: emulator %d, client %d, limiter %d", got429, st.Throttled, ls.Throttles)
		}
		if ls.Lowest > 100 || ls.Cuts == 0 {
			t.Fatalf("the limiter did not slow down: %+v", ls)
		}
		// Adapting means far fewer 429s than requests.
		if got429 > 80 {
			t.Errorf("%d 429s for 80 creates", got429)
		}
	})
}

func TestThrottledTooLong(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	cfg := fastCfg(s)
	cfg.Retry.MaxThrottleRetries = 2
	c := newClient(t, cfg)
	s.Inject(emu.Fault{Status: 429, RetryAfter: "0.01", Times: 3})
	_, _, err := c.FindUserByUserName(context.Background(), "x@contoso.com")
	apperrtest.Want(t, err, apperr.AtlassianThrottled)
}

func TestUnauthorizedSaysKeyAge(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	cfg := fastCfg(s)
	cfg.APIKey = "wrong"
	cfg.KeyCreated = time.Now().Add(-400 * 24 * time.Hour)
	err := newClient(t, cfg).ListUsers(context.Background(), func(atlassian.User) error { return nil })
	e := apperrtest.Want(t, err, apperr.AtlassianUnauthorized)
	if !strings.Contains(e.Message, "wrong or expired") || !strings.Contains(e.Message, "400 days ago") || !strings.Contains(e.Message, "expire after one year") {
		t.Errorf("message: %s", e.Message)
	}
	s.SetKeyExpired(true)
	cfg = fastCfg(s)
	cfg.KeyCreated = time.Now().Add(-30 * 24 * time.Hour)
	_, err = newClient(t, cfg).CreateUser(context.Background(), alice())
	e = apperrtest.Want(t, err, apperr.AtlassianUnauthorized)
	if !strings.Contains(e.Message, "has expired") || !strings.Contains(e.Message, "30 days ago") || e.Action == "" {
		t.Errorf("message: %s / %s", e.Message, e.Action)
	}
}

func TestNonSCIMAnswer(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	c := newClient(t, fastCfg(s))
	s.Inject(emu.Fault{HTML: true})
	err := c.ListUsers(context.Background(), func(atlassian.User) error { return nil })
	if e := apperrtest.Want(t, err, apperr.AtlassianBadResponse); !strings.Contains(e.Message, "text/html") {
		t.Errorf("message: %s", e.Message)
	}
	s.Inject(emu.Fault{HTML: true})
	_, err = c.CreateUser(context.Background(), alice())
	apperrtest.Want(t, err, apperr.AtlassianBadResponse)
}

func TestCanceled(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{Latency: time.Second})
	c := newClient(t, fastCfg(s))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.CreateUser(ctx, alice())
	apperrtest.Want(t, err, apperr.Canceled)
}

func TestEqFilter(t *testing.T) {
	if got := atlassian.EqFilter("userName", `a"b\c`); got != `userName eq "a\"b\\c"` {
		t.Fatal(got)
	}
	// The encoded query keeps the filter intact.
	q := url.Values{"filter": {atlassian.EqFilter("displayName", `x & y`)}}.Encode()
	if q != "filter=displayName+eq+%22x+%26+y%22" {
		t.Fatal(q)
	}
}
