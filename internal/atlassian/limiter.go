package atlassian

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LimiterConfig sets the adaptive request rate. These defaults are the only ones: the backend,
// the headless commands and the bench all use them. Atlassian publishes no rate for the SCIM API
// (its admin APIs say only that every request is rate limited and answered 429 past the limit),
// so the limiter finds the limit and then stays just under it:
//
//   - while no limit is known it quadruples its rate every second it is the bottleneck (slow start);
//   - a 429 for a request sent after the last cut is a new signal: the rate is cut to 95 % of the
//     rate the service accepted since the previous cut when that is measurable, else by 30 %;
//     429s for requests sent before the cut were already answered by it and change nothing;
//   - under the learned limit it climbs back quickly, above it it probes by 1 % of the limit per
//     second, so that a raised limit is found without a burst of 429s;
//   - where Atlassian sends its rate-limit headers, X-RateLimit-Limit per period (the period is
//     the step between two X-RateLimit-Reset values) becomes the limit; a spent budget
//     (X-RateLimit-Remaining 0) pauses everyone until the reset; X-RateLimit-NearLimit stops
//     the probe for a second.
//
// Measured in fake time against the emulator's bucket of one second at 20, 100 and 1,000
// requests/s, 32 requests in flight, 20 ms latency, 40 s of work (TestLimiterStaysUnderTheLimit):
// 0.06–2.2 % of requests answered 429 and 91–96 % of the limit used without headers; with
// Atlassian's headers (20 and 100/s in the test, 1,000/s last measured before it left the test)
// 0–0.5 % and 88–92 % (the 5 % headroom and the slow start cost the rest).
type LimiterConfig struct {
	Initial  float64 // requests per second at start; default 50
	Min      float64 // floor after repeated 429s; default 0.5
	Max      float64 // ceiling, only against a runaway probe; default 5,000
	Increase float64 // least requests/s gained per second during slow start; default 10
	// Learned is a limit an earlier run found (0: unknown): the limiter starts just under it
	// and probes from there instead of starting slow.
	Learned float64
	// OnLimit, when set, is told each new limit the limiter learns (from a 429 or rate-limit
	// headers), outside its lock, so the caller can keep it for the next run (store.SetLearnedSCIMRate).
	OnLimit func(limit float64)
}

func (c LimiterConfig) withDefaults() LimiterConfig {
	if c.Initial <= 0 {
		c.Initial = 50
	}
	if c.Min <= 0 {
		c.Min = 0.5
	}
	if c.Max <= 0 {
		c.Max = 5000
	}
	if c.Max < c.Min {
		c.Max = c.Min
	}
	if c.Learned > 0 {
		c.Learned = math.Min(math.Max(c.Learned, c.Min), c.Max)
		c.Initial = c.Learned * headroom
	}
	c.Initial = math.Min(math.Max(c.Initial, c.Min), c.Max)
	if c.Increase <= 0 {
		c.Increase = 10
	}
	return c
}

const (
	headroom   = 0.95  // the rate kept under a learned limit
	probeSlope = 0.01  // above it: limit × probeSlope requests/s gained per second
	firstCut   = 0.7   // a cut without a measurable accepted rate
	slowStart  = 1.386 // ln 4: ×4 per second while no limit is known (50 → 1,000/s in 2.2 s)
	// A measured accepted rate needs this many answers and this long a stretch to be trusted.
	minSample     = 8
	minSampleTime = 150 * time.Millisecond
	// Past this since the previous cut the service's bucket may have refilled, so what it
	// accepted meanwhile says nothing about its rate.
	maxSampleTime = 5 * time.Second
)

// Limiter paces every request of the clients that share it (all goroutines of one SCIM client, by
// default). It is safe for concurrent use and observable, so benchmarks can report how the rate moved.
type Limiter struct {
	mu          sync.Mutex
	cfg         LimiterConfig
	rate        float64
	limit       float64   // the learned limit; 0 while none is known
	next        time.Time // the earliest start of the next request
	pausedUntil time.Time // set by a spent budget (X-RateLimit-Remaining 0): nobody sends before it
	lastCut     time.Time
	cutAt       int64         // successes when the last cut happened
	hold        time.Time     // X-RateLimit-NearLimit: no probing before it
	lastReset   time.Time     // the latest X-RateLimit-Reset seen
	period      time.Duration // the shortest step between two resets: the period's length
	documented  float64       // X-RateLimit-Limit ÷ period, once both are known
	lowest      float64
	throttles   int64
	cuts        int64
	successes   int64
	waited      time.Duration
}

