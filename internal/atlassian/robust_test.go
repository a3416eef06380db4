package atlassian_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// sameAnswerServer answers every request with 200 and body as contentType, and counts the
// requests; its URL is a loopback TLS host the clients accept with AllowCustomHost.
func sameAnswerServer(t *testing.T, contentType, body string) (url string, tr http.RoundTripper, calls *int) {
	t.Helper()
	calls = new(int)
	var mu sync.Mutex
	hs, a := emutest.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*calls++
		mu.Unlock()
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	}))
	return hs.URL, a.Transport(), calls
}

// lyingServer answers every list with the given page, whatever startIndex says.
func lyingServer(t *testing.T, page string) (*atlassian.SCIM, *int) {
	t.Helper()
	u, tr, calls := sameAnswerServer(t, "application/scim+json", page)
	c, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: u + "/scim/directory/x", APIKey: "k", Transport: tr,
		AllowCustomHost: true, LimiterConfig: atlassian.LimiterConfig{Initial: 5000, Max: 5000}})
	if err != nil {
		t.Fatal(err)
	}
	return c, calls
}

func TestPagingGuards(t *testing.T) {
	ctx := context.Background()
	// Claims a million users but returns an empty page: stop, do not spin.
	c, calls := lyingServer(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1000000,"Resources":[]}`)
	if err := c.ListUsers(ctx, func(atlassian.User) error { return nil }); err != nil || *calls != 1 {
		t.Fatalf("empty page: %v after %d calls", err, *calls)
	}
	// Ignores startIndex and repeats the same page forever: detected on the second page.
	c, calls = lyingServer(t, `{"totalResults":1000000,"Resources":[{"id":"u1","userName":"a@x.com"},{"id":"u2","userName":"b@x.com"}]}`)
	err := c.ListUsers(ctx, func(atlassian.User) error { return nil })
	if apperr.CodeOf(err) != apperr.AtlassianBadResponse || *calls != 2 {
		t.Fatalf("repeating server: %v after %d calls", err, *calls)
	}
	// A list without totalResults is not a SCIM list response.
	c, _ = lyingServer(t, `{"Resources":[]}`)
	if err := c.ListGroups(ctx, func(atlassian.Group) error { return nil }); apperr.CodeOf(err) != apperr.AtlassianBadResponse {
		t.Fatalf("no totalResults: %v", err)
	}
	// A resource without an id is not a SCIM resource.
	c, _ = lyingServer(t, `{"totalResults":1,"Resources":[{"userName":"a@x.com"}]}`)
	if err := c.ListUsers(ctx, func(atlassian.User) error { return nil }); apperr.CodeOf(err) != apperr.AtlassianBadResponse {
		t.Fatalf("no id: %v", err)
	}
}

// TestRandomFaultsWorkload runs a small sync-like workload against an emulator that fails one
// request in five (5xx), resets one in twenty and throttles: every operation completes.
func TestRandomFaultsWorkload(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{FaultRate: 0.2, ResetRate: 0.05, RateLimit: 300, Burst: 20, RetryAfter: 20 * time.Millisecond, Seed: 42})
	cfg := fastCfg(s)
	cfg.Retry.MaxRetries = 10
	c := newClient(t, cfg)
	ctx := context.Background()
	g, err := c.CreateGroup(ctx, "Everyone", "grp-everyone")
	for err != nil && apperr.CodeOf(err) == apperr.AtlassianConflict { // a retried POST may have landed
		g, _, err = c.CreateOrAdoptGroup(ctx, "Everyone", "grp-everyone")
	}
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				n := fmt.Sprintf("f%d-%d@contoso.com", w, i)
				u, _, err := c.CreateOrAdoptUser(ctx, atlassian.User{UserName: n, Email: n, ExternalID: n, Active: true})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, u.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := c.AddMembers(ctx, g.ID, ids); err != nil {
		t.Fatal(err)
	}
	st := s.State()
	eg, _ := st.GroupByName("Everyone")
	if len(st.Users) != 60 || len(eg.Members) != 60 {
		t.Fatalf("%d users, %d members", len(st.Users), len(eg.Members))
	}
	cs := c.Stats()
	t.Logf("client %+v; emulator 5xx=%d resets=%d 429=%d", cs, s.StatusCount(500)+s.StatusCount(503)+s.StatusCount(504), s.StatusCount(0), s.StatusCount(429))
	if cs.Retries == 0 || cs.ServerErrors == 0 {
		t.Fatal("the faults did not happen")
	}
}
