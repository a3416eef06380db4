package entra

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

const token = "test-token"

type env struct {
	srv    *graph.Server
	tenant *tenant.Tenant
	reader *Reader
}

// setup serves spec's tenant from a Graph emulator on loopback TLS and reads it with a reader
// configured by cfg (the emulator's address, its certificate and the test token filled in).
func setup(t testing.TB, spec tenant.Spec, opts graph.Options, cfg Config) env {
	t.Helper()
	tn, opts := tenantOptions(spec, opts)
	srv := emutest.Graph(t, opts)
	a, err := loopbacktls.Shared()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Transport = a.Transport()
	return reading(t, srv, tn, srv.URL(), cfg)
}

// setupInProcess is setup with the emulator served in-process (emutest.InProcess) at
// https://graph.test, for tests that run inside a testing/synctest bubble: the waits on Graph's
// budget, Retry-After and the reader's backoff pass in fake time, and everything else (the Graph
// SDK, kiota's middleware, the pacer, the emulator's bucket and accounting) is what setup runs.
func setupInProcess(t testing.TB, spec tenant.Spec, opts graph.Options, cfg Config) env {
	t.Helper()
	tn, opts := tenantOptions(spec, opts)
	srv := graph.New(opts)
	cfg.Transport = emutest.InProcess{Handler: srv}
	return reading(t, srv, tn, "https://graph.test", cfg)
}

func tenantOptions(spec tenant.Spec, opts graph.Options) (*tenant.Tenant, graph.Options) {
	tn := tenant.Generate(spec)
	opts.Tenant = tn
	if opts.Verify == nil {
		opts.Verify = graph.StaticTokens(map[string]graph.Principal{token: {AppID: "idpsync", TenantID: tn.ID}})
	}
	return tn, opts
}

// reading is the env of a reader of srv at root (its scheme and host), with the test token.
func reading(t testing.TB, srv *graph.Server, tn *tenant.Tenant, root string, cfg Config) env {
	t.Helper()
	cfg.BaseURL = root + "/v1.0"
	if cfg.Tokens == nil {
		u, err := url.Parse(root)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Tokens = StaticToken(token, u.Hostname())
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return env{srv: srv, tenant: tn, reader: r}
}

func sortSnapshot(s *directory.Snapshot) {
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].ID < s.Users[j].ID })
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].ID < s.Groups[j].ID })
	sort.Slice(s.Domains, func(i, j int) bool { return s.Domains[i].Name < s.Domains[j].Name })
	for id, ms := range s.Members {
		sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
		s.Members[id] = ms
	}
}

func assertSnapshot(t *testing.T, got, want *directory.Snapshot) {
	t.Helper()
	sortSnapshot(got)
	sortSnapshot(want)
	if !reflect.DeepEqual(got.Tenant, want.Tenant) {
		t.Fatalf("tenant %+v, want %+v", got.Tenant, want.Tenant)
	}
	if !reflect.DeepEqual(got.Domains, want.Domains) {
		t.Fatalf("domains %+v, want %+v", got.Domains, want.Domains)
	}
	if len(got.Users) != len(want.Users) {
		t.Fatalf("%d users, want %d", len(got.Users), len(want.Users))
	}
	for i := range want.Users {
		if got.Users[i] != want.Users[i] {
			t.Fatalf("user %d:\n got %+v\nwant %+v", i, got.Users[i], want.Users[i])
		}
	}
	if !reflect.DeepEqual(got.Groups, want.Groups) {
		t.Fatalf("groups differ: %d vs %d", len(got.Groups), len(want.Groups))
	}
	if !reflect.DeepEqual(got.Members, want.Members) {
		for id := range want.Members {
			if !reflect.DeepEqual(got.Members[id], want.Members[id]) {
				t.Fatalf("group %s: %d members, want %d", id, len(got.Members[id]), len(want.Members[id]))
			}
		}
		t.Fatalf("members differ: %d groups vs %d", len(got.Members), len(want.Members))
	}
}