// LimiterStats is a snapshot of a Limiter.
type LimiterStats struct {
	Rate      float64       // current requests per second
	Limit     float64       // the limit learned from 429s and rate-limit headers (0: none yet)
	Lowest    float64       // lowest rate reached
	Throttles int64         // 429s reported
	Cuts      int64         // times the rate was cut (429s of requests sent before a cut do not cut again)
	Successes int64         // successful requests reported
	Waited    time.Duration // total time callers spent waiting for a slot
}

// Ticket is one request's slot: when it was sent and whether the limiter held it back (only
// requests the limiter held back tell whether a higher rate would be accepted).
type Ticket struct {
	Sent  time.Time
	Paced bool
}

// NewLimiter returns a limiter with cfg's defaults filled in.
func NewLimiter(cfg LimiterConfig) *Limiter {
	cfg = cfg.withDefaults()
	return &Limiter{cfg: cfg, rate: cfg.Initial, lowest: cfg.Initial, limit: cfg.Learned}
}

// Wait blocks until the caller may send a request, or ctx ends. A slot reserved before a cut
// was spaced at the old rate: its holder reserves again at the new one rather than send it.
func (l *Limiter) Wait(ctx context.Context) (Ticket, error) {
	var waited time.Duration
	for {
		l.mu.Lock()
		now := time.Now()
		start := now
		if l.next.After(start) {
			start = l.next
		}
		if l.pausedUntil.After(start) {
			start = l.pausedUntil
		}
		l.next = start.Add(time.Duration(float64(time.Second) / l.rate))
		d := start.Sub(now)
		l.waited += d
		cuts := l.cuts
		l.mu.Unlock()
		waited += d
		if err := sleep(ctx, d); err != nil {
			return Ticket{}, err
		}
		l.mu.Lock()
		again := l.cuts != cuts
		l.mu.Unlock()
		if !again {
			return Ticket{Sent: start, Paced: waited > 0}, nil
		}
	}
}

// OnSuccess records an answered request and, when the limiter held it back, raises the rate:
// by slow start while no limit is known, quickly back to just under a learned limit, and by a
// slow probe above it.
func (l *Limiter) OnSuccess(t Ticket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.successes++
	if !t.Paced {
		return // the limiter was not the bottleneck: this answer says nothing about a higher rate
	}
	var perSecond float64
	switch {
	case l.documented > 0 && l.rate >= l.documented*headroom, time.Now().Before(l.hold):
		return // the service said how much it allows, or that little is left
	case l.limit == 0:
		perSecond = math.Max(l.rate*slowStart, l.cfg.Increase)
	case l.rate < l.limit*headroom:
		perSecond = l.limit * headroom // back under the limit within about a second
	default:
		// The probe doubles its slope every 10 s without a cut, so that a limit learned from a
		// passing storm of 429s, or raised since, is left behind within a minute.
		quiet := time.Since(l.lastCut).Seconds()
		perSecond = l.limit * probeSlope * math.Exp2(math.Min(quiet/10, 10))
	}
	// The learned limit is not raised with the rate: a request held back by the limiter may
	// still be one of a burst the service's bucket absorbed, so only the next 429 or the
	// headers say what the limit is now.
	l.rate = math.Min(l.cfg.Max, l.rate+perSecond/l.rate)
}

// OnThrottle records a 429 for the request sent with t. A request sent after the last cut means
// the rate is still too high: it is cut to just under what the service accepted since that cut
// (its bucket was empty then, so that is its rate), or by 30 % when there is too little to measure.
// The caller waits out the request's own Retry-After before sending it again.
func (l *Limiter) OnThrottle(t Ticket) {
	l.told(func() { l.onThrottle(t) })
}

// told runs change under the lock and tells OnLimit, after unlocking, of a limit it changed.
func (l *Limiter) told(change func()) {
	l.mu.Lock()
	before := l.limit
	change()
	after := l.limit
	l.mu.Unlock()
	if after != before && after > 0 && l.cfg.OnLimit != nil {
		l.cfg.OnLimit(after)
	}
}

