// Package atlassian emulates, on loopback HTTPS, the two Atlassian APIs IdP Sync writes to: the
// user-provisioning (SCIM 2.0) API of one identity-provider directory and the organization API's
// domains. It is as strict as the documented service (single eq filters, 100-per-page cap, 409
// uniqueness, no group rename, no nested groups, directory and group limits, default access
// groups, PUT clearing omitted attributes) and has knobs for throttling, latency, faults and an
// expired key. It records every request so tests can assert exactly what was written.
package atlassian

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
)

// Atlassian's published directory limits (support.atlassian.com "Understand user provisioning").
const (
	DefaultMaxUsers        = 150_000
	DefaultMaxGroupMembers = 35_000
	// PageCap is the most resources one list page returns, whatever count asks.
	PageCap = 100
)

// Options configure an emulator. Zero values give a quiet, unthrottled, correct service.
type Options struct {
	Addr        string // listen address; default 127.0.0.1:0
	DirectoryID string // default "emu-directory"
	OrgID       string // default "emu-org"
	APIKey      string // the directory API key; default "emu-scim-key"
	OrgAPIKey   string // the organization API key; default "emu-org-key"
	KeyExpired  bool   // the directory key is refused with a body saying it expired

	RateLimit  float64       // requests per second over all endpoints; 0: unlimited
	Burst      int           // token bucket size; default max(1, RateLimit)
	RetryAfter time.Duration // the Retry-After sent with 429; 0: the time until a token is back, rounded up to whole seconds
	// RateLimitHeaders makes the limit the fixed periods Atlassian's admin APIs document (Burst
	// requests per Burst/RateLimit seconds) and adds their headers (X-RateLimit-Limit,
	// -Remaining, -Reset) to every answer while RateLimit is set; see BEHAVIOUR.md, "Rate limiting".
	RateLimitHeaders bool

	Latency                 time.Duration // added to every request
	FaultRate               float64       // fraction of requests answered 500, 503 or 504
	ResetRate               float64       // fraction of requests whose connection is reset
	SlowRate                float64       // fraction of requests delayed by SlowDelay
	SlowDelay               time.Duration // default 2s
	Seed                    uint64        // for the random faults; 0: random
	MaxUsers                int           // default DefaultMaxUsers
	MaxMembers              int           // users per group; default DefaultMaxGroupMembers
	DomainPage              int           // domains per page of the organization API; default 20
	Domains                 []Domain      // the organization's domains; none: every user counts as managed
	OrgGroups               []OrgGroup    // groups made by hand in admin.atlassian.com
	Accounts                []Account     // accounts outside the directory (POST with their email links them)
	Users                   []User        // SCIM users present at start (ids assigned when empty)
	Groups                  []SeedGroup   // SCIM groups present at start
	RejectUnverifiedDomains bool          // refuse (400) users whose email domain the organization has not verified

	NoRequestLog bool // keep no request log (large benchmarks); status counts are still kept
	// NoAccountExtension leaves Atlassian's account extension out of SCIM user answers, so that
	// tests prove the client falls back to the documented SCIM links lookup.
	NoAccountExtension bool

	// Lenient accepts request shapes Atlassian does not document (today: an externalId eq filter
	// on GET /Groups, which the strict default refuses with 400 invalidFilter as a server that
	// follows the published reference does). Only for tests that prove the client copes with a
	// lenient server; never for tests of what the client sends.
	Lenient bool

	Authority *loopbacktls.Authority // default loopbacktls.Shared()
}

// SeedGroup is a SCIM group present at start; Members are userNames of seeded users.
type SeedGroup struct {
	ID          string
	ExternalID  string
	DisplayName string
	Members     []string
}

// Fault is a deterministic injected failure for the next Times requests that match.
type Fault struct {
	Method     string        // "" matches any
	PathSuffix string        // matches when the path (after /scim/directory/{id} or /admin/v1/orgs/{id}) ends with it; "" any
	Status     int           // answer with this status (e.g. 503, 429); 0 with neither Reset nor HTML: only Delay
	Reset      bool          // reset the connection instead
	HTML       bool          // answer 200 with an HTML page (a captive portal)
	RetryAfter string        // Retry-After header for a 429
	Delay      time.Duration // wait before answering
	Times      int           // how many requests it hits; default 1
}

// Request is one recorded request.
type Request struct {
	Method string     `json:"method"`
	Path   string     `json:"path"` // relative to the SCIM base for SCIM calls, full otherwise
	Query  url.Values `json:"query,omitempty"`
	Body   string     `json:"body,omitempty"`
	Status int        `json:"status"` // 0: the connection was reset
	Time   time.Time  `json:"time"`
}

