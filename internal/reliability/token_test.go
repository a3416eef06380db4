package reliability

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/demomode"
)

// emulatedClock is the identity emulator's clock in TestTokenExpiryMidReadAndMidApply. It moves
// only when Graph answers a request, and when the test says so, never on its own: whether a
// token is alive when Graph checks it then does not depend on how busy the machine is.
//
// It never passes the expiry of a token that is on its way through Graph: a request whose
// Authorization header the transport has sent on, and whose answer has not come back, holds the
// clock below its token's exp (less a margin), so a token that was alive when the client put it
// on the wire is alive when the emulator checks it, however long the server side takes.
type emulatedClock struct {
	mu       sync.Mutex
	now      time.Time
	inFlight map[time.Time]int // exp of the tokens Graph is checking → requests carrying them
	held     int               // answers that found the clock held
}

func (c *emulatedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *emulatedClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// holdMargin keeps the clock this far below the earliest exp in flight.
const holdMargin = 100 * time.Millisecond

func (c *emulatedClock) sent(exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight == nil {
		c.inFlight = map[time.Time]int{}
	}
	c.inFlight[exp]++
}

// answered ends one request carrying a token of exp and moves the clock by d unless that would
// reach the expiry of a token still in flight.
func (c *emulatedClock) answered(exp time.Time, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight[exp]--; c.inFlight[exp] <= 0 {
		delete(c.inFlight, exp)
	}
	next := c.now.Add(d)
	for e := range c.inFlight {
		if !next.Before(e.Add(-holdMargin)) {
			c.held++
			return
		}
	}
	c.now = next
}

func (c *emulatedClock) heldAnswers() int { c.mu.Lock(); defer c.mu.Unlock(); return c.held }

// bearerExpiry is the exp claim of the JWT in r's Authorization header (false without one).
func bearerExpiry(r *http.Request) (time.Time, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return time.Time{}, false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(body, &claims) != nil || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0), true
}

// graphRequestsTake is the app's transport with each request to Graph (at host) taking step of
// the clock when its answer arrives.
func graphRequestsTake(base http.RoundTripper, host string, c *emulatedClock, step time.Duration) roundTripFunc {
	return func(r *http.Request) (*http.Response, error) {
		exp, ok := bearerExpiry(r)
		if !ok || r.URL.Host != host {
			return base.RoundTrip(r)
		}
		c.sent(exp)
		defer c.answered(exp, step) // the status line is back: the emulator has checked the token
		return base.RoundTrip(r)
	}
}

// Access tokens that live 3 s of the identity emulator's clock while each Graph request takes
// 50 ms of it: the read of 120 groups makes 126 requests, 6.3 s, so the tokens of its start die
// long before it ends; the apply (Atlassian only) takes longer than a token's life. The real MSAL
// client refreshes silently with the refresh token, Graph never sees an expired token (no 401),
// no interactive sign-in happens again, and both syncs succeed. MSAL renews any token within 5
// minutes of its expiry, so every request asks for a fresh one; the callers asking at once share
// one refresh (auth.Client), so a 401 means the client put on the wire a token that was already
// dead: one it should have renewed.
//
// The clock is emulated, not the wall clock: this test once used 2 s tokens on the wall clock
// with 700 ms of Graph latency, and failed whenever the machine was busy. Its next clock moved
// 50 ms per token request: before the refresh was shared, each of the 32 member listings in
// flight sent its own and then queued on MSAL's cache lock to write the sealed cache, so a token
// could wait for 60 others' requests and writes before its own request left, and Graph refused
// it (the CI run of 19fc796, and 1 run in 12 here).
func TestTokenExpiryMidReadAndMidApply(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 3*time.Minute)
	env := startDemo(ctx, t, 80, 120)
	const life, perRequest = 3 * time.Second, 50 * time.Millisecond
	clock := &emulatedClock{now: time.Now().Truncate(time.Second)}
	env.Identity.SetClock(clock.Now)
	env.Identity.SetAccessTokenLifetime(life) // before sign-in: the first token is short-lived too
	opts := demomode.BackendOptions(env, t.TempDir(), nil)
	graph, err := url.Parse(env.GraphURL())
	if err != nil {
		t.Fatal(err)
	}
	opts.Transport = graphRequestsTake(opts.Transport, graph.Host, clock, perRequest)
	b, err := backend.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d, err := b.SetupDemo(ctx, demomode.DirectoryInput(env))
	if err != nil {
		t.Fatal(err)
	}
	codes := env.Identity.CountGrant("authorization_code")
	refreshes := env.Identity.CountGrant("refresh_token")

	start := clock.Now()
	plan, err := b.Preview(ctx, d.ID, backend.PreviewOptions{Full: true})
	if err != nil {
		t.Fatalf("the read failed when tokens expired: %v", err)
	}
	read := clock.Now().Sub(start)
	midRead := env.Identity.CountGrant("refresh_token") - refreshes
	readRequests := len(env.Graph.Log())
	run, err := b.Apply(ctx, plan.PlanID, backend.Confirmation{TenantID: plan.TenantID, Domains: plan.Domains, PlanDigest: plan.Digest})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("apply: %v %+v", err, run)
	}
	// The apply writes to Atlassian only; what matters to Graph is that it outlives a token, so
	// the next sync starts after every token of the read is dead.
	const apply = life + time.Second
	clock.Advance(apply)
	env.Tenant.Mutate(0.05, 8)
	hr, _, err := b.Headless(ctx, d.ID, backend.HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains, OverrideThreshold: true})
	if err != nil || hr.Status != "succeeded" {
		t.Fatalf("the sync after the apply: %v %+v", err, hr)
	}
	if read < life {
		t.Fatalf("the read (%v of the emulated clock, %d token refreshes, %d Graph requests) must outlive a token (%v)", read, midRead, readRequests, life)
	}
	if midRead == 0 {
		t.Fatalf("no refresh during a %v read with %v tokens", read, life)
	}
	if n := env.Identity.CountGrant("authorization_code"); n != codes {
		t.Fatalf("%d interactive sign-ins after the first: the refresh was not silent", n-codes)
	}
	unauthorized := 0
	for _, e := range env.Graph.Log() {
		if e.Status == 401 {
			unauthorized++
		}
	}
	if unauthorized > 0 {
		t.Fatalf("Graph refused %d requests with 401: an expired token was sent", unauthorized)
	}
	t.Logf("FIGURES tokens: read %v (%d Graph requests) and apply %v of the emulated clock, token life %v, %d refreshes during the read, %d in all, %d answers with the clock held, 0 interactive sign-ins, 0 refused requests",
		read, readRequests, apply, life, midRead, env.Identity.CountGrant("refresh_token")-refreshes, clock.heldAnswers())
}
