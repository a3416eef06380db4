package entra

import (
	"context"
	"sync"
	"time"
)

// Graph's documented resource-unit budget for the identity and access service, per app and
// tenant, per 10 seconds: 3,500 units for a tenant under 50 users, 5,000 for 50–500, 8,000
// above 500 (learn.microsoft.com/graph/throttling-limits).
const (
	budgetWindow = 10 * time.Second
	budgetSmall  = 3500
	budgetMedium = 5000
	budgetLarge  = 8000
)

// budgetFor is the documented budget of a tenant with at least users users.
func budgetFor(users int) float64 {
	switch {
	case users > 500:
		return budgetLarge
	case users >= 50:
		return budgetMedium
	}
	return budgetSmall
}

// pacer spends Graph's resource units at the documented rate instead of finding the limit by
// 429s: Graph's Retry-After comes in whole seconds, so a reader that runs into the bucket
// waits at least a second for each refill it could have spent as it came (800 units, 400
// member listings, in a large tenant). It is a token bucket of the
// documented size, full at the start as Graph's is, refilling linearly over the window; a request
// reserves its estimated cost (EstimateUnits) and waits while the reservation is in the red.
// It starts at the smallest budget and grows with the users the read has seen, since the tier
// depends on the tenant's size.
//
// It spends 98 % of the budget: Graph's bucket starts when the first request arrives, a few
// milliseconds after this one started, and that constant offset alone made 15 of 6,033 requests
// bounce when pacing at exactly the documented rate (TestFullReadStaysWithinTheBudget, measured
// on the machine's clock; it now runs in fake time, where that offset is 0). A 429 all
// the same (another reader of the same app registration sharing the budget, a budget below the
// documented one) halves the pace and holds every request until its Retry-After; each answered
// request wins back 1/64 of the full pace.
type pacer struct {
	mu       sync.Mutex
	capacity float64
	tokens   float64
	last     time.Time
	users    int
	scale    float64   // share of the documented pace in use, 1/64..1
	until    time.Time // no request before this (a 429's Retry-After)
	now      func() time.Time
}

const paceMargin = 0.98

func newPacer() *pacer {
	return &pacer{capacity: budgetSmall, tokens: budgetSmall * paceMargin, scale: 1, now: time.Now}
}

// throttled is a 429 answered with retryAfter: hold everything until then, at half the pace.
func (p *pacer) throttled(retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scale = max(p.scale/2, 1.0/64)
	p.tokens = min(p.tokens, 0)
	if u := p.now().Add(retryAfter); u.After(p.until) {
		p.until = u
	}
}

// answered is a request Graph did not throttle.
func (p *pacer) answered() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scale = min(1, p.scale+1.0/64)
}

// sawUsers raises the budget once the read has seen more users than the current tier allows.
func (p *pacer) sawUsers(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users += n
	if c := budgetFor(p.users); c > p.capacity {
		p.tokens += (c - p.capacity) * paceMargin // Graph's bucket was this size all along
		p.capacity = c
	}
}

// wait reserves cost units and sleeps until they are covered; waited says whether it slept.
func (p *pacer) wait(ctx context.Context, cost int) (waited bool, err error) {
	p.mu.Lock()
	now := p.now()
	rate := p.capacity * paceMargin * p.scale / budgetWindow.Seconds()
	if !p.last.IsZero() {
		p.tokens = min(p.capacity*paceMargin, p.tokens+now.Sub(p.last).Seconds()*rate)
	}
	p.last = now
	p.tokens -= float64(cost)
	wait := time.Duration(max(0, -p.tokens) / rate * float64(time.Second))
	wait = max(wait, p.until.Sub(now))
	p.mu.Unlock()
	if wait <= 0 {
		return false, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}