// Server is one emulated Atlassian organization with one SCIM directory.
type Server struct {
	loopbacktls.Endpoint // URL is the organization API base, Close stops it
	opts                 Options

	mu        sync.Mutex
	users     map[string]*User
	userIdx   index // by userName
	groups    map[string]*group
	groupIdx  index               // by displayName
	accounts  map[string]*Account // lower email
	orgGroups map[string]OrgGroup // lower name
	domains   []Domain

	knobs struct {
		keyExpired                     bool
		rate                           float64
		burst                          float64
		tokens                         float64
		last                           time.Time
		periodEnd                      time.Time // RateLimitHeaders: the current fixed period's end
		periodUsed                     int
		retryAfter                     time.Duration
		latency, slowDelay             time.Duration
		faultRate, resetRate, slowRate float64
		faults                         []Fault
	}
	rng    *mrand.Rand
	log    []Request
	logGen int // bumped by ResetRequests, so in-flight requests do not write into the new log
	hits   map[int]int
}

// New builds an emulator from opts; Start serves it.
func New(opts Options) (*Server, error) {
	if opts.DirectoryID == "" {
		opts.DirectoryID = "emu-directory"
	}
	if opts.OrgID == "" {
		opts.OrgID = "emu-org"
	}
	if opts.APIKey == "" {
		opts.APIKey = "emu-scim-key"
	}
	if opts.OrgAPIKey == "" {
		opts.OrgAPIKey = "emu-org-key"
	}
	if opts.MaxUsers <= 0 {
		opts.MaxUsers = DefaultMaxUsers
	}
	if opts.MaxMembers <= 0 {
		opts.MaxMembers = DefaultMaxGroupMembers
	}
	if opts.DomainPage <= 0 {
		opts.DomainPage = 20
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 2 * time.Second
	}
	s := &Server{
		opts:  opts,
		users: map[string]*User{}, userIdx: newIndex(),
		groups: map[string]*group{}, groupIdx: newIndex(),
		accounts: map[string]*Account{}, orgGroups: map[string]OrgGroup{},
		domains: append([]Domain(nil), opts.Domains...),
		hits:    map[int]int{},
	}
	seed := opts.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	s.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.knobs.keyExpired = opts.KeyExpired
	s.SetRateLimit(opts.RateLimit, opts.Burst)
	s.knobs.retryAfter = opts.RetryAfter
	s.knobs.latency = opts.Latency
	s.knobs.faultRate, s.knobs.resetRate, s.knobs.slowRate, s.knobs.slowDelay = opts.FaultRate, opts.ResetRate, opts.SlowRate, opts.SlowDelay
	for _, a := range opts.Accounts {
		a := a
		if a.Origin == "" {
			a.Origin = "seeded"
		}
		s.accounts[strings.ToLower(a.Email)] = &a
	}
	for _, g := range opts.OrgGroups {
		s.orgGroups[strings.ToLower(g.Name)] = normOrgGroup(g)
	}
	for _, u := range opts.Users {
		if _, err := s.SeedUser(u); err != nil {
			return nil, err
		}
	}
	for _, g := range opts.Groups {
		if _, err := s.SeedGroup(g); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Start listens on loopback HTTPS and serves in the background.
func (s *Server) Start() error {
	return s.Listen("atlassian emulator", s.opts.Authority, s.opts.Addr, s)
}

// SCIMURL is the directory base URL, https://127.0.0.1:PORT/scim/directory/{id}.
func (s *Server) SCIMURL() string { return s.URL() + "/scim/directory/" + s.opts.DirectoryID }

// DirectoryID, OrgID, APIKey and OrgAPIKey are the configured identities and keys.
func (s *Server) DirectoryID() string { return s.opts.DirectoryID }
func (s *Server) OrgID() string       { return s.opts.OrgID }
func (s *Server) APIKey() string      { return s.opts.APIKey }
func (s *Server) OrgAPIKey() string   { return s.opts.OrgAPIKey }

// Transport trusts the emulator's certificate (and nothing else).
func (s *Server) Transport() *http.Transport { return s.Authority().Transport() }

// Serve runs an emulator until ctx ends: the standalone mode behind `idpsync emulate`. ready is
// called once it listens, so the caller can print its URLs and keys.
func Serve(ctx context.Context, opts Options, ready func(*Server)) error {
	s, err := New(opts)
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		return err
	}
	if ready != nil {
		ready(s)
	}
	<-ctx.Done()
	return s.Close()
}

// ---- knobs ----

// SetRateLimit changes the token bucket (requests per second, burst); rate 0 turns it off.
func (s *Server) SetRateLimit(rate float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := float64(burst)
	if b <= 0 {
		b = math.Max(1, rate)
	}
	s.knobs.rate, s.knobs.burst, s.knobs.tokens, s.knobs.last = rate, b, b, time.Now()
	s.knobs.periodEnd, s.knobs.periodUsed = time.Time{}, 0
}

// SetKeyExpired makes the directory key expired (401 with a body that says so) or valid again.
func (s *Server) SetKeyExpired(v bool) { s.mu.Lock(); s.knobs.keyExpired = v; s.mu.Unlock() }

// SetLatency sets the delay added to every request.
func (s *Server) SetLatency(d time.Duration) { s.mu.Lock(); s.knobs.latency = d; s.mu.Unlock() }

// SetFaultRates sets the random fault rates (5xx, reset, slow).
func (s *Server) SetFaultRates(fault, reset, slow float64) {
	s.mu.Lock()
	s.knobs.faultRate, s.knobs.resetRate, s.knobs.slowRate = fault, reset, slow
	s.mu.Unlock()
}

// Inject queues deterministic faults; they are used in order.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	for _, x := range f {
		if x.Times <= 0 {
			x.Times = 1
		}
		s.knobs.faults = append(s.knobs.faults, x)
	}
	s.mu.Unlock()
}