func TestReadFullPagesEverything(t *testing.T) {
	e := setupInProcess(t, tenant.Spec{Seed: 11, Users: 2500, Groups: 60, Depth: 4, LargeGroup: 1500, OtherMembers: 6},
		graph.Options{DeltaPageSize: 100}, Config{})
	var last Progress
	snap, links, err := e.reader.ReadFull(context.Background(), func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	assertSnapshot(t, snap, e.tenant.Snapshot())
	if links.Users == "" || links.Groups == "" {
		t.Fatalf("delta links missing: %+v", links)
	}
	if last.Users != 2500 || last.Groups != 60 || last.Requests == 0 {
		t.Fatalf("last progress %+v", last)
	}
	// The cheapest documented strategy: users and groups listed, each group's direct members
	// listed (the large group in two pages of 999), and one $deltatoken=latest request per delta.
	var userPages, groupPages, memberPages, usersDelta, groupsDelta int
	for _, l := range e.srv.Log() {
		switch {
		case l.Path == "/v1.0/users":
			userPages++
			if !strings.Contains(l.Query, "accountEnabled") {
				t.Errorf("users read without accountEnabled in $select: %s", l.Query)
			}
		case l.Path == "/v1.0/groups":
			groupPages++
		case strings.HasPrefix(l.Path, "/v1.0/users/delta"):
			usersDelta++
			if !strings.Contains(l.Query, "deltatoken=latest") {
				t.Errorf("full read paged users delta: %s", l.Query)
			}
		case strings.HasPrefix(l.Path, "/v1.0/groups/delta"):
			groupsDelta++
			if !strings.Contains(l.Query, "deltatoken=latest") || !strings.Contains(l.Query, "members") {
				t.Errorf("full read paged groups delta, or asked for a link without members: %s", l.Query)
			}
		case strings.HasSuffix(l.Path, "/members"):
			memberPages++
			if !strings.Contains(l.Query, "%24select=id") && !strings.Contains(l.Query, "$select=id") {
				t.Errorf("members listed without $select=id (1 unit more each): %s", l.Query)
			}
		case strings.Contains(l.Path, "transitiveMembers"):
			t.Errorf("full read used %s", l.Path)
		}
	}
	if userPages != 3 || groupPages != 1 || memberPages != 61 || usersDelta != 1 || groupsDelta != 1 {
		t.Fatalf("%d user pages (want 3 of 999), %d group pages (want 1), %d member pages (want 60 + 1 for the large group), %d users delta, %d groups delta (want 1 each)",
			userPages, groupPages, memberPages, usersDelta, groupsDelta)
	}
	// The read flattens like the truth, cycles included.
	fr, ft := directory.Flatten(snap), directory.Flatten(e.tenant.Snapshot())
	for _, g := range ft.Groups() {
		if !slices.Equal(fr.Members(g), ft.Members(g)) {
			t.Fatalf("flattened members of %s differ", g)
		}
	}
	if c := e.reader.Counters(); c.Requests != int64(e.srv.Counters().Requests) || c.Units != int64(e.srv.Counters().Units) {
		t.Fatalf("reader counters %+v, server %+v", c, e.srv.Counters())
	}
}

// Graph's documented budget (8,000 units per 10 s above 500 users) is spent at its refill rate,
// not found by 429s: 4,000 groups need about 8,000 units of member listings on top of the
// rest, past the budget's first 8,000 when read twice.
func TestFullReadStaysWithinTheBudget(t *testing.T) {
	// In a synctest bubble, the emulator in-process: the reads wait for Graph's budget to refill
	// (about 30 s of pacing) in fake time, on the one clock the pacer and Graph's bucket share.
	synctest.Test(t, func(t *testing.T) {
		e := setupInProcess(t, tenant.Spec{Seed: 17, Users: 600, Groups: 4000, MembersPerGroup: 3, Depth: 2}, graph.Options{}, Config{})
		start := time.Now()
		for range 2 {
			snap, _, err := e.reader.ReadFull(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			assertSnapshot(t, snap, e.tenant.Snapshot())
		}
		c := e.srv.Counters()
		t.Logf("%+v in %v of fake time", c, time.Since(start))
		if c.Units <= 8000 {
			t.Fatalf("the reads cost %d units: not past the budget, the test proves nothing", c.Units)
		}
		if c.Throttled != 0 {
			t.Fatalf("%d of %d requests answered 429: the reader ran into Graph's budget instead of pacing within it", c.Throttled, c.Requests)
		}
	})
}

func edgeKeys(es []directory.MemberEdge) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s/%s/%d", e.GroupID, e.Member.ID, e.Member.Kind))
	}
	slices.Sort(out)
	return out
}

