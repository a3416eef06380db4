// Package graph is a loopback HTTPS emulator of Microsoft Graph v1.0 for everything the reader
// uses: organization, domains, users, groups, members, transitive members, users and groups delta
// (members@delta, @removed, delta tokens), $batch, OData errors, bearer tokens, Graph's
// resource-unit throttling, and fault injection. It serves a tenant from internal/emulator/tenant
// and reflects the tenant's mutations between reads.
package graph

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// Principal is who a bearer token speaks for. Scopes nil means every permission (a test token).
type Principal struct {
	AppID    string
	TenantID string
	Scopes   []string
}

// Verifier checks a bearer token. The identity emulator provides one for its own tokens.
type Verifier func(token string) (Principal, error)

// StaticTokens accepts exactly the listed tokens, each with its principal.
func StaticTokens(tokens map[string]Principal) Verifier {
	return func(token string) (Principal, error) {
		p, ok := tokens[token]
		if !ok {
			return Principal{}, errors.New("unknown token")
		}
		return p, nil
	}
}

// AnyToken accepts any non-empty token with every permission, for tests that do not sign in.
func AnyToken() Verifier {
	return func(token string) (Principal, error) { return Principal{AppID: "test-app"}, nil }
}

// Faults are per-request probabilities of injected failures (0..1), drawn from a seeded source.
type Faults struct {
	Seed         uint64
	Rate429      float64
	Rate503      float64
	Rate504      float64
	RateReset    float64 // the connection is closed without a response
	RateTruncate float64 // a 200 whose JSON body stops half-way (valid HTTP framing)
	RetryAfter   int     // Retry-After seconds on injected 429/503; default 0
}

// Options configure a Server. Zero values are Graph's behaviour with throttling on.
type Options struct {
	Tenant    *tenant.Tenant
	Verify    Verifier // nil: AnyToken
	Authority *loopbacktls.Authority
	Latency   time.Duration
	Faults    Faults
	// NoThrottle turns the resource-unit bucket off (benchmarks).
	NoThrottle bool
	// ThrottleLimit and ThrottleWindow override Graph's 3,500/5,000/8,000 units per 10 s.
	ThrottleLimit  int
	ThrottleWindow time.Duration
	// Addr is the listen address (e.g. 127.0.0.1:8443 for `idpsync emulate`); default a free
	// loopback port.
	Addr string
	// DeltaPageSize is the number of entries (objects plus members@delta entries) per delta page;
	// default 200. Graph chooses its own page sizes; readers must not depend on them.
	DeltaPageSize int
}

// Entry is one request in the log.
type Entry struct {
	Method, Path, Query string
	Status              int
	Units               int    // resource units charged
	Fault               string // "", "429", "503", "504", "reset", "truncate", "throttled"
	Batch               bool   // an inner request of a $batch
}

// maxLog bounds the request log; Counters keep counting past it.
const maxLog = 200_000

// Counters summarize the log.
type Counters struct {
	Requests  int
	Throttled int // 429s from the resource-unit bucket
	Faults    int // injected faults
	Units     int // resource units charged
}

// Server is a running emulator.
type Server struct {
	opts Options
	srv  *loopbacktls.Listener

	mu        sync.Mutex
	log       []Entry
	counters  Counters
	rng       *rand.Rand
	faults    Faults
	latency   time.Duration
	buckets   map[string]*bucket
	epoch     uint64 // delta tokens from an older epoch are expired
	deltaSets map[deltaKey]*deltaSet
}

// New prepares a server; Start listens.
func New(opts Options) *Server {
	if opts.Verify == nil {
		opts.Verify = AnyToken()
	}
	if opts.DeltaPageSize <= 0 {
		opts.DeltaPageSize = 200
	}
	if opts.Tenant == nil {
		opts.Tenant = tenant.Generate(tenant.Spec{Seed: 1})
	}
	s := &Server{opts: opts, faults: opts.Faults, latency: opts.Latency, buckets: map[string]*bucket{},
		rng: rand.New(rand.NewPCG(opts.Faults.Seed, 0x6a)), epoch: 1, deltaSets: map[deltaKey]*deltaSet{}}
	return s
}

// Start listens on 127.0.0.1 with the loopback certificate.
func (s *Server) Start() error {
	l, err := loopbacktls.Serve(s.opts.Authority, s.opts.Addr, s)
	if err != nil {
		return fmt.Errorf("graph emulator: %w", err)
	}
	s.srv = l
	return nil
}

// URL is the server root; Graph's base URL is URL()+"/v1.0".
func (s *Server) URL() string { return s.srv.URL() }

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

// Tenant is the tenant being served.
func (s *Server) Tenant() *tenant.Tenant { return s.opts.Tenant }

// SetFaults replaces the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(f.Seed, 0x6a))
}

// SetLatency sets the delay added to every request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ExpireDeltaTokens makes every delta token issued so far answer 410 syncStateNotFound.
func (s *Server) ExpireDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
}

