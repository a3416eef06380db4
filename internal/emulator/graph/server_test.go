package graph

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/identity"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

func start(t *testing.T, opts Options) (*Server, *http.Client) {
	t.Helper()
	if opts.Tenant == nil {
		opts.Tenant = tenant.Generate(tenant.Spec{Seed: 5, Users: 120, Groups: 12})
	}
	s := New(opts)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	a, err := loopbacktls.Shared()
	if err != nil {
		t.Fatal(err)
	}
	return s, a.Client()
}

func get(t *testing.T, c *http.Client, url, token string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: body is not JSON: %v", url, err)
	}
	return resp.StatusCode, resp.Header, body
}

func errorCode(t *testing.T, body map[string]any) string {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no OData error in %v", body)
	}
	inner, ok := e["innerError"].(map[string]any)
	if !ok || inner["request-id"] == "" || inner["date"] == "" || inner["client-request-id"] == nil {
		t.Fatalf("innerError incomplete: %v", e)
	}
	return e["code"].(string)
}

func TestStrictQueriesAndErrors(t *testing.T) {
	s, c := start(t, Options{})
	base := s.URL() + "/v1.0"
	cases := []struct {
		path, token string
		status      int
		code        string
	}{
		{"/users", "", 401, "InvalidAuthenticationToken"},
		{"/users?$top=1000", "t", 400, "Request_BadRequest"},
		{"/users?$top=0", "t", 400, "Request_BadRequest"},
		{"/users?$select=id,favouriteColour", "t", 400, "Request_BadRequest"},
		{"/users?$bogus=1", "t", 400, "Request_BadRequest"},
		{"/groups/delta?$top=5", "t", 400, "Request_UnsupportedQuery"},
		{"/groups?$expand=members", "t", 400, "Request_UnsupportedQuery"},
		{"/users/delta()?$deltatoken=garbage", "t", 400, "Request_BadRequest"},
		{"/nothing", "t", 400, "BadRequest"},
		{"/users/00000000-0000-0000-0000-000000000000", "t", 404, "Request_ResourceNotFound"},
	}
	for _, tc := range cases {
		st, _, body := get(t, c, base+tc.path, tc.token)
		if st != tc.status || errorCode(t, body) != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.path, st, body, tc.status, tc.code)
		}
	}
	// Default properties omit accountEnabled; $select brings it.
	_, _, body := get(t, c, base+"/users?$top=2", "t")
	u := body["value"].([]any)[0].(map[string]any)
	if _, ok := u["accountEnabled"]; ok {
		t.Errorf("default user properties include accountEnabled: %v", u)
	}
	_, _, body = get(t, c, base+"/users?$top=2&$select=id,accountEnabled,userType", "t")
	u = body["value"].([]any)[0].(map[string]any)
	if _, ok := u["accountEnabled"]; !ok || len(u) != 3 {
		t.Errorf("$select not applied: %v", u)
	}
	if !strings.HasPrefix(body["@odata.nextLink"].(string), s.URL()+"/v1.0/users?") {
		t.Errorf("nextLink not absolute: %v", body["@odata.nextLink"])
	}
}

func TestPagingReturnsEveryUserOnce(t *testing.T) {
	s, c := start(t, Options{})
	seen := map[string]bool{}
	url := s.URL() + "/v1.0/users?$top=7&$select=id"
	pages := 0
	for url != "" {
		_, _, body := get(t, c, url, "t")
		for _, v := range body["value"].([]any) {
			id := v.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("user %s twice", id)
			}
			seen[id] = true
		}
		url, _ = body["@odata.nextLink"].(string)
		pages++
	}
	if len(seen) != 120 || pages != 18 {
		t.Fatalf("%d users over %d pages", len(seen), pages)
	}
}

func TestThrottlingAndPermissions(t *testing.T) {
	// 5 units an hour: at 5 per 2 s (the old window) the bucket won a unit back in 0.4 s, and a
	// third /users sent that long after the first was answered 200 instead of 429.
	s, c := start(t, Options{ThrottleLimit: 5, ThrottleWindow: time.Hour,
		Verify: StaticTokens(map[string]Principal{"full": {AppID: "a"}, "nousers": {AppID: "b", Scopes: []string{"GroupMember.Read.All"}},
			"nouserread": {AppID: "c", Scopes: []string{"User.Read.All", "GroupMember.Read.All", "Domain.Read.All"}},
			"userread":   {AppID: "d", Scopes: []string{"User.Read", "User.Read.All"}}})})
	base := s.URL() + "/v1.0"
	st, _, body := get(t, c, base+"/users", "nousers")
	if st != 403 || errorCode(t, body) != "Authorization_RequestDenied" {
		t.Fatalf("missing scope: %d %v", st, body)
	}
	if st, _, _ := get(t, c, base+"/users", "unknown"); st != 401 {
		t.Fatalf("unknown token: %d", st)
	}
	// /users costs 2: two pass, the third finds 1 unit left and is throttled.
	for i := 0; i < 2; i++ {
		if st, h, _ := get(t, c, base+"/users", "full"); st != 200 || h.Get("x-ms-resource-unit") != "2" {
			t.Fatalf("request %d: %d units %s", i, st, h.Get("x-ms-resource-unit"))
		}
	}
	st, h, body := get(t, c, base+"/users", "full")
	if st != 429 || h.Get("Retry-After") == "" || errorCode(t, body) != "TooManyRequests" {
		t.Fatalf("want 429 with Retry-After, got %d %v %v", st, h, body)
	}
	if c := s.Counters(); c.Throttled != 1 || c.Units != 4 {
		t.Fatalf("counters %+v", c)
	}
	// GET /organization needs User.Read (or a directory/organization read permission): the
	// organization-get permission table. User.Read.All is not among them.
	if st, _, body := get(t, c, base+"/organization", "nouserread"); st != 403 || errorCode(t, body) != "Authorization_RequestDenied" {
		t.Fatalf("organization without User.Read: %d %v", st, body)
	}
	if st, _, _ := get(t, c, base+"/organization", "userread"); st != 200 {
		t.Fatalf("organization with User.Read: %d", st)
	}
}