func TestReadDeltaReturnsExactlyTheChanges(t *testing.T) {
	e := setupInProcess(t, tenant.Spec{Seed: 12, Users: 1500, Groups: 40, Depth: 3}, graph.Options{DeltaPageSize: 50}, Config{})
	ctx := context.Background()
	_, links, err := e.reader.ReadFull(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := e.tenant.Mutate(0.1, 5)
	d, err := e.reader.ReadDelta(ctx, links, nil)
	if err != nil {
		t.Fatal(err)
	}
	var gotUsers []string
	truth := e.tenant.Snapshot()
	byID := map[string]directory.User{}
	for _, u := range truth.Users {
		byID[u.ID] = u
	}
	for _, u := range d.Users {
		gotUsers = append(gotUsers, u.ID)
		if byID[u.ID] != u {
			t.Errorf("delta user %s is %+v, tenant has %+v", u.ID, u, byID[u.ID])
		}
	}
	slices.Sort(gotUsers)
	wantUsers := append(slices.Clone(ch.AddedUsers), ch.UpdatedUsers...)
	slices.Sort(wantUsers)
	if !slices.Equal(gotUsers, wantUsers) {
		t.Fatalf("changed users %v\nwant %v", gotUsers, wantUsers)
	}
	slices.Sort(d.RemovedUsers)
	if want := slices.Sorted(maps.Keys(ch.RemovedUsers)); !slices.Equal(d.RemovedUsers, want) {
		t.Fatalf("removed users %v, want %v", d.RemovedUsers, want)
	}
	slices.Sort(d.RemovedGroups)
	if want := slices.Sorted(maps.Keys(ch.RemovedGroups)); !slices.Equal(d.RemovedGroups, want) {
		t.Fatalf("removed groups %v, want %v", d.RemovedGroups, want)
	}
	if !slices.Equal(edgeKeys(d.MembersAdded), edgeKeys(ch.MembersAdded)) {
		t.Fatalf("members added %v\nwant %v", edgeKeys(d.MembersAdded), edgeKeys(ch.MembersAdded))
	}
	if !slices.Equal(edgeKeys(d.MembersRemoved), edgeKeys(ch.MembersRemoved)) {
		t.Fatalf("members removed %v\nwant %v", edgeKeys(d.MembersRemoved), edgeKeys(ch.MembersRemoved))
	}
	var gotGroups []string
	for _, g := range d.Groups {
		gotGroups = append(gotGroups, g.ID)
	}
	for _, id := range append(ch.AddedGroups, ch.UpdatedGroups...) {
		if !slices.Contains(gotGroups, id) {
			t.Fatalf("group %s added or renamed but not in the delta", id)
		}
	}
	if len(ch.AddedUsers)+len(ch.UpdatedUsers)+len(ch.RemovedUsers) == 0 || len(ch.MembersAdded) == 0 {
		t.Fatalf("the mutation did too little to test: %+v", ch)
	}
	// Nothing changed since: the next round is empty.
	d2, err := e.reader.ReadDelta(ctx, d.Links, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d2.Users)+len(d2.RemovedUsers)+len(d2.Groups)+len(d2.MembersAdded)+len(d2.MembersRemoved) != 0 {
		t.Fatalf("empty round returned %+v", d2)
	}
}

func TestExpiredDeltaFallsBackToFullRead(t *testing.T) {
	e := setup(t, tenant.Spec{Seed: 13, Users: 200, Groups: 10}, graph.Options{}, Config{})
	ctx := context.Background()
	_, links, err := e.reader.ReadFull(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireDeltaTokens()
	_, err = e.reader.ReadDelta(ctx, links, nil)
	if apperr.CodeOf(err) != apperr.GraphDeltaExpired {
		t.Fatalf("want %s, got %v", apperr.GraphDeltaExpired, err)
	}
	if _, err := e.reader.ReadDelta(ctx, directory.DeltaLinks{}, nil); apperr.CodeOf(err) != apperr.GraphDeltaExpired {
		t.Fatalf("no links: %v", err)
	}
	snap, links, err := e.reader.ReadFull(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertSnapshot(t, snap, e.tenant.Snapshot())
	if _, err := e.reader.ReadDelta(ctx, links, nil); err != nil {
		t.Fatalf("fresh links: %v", err)
	}
}

func TestThrottlingIsHonoured(t *testing.T) {
	// In a synctest bubble, the emulator in-process: Retry-After and the pacing pass in fake time.
	synctest.Test(t, func(t *testing.T) {
		// 8 units per second: the read needs about 25 units, so the bucket empties and Graph
		// answers 429 with Retry-After, which kiota sleeps through.
		e := setupInProcess(t, tenant.Spec{Seed: 14, Users: 300, Groups: 30, LargeGroup: 200},
			graph.Options{ThrottleLimit: 8, ThrottleWindow: time.Second, DeltaPageSize: 25}, Config{PageSize: 50})
		start := time.Now()
		snap, _, err := e.reader.ReadFull(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		assertSnapshot(t, snap, e.tenant.Snapshot())
		sc, rc := e.srv.Counters(), e.reader.Counters()
		if sc.Throttled == 0 || rc.Throttled != int64(sc.Throttled) {
			t.Fatalf("server throttled %d, reader saw %d", sc.Throttled, rc.Throttled)
		}
		// Every 429 was followed by a wait of at least its Retry-After (≥ 1 s here).
		if time.Since(start) < time.Second {
			t.Fatalf("read with %d 429s took only %v: Retry-After not honoured", sc.Throttled, time.Since(start))
		}
		t.Logf("%d requests, %d throttled, %d units, %v", sc.Requests, sc.Throttled, sc.Units, time.Since(start))
	})
}

func TestFaultsAreRetried(t *testing.T) {
	// In a synctest bubble, the emulator in-process: the retries' waits pass in fake time, and an
	// injected reset is the transport error of a closed connection (emutest.InProcess).
	synctest.Test(t, func(t *testing.T) {
		e := setupInProcess(t, tenant.Spec{Seed: 15, Users: 400, Groups: 20},
			graph.Options{Faults: graph.Faults{Seed: 3, Rate429: 0.1, Rate503: 0.1, Rate504: 0.05, RateReset: 0.05}, DeltaPageSize: 40},
			Config{PageSize: 100, Concurrency: 1})
		snap, _, err := e.reader.ReadFull(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		assertSnapshot(t, snap, e.tenant.Snapshot())
		if c := e.srv.Counters(); c.Faults == 0 {
			t.Fatalf("no faults injected: %+v", c)
		}
	})
}

func TestFaultsAreReported(t *testing.T) {
	cases := []struct {
		faults graph.Faults
		code   apperr.Code
	}{
		{graph.Faults{Rate503: 1}, apperr.GraphUnavailable},
		{graph.Faults{Rate429: 1}, apperr.GraphThrottled},
		{graph.Faults{RateReset: 1}, apperr.GraphUnavailable},
		{graph.Faults{RateTruncate: 1}, apperr.GraphBadResponse},
	}
	for _, tc := range cases {
		// The retries' waits in fake time; the reset a closed connection, as in TestFaultsAreRetried.
		synctest.Test(t, func(t *testing.T) {
			e := setupInProcess(t, tenant.Spec{Seed: 16, Users: 20, Groups: 3}, graph.Options{Faults: tc.faults}, Config{MaxRetries: 1, NetworkRetries: 1})
			_, _, err := e.reader.ReadFull(context.Background(), nil)
			if apperr.CodeOf(err) != tc.code || !strings.Contains(err.Error(), "GET /organization") {
				t.Errorf("%+v: got %v, want %s naming the request", tc.faults, err, tc.code)
			}
		})
	}
}

func TestPermissionsAndTokens(t *testing.T) {
	synctest.Test(t, testPermissionsAndTokens) // the emulator in-process; its waits in fake time
}

func testPermissionsAndTokens(t *testing.T) {
	ctx := context.Background()
	verify := graph.StaticTokens(map[string]graph.Principal{
		token:     {AppID: "a"},
		"nousers": {AppID: "a", Scopes: []string{"User.Read", "GroupMember.Read.All", "Domain.Read.All"}},
		// The three permissions IdP Sync asks for, without the registration's default User.Read
		// that GET /organization needs (organization-get).
		"nouserread": {AppID: "a", Scopes: []string{"User.Read.All", "GroupMember.Read.All", "Domain.Read.All"}},
	})
	e := setupInProcess(t, tenant.Spec{Seed: 17, Users: 20, Groups: 3}, graph.Options{Verify: verify}, Config{Tokens: StaticToken("", "graph.test")})
	_, _, err := e.reader.ReadFull(ctx, nil)
	if apperr.CodeOf(err) != apperr.GraphPermission || !strings.Contains(err.Error(), "401") {
		t.Fatalf("no token: %v", err)
	}
	e = setupInProcess(t, tenant.Spec{Seed: 17, Users: 20, Groups: 3}, graph.Options{Verify: verify}, Config{Tokens: StaticToken("nousers", "graph.test")})
	_, _, err = e.reader.ReadFull(ctx, nil)
	if apperr.CodeOf(err) != apperr.GraphPermission || !strings.Contains(err.Error(), "User.Read.All") {
		t.Fatalf("missing User.Read.All: %v", err)
	}
	e = setupInProcess(t, tenant.Spec{Seed: 17, Users: 20, Groups: 3}, graph.Options{Verify: verify}, Config{Tokens: StaticToken("nouserread", "graph.test")})
	_, _, err = e.reader.ReadTenant(ctx)
	if ae := apperr.As(err); ae == nil || ae.Code != apperr.GraphPermission || !strings.Contains(ae.Message, "GET /organization") || !strings.Contains(ae.Action, "User.Read") || strings.Contains(ae.Action, "User.Read.All") {
		t.Fatalf("missing User.Read: %v", err)
	}
	// A token provider that would not send the token to the configured host is refused up front.
	_, err = New(Config{BaseURL: e.reader.cfg.BaseURL, Tokens: StaticToken(token)})
	if apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("host outside the allowed list: %v", err)
	}
}

func TestPageSizeLimit(t *testing.T) {
	e := setup(t, tenant.Spec{Seed: 18, Users: 20, Groups: 3}, graph.Options{}, Config{})
	ctx := context.Background()
	for _, top := range []int32{999, 1000} {
		info, err := users.NewUsersRequestBuilderInternal(map[string]string{}, e.reader.adapter).ToGetRequestInformation(ctx,
			&users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top}})
		if err != nil {
			t.Fatal(err)
		}
		var page userPage
		err = e.reader.send(ctx, request{name: "GET /users", perm: permUsers, info: info, decode: jsonInto(&page)})
		switch {
		case top == 999 && err != nil:
			t.Fatalf("$top=999: %v", err)
		case top == 1000 && (apperr.CodeOf(err) != apperr.GraphBadResponse || !strings.Contains(err.Error(), "Must be between 1 and 999")):
			t.Fatalf("$top=1000: %v", err)
		}
	}
}