func (l *Limiter) onThrottle(t Ticket) {
	l.throttles++
	if t.Sent.Before(l.lastCut) {
		return // sent before the last cut, which already answered it
	}
	now := time.Now()
	if !l.lastCut.IsZero() && now.Sub(l.lastCut) < minSampleTime && l.successes-l.cutAt < minSample {
		// Too soon after the last cut to tell whether it sufficed: a run of 429s (a service
		// refusing everything for a moment) must not cut the rate once per request.
		return
	}
	rate := l.rate * firstCut
	if !l.lastCut.IsZero() {
		n, d := l.successes-l.cutAt, now.Sub(l.lastCut)
		if n >= minSample && d >= minSampleTime && d <= maxSampleTime {
			accepted := float64(n) / d.Seconds()
			rate = math.Min(l.rate*0.9, math.Max(l.rate*0.5, accepted*headroom))
			l.limit = accepted
		}
	}
	l.cut(rate, now)
	if l.limit == 0 || l.limit > l.rate/headroom {
		l.limit = l.rate / headroom
	}
}

func (l *Limiter) cut(rate float64, now time.Time) {
	l.cuts++
	l.rate = math.Max(l.cfg.Min, rate)
	l.lowest = math.Min(l.lowest, l.rate)
	l.lastCut, l.cutAt = now, l.successes
	// The schedule was made at the old rate: the next slot moves to the new spacing.
	if next := now.Add(time.Duration(float64(time.Second) / l.rate)); l.next.After(next) {
		l.next = next
	}
}

// RateHeaders are Atlassian's rate-limit answer headers; a zero field is absent.
type RateHeaders struct {
	Limit     int64     // X-RateLimit-Limit: requests allowed in the current period
	Remaining int64     // X-RateLimit-Remaining: requests left in it (-1: absent)
	Reset     time.Time // X-RateLimit-Reset: when the period resets (ISO 8601, UTC)
	NearLimit bool      // X-RateLimit-NearLimit: less than 20 % of a budget remains
}

// ParseRateHeaders reads the headers Atlassian documents for its admin APIs (Organizations,
// API Access: X-RateLimit-Limit, -Remaining, -Reset in ISO 8601 UTC) and for Jira Cloud
// (X-RateLimit-NearLimit; Reset as yyyy-MM-ddTHH:mmZ). Unreadable values count as absent.
func ParseRateHeaders(h http.Header) RateHeaders {
	r := RateHeaders{Remaining: -1}
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Limit")), 10, 64); err == nil && v > 0 {
		r.Limit = v
	}
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Remaining")), 10, 64); err == nil && v >= 0 {
		r.Remaining = v
	}
	r.Reset = parseISOTime(h.Get("X-RateLimit-Reset"))
	r.NearLimit = strings.EqualFold(strings.TrimSpace(h.Get("X-RateLimit-NearLimit")), "true")
	return r
}

func parseISOTime(v string) time.Time {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Observe applies the rate-limit headers of any answer. Atlassian documents X-RateLimit-Limit
// as the requests allowed per period but not the period's length; two successive resets give
// it, and then Limit ÷ period is the limit itself: the rate stays just under it and does not
// probe past it. A spent budget (Remaining 0) pauses everyone until the reset, and
// X-RateLimit-NearLimit stops the probe, so that the service has no reason to answer 429.
func (l *Limiter) Observe(h RateHeaders, throttled bool) {
	if h.Remaining < 0 && !h.NearLimit && h.Reset.IsZero() {
		return
	}
	l.told(func() { l.observe(h, throttled) })
}

func (l *Limiter) observe(h RateHeaders, throttled bool) {
	now := time.Now()
	if h.NearLimit {
		l.hold = now.Add(time.Second)
	}
	if !h.Reset.IsZero() && !throttled { // a 429's reset is its Retry-After, not a period's end
		if d := h.Reset.Sub(l.lastReset); !l.lastReset.IsZero() && d >= 10*time.Millisecond && (l.period == 0 || d < l.period) {
			l.period = d
		}
		if h.Reset.After(l.lastReset) {
			l.lastReset = h.Reset
		}
	}
	if h.Limit > 0 && l.period > 0 {
		l.documented = float64(h.Limit) / l.period.Seconds()
		l.limit = l.documented
		if l.rate > l.documented*headroom {
			l.rate = math.Max(l.cfg.Min, l.documented*headroom)
		}
	}
	if h.Remaining == 0 && h.Reset.After(now) && h.Reset.After(l.pausedUntil) {
		l.pausedUntil = h.Reset
	}
}

// Stats returns a snapshot.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LimiterStats{Rate: l.rate, Limit: l.limit, Lowest: l.lowest, Throttles: l.throttles, Cuts: l.cuts, Successes: l.successes, Waited: l.waited}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
