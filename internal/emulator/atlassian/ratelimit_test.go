package atlassian

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"
)

// With RateLimitHeaders the limit is fixed periods, described by the headers Atlassian's admin
// APIs document: X-RateLimit-Limit per period, -Remaining in it, -Reset at its end; a 429's
// Reset is its time plus Retry-After (Jira's rate-limiting page).
func TestRateLimitHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Options{RateLimit: 3, Burst: 3, RateLimitHeaders: true, NoRequestLog: true})
		if err != nil {
			t.Fatal(err)
		}
		get := func() *http.Response {
			req := httptest.NewRequest("GET", "https://atlassian.test/scim/directory/"+s.DirectoryID()+"/Users", nil)
			req.Header.Set("Authorization", "Bearer "+s.APIKey())
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			return rec.Result()
		}
		start := time.Now()
		periodEnd := start.Add(time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
		for _, want := range []string{"2", "1", "0"} {
			r := get()
			if r.StatusCode != 200 || r.Header.Get("X-RateLimit-Limit") != "3" || r.Header.Get("X-RateLimit-Remaining") != want ||
				r.Header.Get("X-RateLimit-Reset") != periodEnd {
				t.Fatalf("%d %v", r.StatusCode, r.Header)
			}
		}
		time.Sleep(400 * time.Millisecond)
		r := get()
		if r.StatusCode != 429 || r.Header.Get("Retry-After") != "1" || r.Header.Get("X-RateLimit-Remaining") != "0" ||
			r.Header.Get("X-RateLimit-Reset") != time.Now().Add(time.Second).UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Fatalf("over the limit: %d %v", r.StatusCode, r.Header)
		}
		time.Sleep(600 * time.Millisecond) // the next period
		r = get()
		if r.StatusCode != 200 || r.Header.Get("X-RateLimit-Remaining") != "2" ||
			r.Header.Get("X-RateLimit-Reset") != start.Add(2*time.Second).UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Fatalf("next period: %d %v", r.StatusCode, r.Header)
		}
		// Without the knob, no headers: the SCIM pages document none.
		s.opts.RateLimitHeaders = false
		if r := get(); r.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("headers without the knob: %v", r.Header)
		}
	})
}
