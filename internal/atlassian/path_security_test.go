package atlassian_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// Issue 14 point 12: an Atlassian id goes into a request path escaped exactly once, and an id
// that is empty, "." or ".." is refused with a code before any request, for every call that
// puts an id in the path. Checked on the request line the server received.
func TestIssue14_12_IDsInPathsEscapedOnceAndDotSegmentsRefused(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv, a := emutest.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.RequestURI)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/scim+json")
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"x","displayName":"x","userName":"x@contoso.com","active":true}`))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	c, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: srv.URL + "/scim/directory/d-1", APIKey: "k", Transport: a.Transport(), AllowCustomHost: true,
		Retry: atlassian.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := map[string]func(id string) error{
		"GetUser": func(id string) error { _, err := c.GetUser(ctx, id); return err },
		"PatchUser": func(id string) error {
			return c.PatchUser(ctx, id, []atlassian.PatchOp{{Op: "replace", Path: "title", Value: "x"}})
		},
		"SetActive":  func(id string) error { return c.SetActive(ctx, id, false) },
		"GetGroup":   func(id string) error { _, err := c.GetGroup(ctx, id); return err },
		"AddMembers": func(id string) error { return c.AddMembers(ctx, id, []string{"u1"}) },
		"Remove":     func(id string) error { return c.RemoveMembers(ctx, id, []string{"u1"}) },
		"DeleteGrp":  func(id string) error { return c.DeleteGroup(ctx, id) },
	}
	for name, call := range calls {
		for id, want := range map[string]string{
			"a b":     "/a%20b",
			"a/b":     "/a%2Fb",
			"%41":     "/%2541",
			"ü?#":     "/%C3%BC%3F%23",
			"..x":     "/..x",
			"c0ffee1": "/c0ffee1",
		} {
			mu.Lock()
			got = got[:0]
			mu.Unlock()
			if err := call(id); err != nil {
				t.Errorf("%s(%q): %v", name, id, err)
				continue
			}
			mu.Lock()
			if len(got) == 0 || !strings.HasSuffix(got[0], want) || strings.Contains(got[0], "%25") != strings.Contains(id, "%") {
				t.Errorf("%s(%q) sent %q, want a path ending %q", name, id, got, want)
			}
			mu.Unlock()
		}
		for _, id := range []string{"..", ".", ""} {
			mu.Lock()
			got = got[:0]
			mu.Unlock()
			err := call(id)
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if apperr.CodeOf(err) != apperr.InvalidInput || n != 0 {
				t.Errorf("%s(%q): %v with %d requests sent, want invalid_input and none", name, id, err, n)
			}
		}
	}
}