// SetDomains replaces the organization's domains.
func (s *Server) SetDomains(d []Domain) {
	s.mu.Lock()
	s.domains = append([]Domain(nil), d...)
	s.mu.Unlock()
}

// ---- request log ----

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Writes returns the recorded requests other than GET.
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method != http.MethodGet && !isSearch(r) {
			out = append(out, r)
		}
	}
	return out
}

// isSearch: the v2 searches are POSTs that change nothing (api-group-groups "Search for groups").
func isSearch(r Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/admin/v2/") && strings.HasSuffix(r.Path, "/search")
}

// ResetRequests clears the log and the status counts.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.log, s.hits = nil, map[int]int{}
	s.logGen++
	s.mu.Unlock()
}

// StatusCount is how many answers had the status (0: resets).
func (s *Server) StatusCount(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[status]
}

// ---- HTTP ----

const maxRequestBody = 32 << 20

// ServeHTTP records the request, applies the knobs, checks the key and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		writeError(w, http.StatusRequestEntityTooLarge, "", "request body too large or unreadable")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	scimBase := "/scim/directory/" + s.opts.DirectoryID
	rel := r.URL.Path
	isSCIM := strings.HasPrefix(rel, "/scim/")
	if rel == scimBase || strings.HasPrefix(rel, scimBase+"/") {
		rel = strings.TrimPrefix(rel, scimBase)
	}
	s.mu.Lock()
	idx, gen := -1, s.logGen
	if !s.opts.NoRequestLog {
		idx = len(s.log)
		s.log = append(s.log, Request{Method: r.Method, Path: rel, Query: r.URL.Query(), Body: string(body), Time: time.Now()})
	}
	s.mu.Unlock()
	rec := &loopbacktls.StatusRecorder{ResponseWriter: w}
	// record logs the answer's status once. A reset is recorded before the connection is cut:
	// recorded after it (as a deferred call did), the client could already have retried and the
	// test read the counts with the reset not yet in them (TestRetryServerErrorsThenSucceed saw
	// 1 reset for 2 in 2 of 4 runs on a loaded machine).
	recorded := false
	record := func(status int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if recorded {
			return
		}
		recorded = true
		if idx >= 0 && gen == s.logGen { // unless the log was reset meanwhile
			s.log[idx].Status = status
		}
		s.hits[status]++
	}
	defer func() { record(rec.Status) }()

	now := time.Now()
	delay, fault, wait, bucket := s.admit(r.Method, rel)
	if bucket.limit > 0 {
		rateHeaders(rec.Header(), bucket, now, wait)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			// The client went away: no answer, as from a server that dropped the request. A
			// plain return made net/http send an empty 200 that a client still reading took for
			// the answer (TestAbandonedRequestGetsNoAnswer).
			panic(http.ErrAbortHandler)
		}
	}
	if wait > 0 {
		rec.Header().Set("Retry-After", formatSeconds(wait))
		writeError(rec, http.StatusTooManyRequests, "", "Rate limit exceeded. Retry after the time in Retry-After.")
		return
	}
	if fault != nil {
		switch {
		case fault.Reset:
			record(0)
			loopbacktls.ResetConnection(w)
			return
		case fault.HTML:
			rec.Header().Set("Content-Type", "text/html; charset=utf-8")
			rec.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(rec, "<!doctype html><html><head><title>Sign in to the network</title></head><body>Please accept the terms to continue.</body></html>")
			return
		case fault.Status != 0:
			if fault.RetryAfter != "" {
				rec.Header().Set("Retry-After", fault.RetryAfter)
			}
			writeError(rec, fault.Status, "", http.StatusText(fault.Status)+" (injected)")
			return
		}
	}

	switch {
	case isSCIM:
		if !strings.HasPrefix(r.URL.Path, scimBase+"/") && r.URL.Path != scimBase {
			writeError(rec, http.StatusNotFound, "", "Directory not found")
			return
		}
		if !s.authorized(rec, r, s.opts.APIKey, true) {
			return
		}
		s.serveSCIM(rec, r, rel, body)
	case strings.HasPrefix(r.URL.Path, "/admin/v2/orgs/"):
		if !s.authorized(rec, r, s.opts.OrgAPIKey, false) {
			return
		}
		s.serveOrgV2(rec, r, body)
	case strings.HasPrefix(r.URL.Path, "/admin/v1/orgs/"):
		if !s.authorized(rec, r, s.opts.OrgAPIKey, false) {
			return
		}
		s.serveOrg(rec, r)
	case strings.HasPrefix(r.URL.Path, "/admin/user-provisioning/v1/org/"):
		if !s.authorized(rec, r, s.opts.OrgAPIKey, false) {
			return
		}
		s.serveSCIMLinks(rec, r, body)
	default:
		writeError(rec, http.StatusNotFound, "", "Not found")
	}
}

func formatSeconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.Itoa(int(d / time.Second))
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// bucketState is the rate limit as one request left it.
type bucketState struct {
	limit     int       // requests allowed in one period
	remaining int       // requests left in the current one
	reset     time.Time // when the current period ends
}

// rateHeaders writes Atlassian's headers. Atlassian documents X-RateLimit-Limit as the requests
// allowed in the current period, -Remaining as those left in it, and -Reset as the next period's
// start in ISO 8601 UTC; on a 429, Reset is the request's time plus Retry-After (Jira's
// rate-limiting page).
func rateHeaders(h http.Header, b bucketState, now time.Time, retryAfter time.Duration) {
	reset := b.reset
	if retryAfter > 0 {
		reset = now.Add(retryAfter)
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
	h.Set("X-RateLimit-Reset", reset.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// admit applies latency, random and injected faults and the token bucket to one request.
func (s *Server) admit(method, rel string) (delay time.Duration, fault *Fault, retryAfter time.Duration, bucket bucketState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := &s.knobs
	delay = k.latency
	for i := range k.faults {
		f := &k.faults[i]
		if (f.Method == "" || strings.EqualFold(f.Method, method)) && strings.HasSuffix(rel, f.PathSuffix) {
			c := *f
			f.Times--
			if f.Times == 0 {
				k.faults = append(k.faults[:i], k.faults[i+1:]...)
			}
			delay += c.Delay
			if c.Status == 0 && !c.Reset && !c.HTML {
				break
			}
			return delay, &c, 0, bucket
		}
	}
	switch {
	case k.rate > 0 && s.opts.RateLimitHeaders:
		// Fixed periods of burst requests each, as the headers describe them.
		now := time.Now()
		if !now.Before(k.periodEnd) {
			period := time.Duration(k.burst / k.rate * float64(time.Second))
			k.periodEnd, k.periodUsed = now.Add(period), 0
		}
		bucket = bucketState{limit: int(k.burst), reset: k.periodEnd}
		if k.periodUsed >= int(k.burst) {
			wait := k.retryAfter
			if wait <= 0 {
				wait = time.Duration(math.Ceil(k.periodEnd.Sub(now).Seconds())) * time.Second
			}
			return delay, nil, wait, bucket
		}
		k.periodUsed++
		bucket.remaining = int(k.burst) - k.periodUsed
	case k.rate > 0:
		now := time.Now()
		k.tokens = math.Min(k.burst, k.tokens+now.Sub(k.last).Seconds()*k.rate)
		k.last = now
		if k.tokens < 1 {
			wait := k.retryAfter
			if wait <= 0 {
				wait = time.Duration(math.Ceil((1-k.tokens)/k.rate)) * time.Second
			}
			return delay, nil, wait, bucket
		}
		k.tokens--
	}
	if k.slowRate > 0 && s.rng.Float64() < k.slowRate {
		delay += k.slowDelay
	}
	if k.resetRate > 0 && s.rng.Float64() < k.resetRate {
		return delay, &Fault{Reset: true}, 0, bucket
	}
	if k.faultRate > 0 && s.rng.Float64() < k.faultRate {
		return delay, &Fault{Status: []int{500, 503, 504}[s.rng.IntN(3)]}, 0, bucket
	}
	return delay, nil, 0, bucket
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request, key string, scim bool) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" || tok != key {
		writeError(w, http.StatusUnauthorized, "", "Unauthorized: the API key is missing or invalid.")
		return false
	}
	s.mu.Lock()
	expired := s.knobs.keyExpired
	s.mu.Unlock()
	if scim && expired {
		writeError(w, http.StatusUnauthorized, "", "Unauthorized: the API key has expired. Regenerate it in admin.atlassian.com.")
		return false
	}
	return true
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
