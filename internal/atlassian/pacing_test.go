package atlassian_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

type pacingRun struct {
	requests, throttled, answered int
	elapsed                       time.Duration
	limiter                       atlassian.LimiterStats
}

// share is the fraction of requests answered 429; used, the fraction of what the bucket allowed
// over the run (its first full bucket plus the refill) that was answered.
func (r pacingRun) share() float64 { return float64(r.throttled) / float64(r.requests) }
func (r pacingRun) used(limit float64) float64 {
	return float64(r.answered) / (limit + limit*r.elapsed.Seconds())
}

// runPaced creates users with the engine's 32 operations in flight, through the shipped limiter
// defaults, against an emulator limiting at limit requests/s (a bucket of one second, Retry-After
// in whole seconds, 20 ms latency) for about 40 s of fake time.
func runPaced(t *testing.T, limit float64, headers bool) pacingRun {
	var out pacingRun
	synctest.Test(t, func(t *testing.T) {
		s, err := emu.New(emu.Options{RateLimit: limit, Latency: 20 * time.Millisecond, NoRequestLog: true, RateLimitHeaders: headers})
		if err != nil {
			t.Fatal(err)
		}
		c, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: "https://atlassian.test/scim/directory/" + s.DirectoryID(), APIKey: s.APIKey(),
			Transport: emutest.InProcess{Handler: s}, AllowCustomHost: true})
		if err != nil {
			t.Fatal(err)
		}
		total := int(limit * 40)
		start := time.Now()
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for i := range jobs {
					n := fmt.Sprintf("pace%d@contoso.com", i)
					if _, err := c.CreateUser(context.Background(), atlassian.User{UserName: n, Email: n, Active: true}); err != nil {
						t.Errorf("create %d: %v", i, err)
					}
				}
			})
		}
		for i := range total {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		out.elapsed = time.Since(start)
		st := c.Stats()
		out.requests, out.throttled, out.answered = int(st.Requests), s.StatusCount(429), s.StatusCount(201)
		out.limiter = c.Limiter().Stats()
		if out.answered != total || int(st.Throttled) != out.throttled {
			t.Fatalf("%d of %d created; 429s: emulator %d, client %d", out.answered, total, out.throttled, st.Throttled)
		}
	})
	return out
}

// The shipped pacing stays under the service's limit: at 20, 100 and 1,000 requests/s at most
// 5 % of requests are answered 429 (issue 18: the old AIMD limiter, +200/s per second of
// successes, had 47 % answered 429 at 20/s), while it still uses most of what the service
// allows (a limiter that merely crawls would pass the first check). Fake time: nothing here
// depends on the machine's speed, but every request is real work: 40 s at 1,000/s is 40,000
// requests, 22–27 s of CPU under -race, nine tenths of this test. So 1,000/s runs once, without
// the rate-limit headers, where the limiter must find the limit through 429s near the bound of 32
// requests in flight (1,600/s at 20 ms); with the headers the limit is read from them rather than
// found, and 20 and 100/s prove that path (the bench's -pacing runs measure 1,000/s with the
// emulator's headers; this case measured 0 % answered 429 and 89 % used before it was cut).
func TestLimiterStaysUnderTheLimit(t *testing.T) {
	for _, limit := range []float64{20, 100, 1000} {
		for _, headers := range []bool{false, true} {
			if limit == 1000 && headers {
				continue
			}
			t.Run(fmt.Sprintf("%.0f/s headers=%v", limit, headers), func(t *testing.T) {
				r := runPaced(t, limit, headers)
				t.Logf("%d requests, %d answered 429 (%.2f %%), %.1f s, %.0f %% of the limit used; limiter %+v",
					r.requests, r.throttled, 100*r.share(), r.elapsed.Seconds(), 100*r.used(limit), r.limiter)
				if r.share() > 0.05 {
					t.Errorf("%.1f %% of requests answered 429 (at most 5 %%)", 100*r.share())
				}
				if u := r.used(limit); u < 0.85 {
					t.Errorf("only %.0f %% of the limit used (at least 85 %%)", 100*u)
				}
			})
		}
	}
}