// Log returns a copy of the request log.
func (s *Server) Log() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.log...)
}

// Counters returns the totals so far.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// ResetLog clears the log and counters.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.counters = nil, Counters{}
}

func (s *Server) record(e Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) >= maxLog {
		// A standalone emulator runs for hours: keep the newest half.
		s.log = append(s.log[:0], s.log[len(s.log)/2:]...)
	}
	s.log = append(s.log, e)
	s.counters.Requests++
	s.counters.Units += e.Units
	switch e.Fault {
	case "":
	case "throttled":
		s.counters.Throttled++
	default:
		s.counters.Faults++
	}
}

// bucket is Graph's token bucket per app and tenant: capacity refills linearly over the window.
type bucket struct {
	tokens float64
	last   time.Time
}

func (s *Server) limit() (float64, time.Duration) {
	window := s.opts.ThrottleWindow
	if window <= 0 {
		window = 10 * time.Second
	}
	if s.opts.ThrottleLimit > 0 {
		return float64(s.opts.ThrottleLimit), window
	}
	switch n := s.opts.Tenant.Size; {
	case n < 50:
		return 3500, window
	case n <= 500:
		return 5000, window
	default:
		return 8000, window
	}
}

// take charges cost units; when the bucket lacks them it returns the wait until it would not.
func (s *Server) take(key string, cost int) (time.Duration, bool) {
	if s.opts.NoThrottle {
		return 0, true
	}
	capacity, window := s.limit()
	rate := capacity / window.Seconds()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	now := time.Now()
	if b == nil {
		b = &bucket{tokens: capacity, last: now}
		s.buckets[key] = b
	}
	b.tokens = math.Min(capacity, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= float64(cost) {
		b.tokens -= float64(cost)
		return 0, true
	}
	return time.Duration((float64(cost) - b.tokens) / rate * float64(time.Second)), false
}

// fault draws an injected fault for this request.
func (s *Server) fault() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	x := s.rng.Float64()
	for _, c := range []struct {
		name string
		rate float64
	}{{"429", f.Rate429}, {"503", f.Rate503}, {"504", f.Rate504}, {"reset", f.RateReset}, {"truncate", f.RateTruncate}} {
		if x < c.rate {
			return c.name, f.RetryAfter
		}
		x -= c.rate
	}
	return "", 0
}

// ServeHTTP authenticates, applies latency and faults, then dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newGUID()
	w.Header().Set("request-id", reqID)
	if cid := r.Header.Get("client-request-id"); cid != "" {
		w.Header().Set("client-request-id", cid)
	}
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	if lat > 0 {
		select {
		case <-time.After(lat):
		case <-r.Context().Done():
			// The client went away: no answer (a plain return made net/http send an empty
			// 200, a page to a reader still reading; TestAbandonedRequestGetsNoAnswer).
			panic(http.ErrAbortHandler)
		}
	}
	entry := Entry{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
	p, ok := s.authenticate(w, r)
	if !ok {
		entry.Status = http.StatusUnauthorized
		s.record(entry)
		return
	}
	if name, retryAfter := s.fault(); name != "" {
		entry.Fault = name
		switch name {
		case "reset":
			s.record(entry)
			loopbacktls.ResetConnection(w)
			return
		case "truncate":
			rec := httptest.NewRecorder()
			s.dispatch(rec, r, p, &entry)
			body := rec.Body.Bytes()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body[:len(body)/2])
			entry.Status = http.StatusOK
			s.record(entry)
			return
		default:
			status, _ := strconv.Atoi(name)
			entry.Status = status
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
			code := map[int]string{429: "TooManyRequests", 503: "serviceNotAvailable", 504: "gatewayTimeout"}[status]
			odataError(w, r, status, code, "Injected fault.")
			s.record(entry)
			return
		}
	}
	s.dispatch(w, r, p, &entry)
	s.record(entry)
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		odataError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return Principal{}, false
	}
	p, err := s.opts.Verify(strings.TrimSpace(token))
	if err != nil {
		odataError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience or signature.")
		return Principal{}, false
	}
	return p, true
}

// readBody returns the request body, gunzipped when the client compressed it (kiota does).
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, 4<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(rd)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		rd = gz
	}
	return io.ReadAll(rd)
}

// writeJSON sends a complete JSON body with Graph's content type.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Describe is the text `idpsync emulate` prints about this emulator.
func (s *Server) Describe() string {
	t := s.opts.Tenant
	snap := t.Org()
	limit, window := s.limit()
	throttle := fmt.Sprintf("%d resource units per %v", int(limit), window)
	if s.opts.NoThrottle {
		throttle = "off"
	}
	return fmt.Sprintf("graph (Microsoft Graph v1.0) %s/v1.0\n  tenant         %s (%s), %d users\n  throttling     %s\n",
		s.URL(), snap.DisplayName, snap.ID, t.UserCount(), throttle)
}
