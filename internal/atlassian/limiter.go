package atlassian

import (
	"context"
	"math"
	"sync"
	"time"
)

// LimiterConfig sets the adaptive request rate. Atlassian publishes no numbers for the SCIM or
// organization APIs, so the client starts at a moderate pace and lets the service's 429s find the
// real limit: additive increase on success, multiplicative decrease (halving) on a 429 (AIMD).
type LimiterConfig struct {
	Initial  float64 // requests per second at start; default 20
	Min      float64 // floor after repeated 429s; default 0.5
	Max      float64 // ceiling; default 100
	Increase float64 // requests/s gained per second of uninterrupted successes; default 2
}

func (c LimiterConfig) withDefaults() LimiterConfig {
	if c.Initial <= 0 {
		c.Initial = 20
	}
	if c.Min <= 0 {
		c.Min = 0.5
	}
	if c.Max <= 0 {
		c.Max = 100
	}
	if c.Max < c.Min {
		c.Max = c.Min
	}
	c.Initial = math.Min(math.Max(c.Initial, c.Min), c.Max)
	if c.Increase <= 0 {
		c.Increase = 2
	}
	return c
}

// Limiter paces every request of the clients that share it (all goroutines of one SCIM client, by
// default). It is safe for concurrent use and observable, so benchmarks can report how the rate moved.
type Limiter struct {
	mu          sync.Mutex
	cfg         LimiterConfig
	rate        float64
	next        time.Time // the earliest start of the next request
	pausedUntil time.Time // set by Retry-After: nobody sends before it
	lowest      float64
	throttles   int64
	cuts        int64
	successes   int64
	waited      time.Duration
}

// LimiterStats is a snapshot of a Limiter.
type LimiterStats struct {
	Rate      float64       // current requests per second
	Lowest    float64       // lowest rate reached
	Throttles int64         // 429s reported
	Cuts      int64         // times the rate was halved (concurrent 429s of one burst count once)
	Successes int64         // successful requests reported
	Waited    time.Duration // total time callers spent waiting for a slot
}

// NewLimiter returns an AIMD limiter.
func NewLimiter(cfg LimiterConfig) *Limiter {
	cfg = cfg.withDefaults()
	return &Limiter{cfg: cfg, rate: cfg.Initial, lowest: cfg.Initial}
}

// Wait blocks until the caller may send a request, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
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
	l.mu.Unlock()
	return sleep(ctx, d)
}

// OnSuccess raises the rate additively: about Increase requests/s per second of successes.
func (l *Limiter) OnSuccess() {
	l.mu.Lock()
	l.successes++
	l.rate = math.Min(l.cfg.Max, l.rate+l.cfg.Increase/l.rate)
	l.mu.Unlock()
}

// OnThrottle halves the rate and pauses everyone until retryAfter has passed. 429s that arrive
// while a pause is already running belong to the same burst and do not halve again.
func (l *Limiter) OnThrottle(retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttles++
	now := time.Now()
	if !now.Before(l.pausedUntil) {
		l.cuts++
		l.rate = math.Max(l.cfg.Min, l.rate/2)
		if l.rate < l.lowest {
			l.lowest = l.rate
		}
	}
	if until := now.Add(retryAfter); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// Stats returns a snapshot.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LimiterStats{Rate: l.rate, Lowest: l.lowest, Throttles: l.throttles, Cuts: l.cuts, Successes: l.successes, Waited: l.waited}
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