func TestBatchGzipAndPerItemThrottling(t *testing.T) {
	s, c := start(t, Options{ThrottleLimit: 3, ThrottleWindow: time.Minute})
	var reqs []map[string]any
	for i := 0; i < 5; i++ {
		reqs = append(reqs, map[string]any{"id": string(rune('a' + i)), "method": "GET", "url": "/organization"})
	}
	raw, _ := json.Marshal(map[string]any{"requests": reqs})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v1.0/$batch", &gz)
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Responses []batchResponse `json:"responses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("batch: %d %v", resp.StatusCode, err)
	}
	var ok, throttled int
	for _, r := range out.Responses {
		switch r.Status {
		case 200:
			ok++
		case 429:
			throttled++
		}
	}
	if ok != 3 || throttled != 2 {
		t.Fatalf("batch items: %d ok %d throttled (%+v)", ok, throttled, out.Responses)
	}
	reqs = append(reqs, reqs...)
	reqs = append(reqs, reqs...)
	reqs = append(reqs, reqs[0])
	for i := range reqs {
		reqs[i] = map[string]any{"id": string(rune('A' + i)), "method": "GET", "url": "/organization"}
	}
	raw, _ = json.Marshal(map[string]any{"requests": reqs})
	req, _ = http.NewRequest(http.MethodPost, s.URL()+"/v1.0/$batch", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer t")
	resp2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != 400 || !strings.Contains(string(b), "maximum of 20") {
		t.Fatalf("21 requests: %d %s", resp2.StatusCode, b)
	}
}

func TestGroupsDeltaSpansPagesAndReflectsMutations(t *testing.T) {
	tn := tenant.Generate(tenant.Spec{Seed: 9, Users: 300, Groups: 6, LargeGroup: 250})
	s, c := start(t, Options{Tenant: tn, DeltaPageSize: 50})
	url := s.URL() + "/v1.0/groups/delta()?$select=id,displayName,members"
	members := map[string]int{}
	var deltaLink string
	for url != "" {
		_, _, body := get(t, c, url, "t")
		for _, v := range body["value"].([]any) {
			g := v.(map[string]any)
			ms, _ := g["members@delta"].([]any)
			members[g["id"].(string)] += len(ms)
		}
		url, _ = body["@odata.nextLink"].(string)
		deltaLink, _ = body["@odata.deltaLink"].(string)
	}
	snap := tn.Snapshot()
	for id, ms := range snap.Members {
		if members[id] != len(ms) {
			t.Errorf("group %s: %d members over pages, want %d", id, members[id], len(ms))
		}
	}
	if deltaLink == "" {
		t.Fatal("no deltaLink")
	}
	_, _, body := get(t, c, deltaLink, "t")
	if n := len(body["value"].([]any)); n != 0 {
		t.Fatalf("delta without changes returned %d groups", n)
	}
	s.ExpireDeltaTokens()
	st, _, body := get(t, c, deltaLink, "t")
	if st != 410 || errorCode(t, body) != "syncStateNotFound" {
		t.Fatalf("expired token: %d %v", st, body)
	}
}

func TestIdentityVerifierRefusesForeignTokens(t *testing.T) {
	id, err := identity.New(identity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = id.Close() })
	s, c := start(t, Options{Verify: IdentityVerifier(id)})
	st, _, body := get(t, c, s.URL()+"/v1.0/organization", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
	if st != 401 || errorCode(t, body) != "InvalidAuthenticationToken" {
		t.Fatalf("forged token: %d %v", st, body)
	}
}

func TestLatencyKnob(t *testing.T) {
	s, c := start(t, Options{})
	s.SetLatency(80 * time.Millisecond)
	begin := time.Now()
	if st, _, _ := get(t, c, s.URL()+"/v1.0/organization", "t"); st != 200 {
		t.Fatalf("status %d", st)
	}
	if d := time.Since(begin); d < 80*time.Millisecond {
		t.Fatalf("request took %v with 80ms latency", d)
	}
	if log := s.Log(); len(log) != 1 || log[0].Status != 200 || log[0].Units != 1 {
		t.Fatalf("log %+v", log)
	}
}