// Atlassian's headers in the forms its pages show: ISO 8601 with seconds (admin APIs) and
// Jira's yyyy-MM-ddTHH:mmZ; unreadable values count as absent, never as zero.
func TestParseRateHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "350")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", "2026-06-05T06:00Z")
	h.Set("X-RateLimit-NearLimit", "true")
	r := atlassian.ParseRateHeaders(h)
	if r.Limit != 350 || r.Remaining != 0 || !r.NearLimit || !r.Reset.Equal(time.Date(2026, 6, 5, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", r)
	}
	h.Set("X-RateLimit-Reset", "2026-06-05T06:00:01.250Z")
	if r := atlassian.ParseRateHeaders(h); !r.Reset.Equal(time.Date(2026, 6, 5, 6, 0, 1, 250e6, time.UTC)) {
		t.Fatalf("%+v", r)
	}
	h = http.Header{}
	h.Set("X-RateLimit-Remaining", "many")
	h.Set("X-RateLimit-Reset", "soon")
	if r := atlassian.ParseRateHeaders(h); r.Remaining != -1 || !r.Reset.IsZero() || r.Limit != 0 {
		t.Fatalf("unreadable headers read as %+v", r)
	}
}

// A 429 for a request sent before the last cut was already answered by it: 32 requests in
// flight throttled together cut the rate once, not 32 times (the old limiter halved per burst
// window and then pushed everyone into a shared pause).
func TestLimiterCutsOncePerSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := atlassian.NewLimiter(atlassian.LimiterConfig{Initial: 100})
		throttleInFlight(t, l, 32)
		if st := l.Stats(); st.Cuts != 1 || st.Throttles != 32 || st.Rate != 70 {
			t.Fatalf("%+v", st)
		}
	})
}

// A spent budget (X-RateLimit-Remaining 0) holds every request until X-RateLimit-Reset, so the
// service is not asked for what it already said it will refuse.
func TestLimiterWaitsForTheReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := atlassian.NewLimiter(atlassian.LimiterConfig{Initial: 1000})
		reset := time.Now().Add(1500 * time.Millisecond)
		l.Observe(atlassian.RateHeaders{Limit: 100, Remaining: 0, Reset: reset}, false)
		tk, err := l.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tk.Sent.Before(reset) || time.Now().Before(reset) {
			t.Fatalf("sent at %v, before the reset at %v", tk.Sent, reset)
		}
		// The next period's reset gives the period (1 s) and so the limit: 100 per second.
		l.Observe(atlassian.RateHeaders{Limit: 100, Remaining: 99, Reset: reset.Add(time.Second)}, false)
		if st := l.Stats(); st.Limit != 100 || st.Rate > 95 {
			t.Fatalf("%+v", st)
		}
	})
}

// A limit learned by an earlier run starts the next one just under it, without a slow start
// that would find it again through 429s.
func TestLimiterStartsUnderALearnedLimit(t *testing.T) {
	r := atlassian.NewLimiter(atlassian.LimiterConfig{Learned: 400}).Stats()
	if r.Rate != 380 || r.Limit != 400 {
		t.Fatalf("%+v", r)
	}
	if r := atlassian.NewLimiter(atlassian.LimiterConfig{}).Stats(); r.Rate != 50 || r.Limit != 0 {
		t.Fatalf("defaults: %+v", r)
	}
}

// Each new limit is told to OnLimit (once per change, not per 429), so a run can keep it for the
// directory's next run.
func TestLimiterTellsItsLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var told []float64
		l := atlassian.NewLimiter(atlassian.LimiterConfig{Initial: 100, OnLimit: func(v float64) { told = append(told, v) }})
		throttleInFlight(t, l, 8) // one cut: 70/s, so a limit of 70/0.95
		if len(told) != 1 || told[0] != l.Stats().Limit || told[0] <= 0 {
			t.Fatalf("told %v, limit %v", told, l.Stats().Limit)
		}
		reset := time.Now().Add(time.Second)
		l.Observe(atlassian.RateHeaders{Limit: 50, Remaining: 10, Reset: reset}, false)
		l.Observe(atlassian.RateHeaders{Limit: 50, Remaining: 9, Reset: reset.Add(time.Second)}, false)
		l.Observe(atlassian.RateHeaders{Limit: 50, Remaining: 8, Reset: reset.Add(2 * time.Second)}, false)
		if len(told) != 2 || told[1] != 50 {
			t.Fatalf("told %v, want the headers' 50/s once more", told)
		}
	})
}

// throttleInFlight sends n requests and has all n answered 429 20 ms later.
func throttleInFlight(t *testing.T, l *atlassian.Limiter, n int) {
	t.Helper()
	var inFlight []atlassian.Ticket
	for range n {
		tk, err := l.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		inFlight = append(inFlight, tk)
	}
	time.Sleep(20 * time.Millisecond)
	for _, tk := range inFlight {
		l.OnThrottle(tk)
	}
}
