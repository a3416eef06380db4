package reliability

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/demomode"
)

// emulatedClock is the identity emulator's clock in TestTokenExpiryMidReadAndMidApply. It
// moves only when a token is asked for, and when the test says so, never on its own: whether a
// token is alive when Graph checks it then does not depend on how busy the machine is.
type emulatedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *emulatedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *emulatedClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// tokenRequestsTake is the app's transport with each request for a token (MSAL's POST to the
// token endpoint) taking step of the clock, before the emulator issues it.
func tokenRequestsTake(base http.RoundTripper, c *emulatedClock, step time.Duration) roundTripFunc {
	return func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			c.Advance(step)
		}
		return base.RoundTrip(r)
	}
}

// Access tokens that live 3 s of the identity emulator's clock while each token request takes
// 50 ms of it; the read asks for a token per Graph request, about 66 of them for 60 groups, so
// the tokens of its start die before it ends; the apply (Atlassian only) takes longer than a
// token's life. The real MSAL client refreshes silently with the refresh token, Graph never sees
// an expired token (no 401), no interactive sign-in happens again, and both syncs succeed.
//
// The clock is emulated, not the wall clock: this test used 2 s tokens on the wall clock with
// 700 ms of Graph latency, and a token taken before the reader's pacing held its request (the
// pacer sits under kiota's authentication) reached Graph dead whenever the machine was busy.
// Here a token is checked at most one token request per other request in flight after it was
// issued (the member listings run 32 at once, paced first come first served): 34 x 50 ms =
// 1.7 s, under the 2 s a 3 s token has at the least (exp is whole seconds). MSAL renews any
// token within 5 minutes of its expiry, so every request gets a fresh one, and a 401 means the
// client sent a token it should have renewed.
func TestTokenExpiryMidReadAndMidApply(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 3*time.Minute)
	env := startDemo(ctx, t, 80, 60)
	const life, perToken = 3 * time.Second, 50 * time.Millisecond
	clock := &emulatedClock{now: time.Now().Truncate(time.Second)}
	env.Identity.SetClock(clock.Now)
	env.Identity.SetAccessTokenLifetime(life) // before sign-in: the first token is short-lived too
	opts := demomode.BackendOptions(env, t.TempDir(), nil)
	opts.Transport = tokenRequestsTake(opts.Transport, clock, perToken)
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
	t.Logf("FIGURES tokens: read %v (%d Graph requests) and apply %v of the emulated clock, token life %v, %d refreshes during the read, %d in all, 0 interactive sign-ins, 0 refused requests",
		read, readRequests, apply, life, midRead, env.Identity.CountGrant("refresh_token")-refreshes)
}
