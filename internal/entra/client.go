// Package entra reads an Entra ID tenant through Microsoft Graph: the organization, domains, users,
// groups with their direct members, and incremental changes through delta queries. It is the only
// package that imports the Graph SDK, and only its request-builder subpackages: requests go through
// the SDK's request adapter and kiota middleware (auth, retry honouring Retry-After, redirects),
// while pages are decoded with encoding/json straight into internal/directory structs, which is
// about ten times cheaper than the SDK's models and keeps none of them alive.
package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"

	"github.com/idpsync/idpsync/internal/apperr"
)

// DefaultBaseURL is Graph v1.0 in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Config configures a Reader.
type Config struct {
	// BaseURL is Graph's v1.0 root, e.g. https://graph.microsoft.us/v1.0; default DefaultBaseURL.
	BaseURL string
	// Tokens supplies bearer tokens; its allowed hosts must include BaseURL's host.
	Tokens absauth.AccessTokenProvider
	// Transport is the parent transport under the kiota middleware (TLS trust, proxies).
	Transport http.RoundTripper
	// Concurrency bounds independent reads running at once (users and groups); default 2.
	Concurrency int
	// MemberConcurrency bounds the member listings of a full read in flight at once; default 32.
	// Graph's budget allows about 400 listings a second in a large tenant (800 units/s, 2 each):
	// at 20 ms a request 8 would do, at a real tenant's 50–100 ms it takes 20–40.
	MemberConcurrency int
	// MaxRetries is kiota's retry count for 429/503/504 (honouring Retry-After); default 5, max 10.
	MaxRetries int
	// NetworkRetries re-sends a GET after a connection error (reset, EOF); default 3.
	NetworkRetries int
	// RequestTimeout bounds one request including kiota's retry sleeps; default 5 minutes.
	RequestTimeout time.Duration
	// PageSize is $top for user listing (1..999); default 999.
	PageSize int
}

// Counters are the reader's totals since New.
type Counters struct {
	Requests  int64 // HTTP attempts on the wire, retries included
	Throttled int64 // 429 answers seen (each then retried or reported)
	Units     int64 // Graph resource units charged, estimated with Graph's published costs
}

// Progress reports a read as it goes.
type Progress struct {
	Phase       string // "tenant", "users", "groups", "delta"
	Users       int
	Groups      int
	Memberships int
	Requests    int64
}

// Reader reads one tenant. It is safe for concurrent use.
type Reader struct {
	cfg     Config
	base    *url.URL
	adapter *khttp.NetHttpRequestAdapter
	count   counters
	pace    *pacer
}

type counters struct{ requests, throttled, units atomic.Int64 }

// New builds a reader on Graph's default middleware chain with the retry handler configured.
func New(cfg Config) (*Reader, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil, apperr.New(apperr.InvalidInput, "Graph base URL %q must be an https URL", cfg.BaseURL)
	}
	if cfg.Tokens == nil {
		return nil, apperr.New(apperr.InvalidInput, "no Graph token provider configured")
	}
	// Kiota silently sends no Authorization header to a host outside the provider's list; refuse
	// that configuration here instead of debugging 401s later.
	if v := cfg.Tokens.GetAllowedHostsValidator(); v != nil && !v.IsUrlHostValid(base) {
		return nil, apperr.New(apperr.InvalidInput, "the Graph host %s is not among the token provider's allowed hosts", base.Hostname())
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.MemberConcurrency <= 0 {
		cfg.MemberConcurrency = 32
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	cfg.MaxRetries = min(cfg.MaxRetries, 10)
	if cfg.NetworkRetries <= 0 {
		cfg.NetworkRetries = 3
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Minute
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 999 {
		cfg.PageSize = 999
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	r := &Reader{cfg: cfg, base: base, pace: newPacer()}

	opts := core.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "idpsync"}
	mw := core.GetDefaultMiddlewaresWithOptions(&opts)
	for i, m := range mw {
		if _, ok := m.(*khttp.RetryHandler); ok {
			mw[i] = khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{
				MaxRetries:   cfg.MaxRetries,
				DelaySeconds: 2,
				// A nil ShouldRetry panics in kiota; every 429/503/504 of a GET is safe to retry.
				ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return true },
			})
		}
		if _, ok := m.(*khttp.RedirectHandler); ok {
			// kiota follows a redirect to any host, only dropping the token: the data from there
			// would be read as the tenant's. A redirect off the configured host is not followed
			// and handle() turns it into a coded error.
			mw[i] = khttp.NewRedirectHandlerWithOptions(khttp.RedirectHandlerOptions{MaxRedirects: 5,
				ShouldRedirect: func(req *http.Request, res *http.Response) bool {
					return r.sameHost(req.URL, res.Header.Get("Location"))
				}})
		}
	}
	hc := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(&countingTransport{next: cfg.Transport, c: &r.count, pace: r.pace, tokens: cfg.Tokens}, mw...),
		// kiota's redirect handler follows redirects itself (dropping the token on a host change).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       cfg.RequestTimeout,
	}
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(cfg.Tokens)
	adapter, err := khttp.NewNetHttpRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "building the Graph request adapter")
	}
	adapter.SetBaseUrl(cfg.BaseURL)
	r.adapter = adapter
	return r, nil
}

// Counters returns the request totals so far.
func (r *Reader) Counters() Counters {
	return Counters{Requests: r.count.requests.Load(), Throttled: r.count.throttled.Load(), Units: r.count.units.Load()}
}

// countingTransport sits under the middleware so it sees (and paces) every attempt, retries
// included.
//
// kiota attaches the bearer token before its middleware, so an attempt that waited (for the
// pacer's budget, or kiota's retry sleep after a 429/503/504, which marks the retry with a
// Retry-Attempt header) would go out with the token taken before the wait. With real tokens,
// which MSAL renews 5 minutes before they expire, that matters only after a long hold; with the
// 3 s tokens of TestTokenExpiryMidReadAndMidApply it made Graph answer 401 on a loaded machine.
// Such an attempt takes the token again, just before the wire (the token client memoizes it, so
// this costs nothing while the token is fresh).
type countingTransport struct {
	next   http.RoundTripper
	c      *counters
	pace   *pacer
	tokens absauth.AccessTokenProvider
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	waited, err := t.pace.wait(req.Context(), EstimateUnits(req.URL))
	if err != nil {
		return nil, err
	}
	if (waited || req.Header.Get("Retry-Attempt") != "") && req.Header.Get("Authorization") != "" {
		if req, err = t.freshToken(req); err != nil {
			return nil, err
		}
	}
	t.c.requests.Add(1)
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		if resp.StatusCode == http.StatusTooManyRequests {
			t.c.throttled.Add(1)
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			t.pace.throttled(time.Duration(max(secs, 1)) * time.Second)
		} else {
			t.pace.answered()
			t.c.units.Add(int64(EstimateUnits(req.URL)))
		}
	}
	return resp, err
}

// freshToken is req (cloned: a RoundTripper leaves its request alone) with the token taken now.
func (t *countingTransport) freshToken(req *http.Request) (*http.Request, error) {
	tok, err := t.tokens.GetAuthorizationToken(req.Context(), req.URL, nil)
	if err != nil {
		return nil, err
	}
	if tok == "" { // a host the provider does not serve: kiota sent it no token either
		return req, nil
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return req, nil
}

// EstimateUnits is Graph's published resource-unit cost of a GET (identity and access service):
// users list 2, group members 3, transitive members 5, anything else 1; $select saves 1, $expand
// adds 1, $top under 20 saves 1; never below 1.
func EstimateUnits(u *url.URL) int {
	p := strings.TrimSuffix(u.Path, "/")
	cost := 1
	switch {
	case strings.HasSuffix(p, "/transitiveMembers"):
		cost = 5
	case strings.HasSuffix(p, "/members"):
		cost = 3
	case strings.HasSuffix(p, "/users"):
		cost = 2
	}
	q := u.Query()
	if q.Has("$select") {
		cost--
	}
	if q.Has("$expand") {
		cost++
	}
	if t := q.Get("$top"); t != "" && len(t) < 3 {
		var n int
		if _, err := fmt.Sscan(t, &n); err == nil && n < 20 {
			cost--
		}
	}
	return max(cost, 1)
}

// request is one logical Graph call: a name for messages, the permission it needs, and where
// to decode the page.
type request struct {
	name   string // e.g. "GET /users"
	perm   string // delegated permission named when Graph answers 401/403
	info   *abs.RequestInformation
	decode func(io.Reader) error
	// notFound, when set, takes a 404 as "the object is gone" instead of an error.
	notFound *bool
}

// send runs one request through the adapter with a raw response handler. Connection errors are
// retried for GETs; HTTP errors are mapped to coded errors; a body that does not decode is a
// GraphBadResponse, never a short read.
func (r *Reader) send(ctx context.Context, req request) error {
	var last error
	for attempt := 0; attempt <= r.cfg.NetworkRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return apperr.Wrap(ctx.Err(), apperr.Canceled, "reading the directory was canceled")
			case <-time.After(time.Duration(attempt*attempt) * 200 * time.Millisecond):
			}
		}
		var handled error
		status := 0
		h := abs.NewRequestHandlerOption()
		h.SetResponseHandler(func(resp any, _ abs.ErrorMappings) (any, error) {
			hr, ok := resp.(*http.Response)
			if !ok || hr == nil {
				handled = apperr.New(apperr.GraphBadResponse, "%s: no response", req.name)
				return nil, nil
			}
			defer hr.Body.Close()
			status = hr.StatusCode
			handled = r.handle(hr, req)
			return nil, nil
		})
		req.info.AddRequestOptions([]abs.RequestOption{h})
		_, err := r.adapter.Send(ctx, req.info, nil, nil)
		if err == nil {
			// A page that did not arrive whole, and a 500/502 (kiota retries only 429/503/504),
			// are transient like a reset: every request here is a GET, and a page is decoded
			// whole before any of it is used, so sending it again is safe.
			var pe pageError
			if handled != nil && attempt < r.cfg.NetworkRetries && (status == http.StatusInternalServerError || status == http.StatusBadGateway || errors.As(handled, &pe)) {
				last = handled
				continue
			}
			return handled
		}
		if ctx.Err() != nil {
			return apperr.Wrap(ctx.Err(), apperr.Canceled, "reading the directory was canceled")
		}
		// The token provider's own refusal (nobody signed in, consent missing, an insecure URL)
		// is not the network: retrying cannot help, and "check the network" would send the
		// admin the wrong way. It arrives coded; a transport failure does not.
		var coded *apperr.Error
		if errors.As(err, &coded) {
			return err
		}
		// An untrusted certificate does not heal by retrying (it took 4 attempts and ended as
		// graph_unavailable, "check the network"): it is a TLS-inspecting proxy or a wrong host.
		if e := apperr.UntrustedCertificate(err, r.base.Host); e != nil {
			return e
		}
		if e := apperr.NotTLS(err, r.base.Host); e != nil {
			return e
		}
		last = err
	}
	return apperr.Wrap(last, apperr.GraphUnavailable, "%s failed after %d attempts", req.name, r.cfg.NetworkRetries+1).
		WithAction("Check the network connection to Microsoft Graph and try again.")
}

type odataErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r *Reader) handle(resp *http.Response, req request) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := req.decode(resp.Body); err != nil {
			return apperr.Wrap(err, apperr.GraphBadResponse, "%s returned a malformed or truncated page", req.name).
				WithAction("Run the read again; if it persists, report it with the log.")
		}
		return nil
	}
	if resp.StatusCode == http.StatusNotFound && req.notFound != nil {
		*req.notFound = true
		return nil
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		to := resp.Header.Get("Location")
		if resp.Request != nil && r.sameHost(resp.Request.URL, to) {
			return apperr.New(apperr.GraphBadResponse, "%s: Microsoft Graph kept redirecting (HTTP %d, more than 5 times)", req.name, resp.StatusCode).
				WithAction("Run the read again; if it persists, check any proxy between this computer and Microsoft Graph.")
		}
		if u, err := url.Parse(to); err == nil && u.Host != "" {
			to = u.Scheme + "://" + u.Host // the query may carry anything; the host is what matters
		}
		return apperr.New(apperr.InsecureURL, "%s: Microsoft Graph at %s redirected (HTTP %d) to %s, which is not the configured Graph host; the answer was not used", req.name, r.base.Host, resp.StatusCode, to).
			WithAction("Check the directory's cloud and Graph URL, and any proxy between this computer and Microsoft Graph.")
	}
	var oe odataErr
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(body, &oe)
	code, msg := oe.Error.Code, oe.Error.Message
	detail := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if code != "" {
		detail += " " + code + ": " + msg
	}
	switch {
	case resp.StatusCode == http.StatusGone || strings.EqualFold(code, "syncStateNotFound") || strings.EqualFold(code, "resyncRequired"):
		return apperr.New(apperr.GraphDeltaExpired, "%s: the delta token is no longer valid (%s); a full read is needed", req.name, detail)
	case resp.StatusCode == http.StatusUnauthorized:
		return apperr.New(apperr.GraphPermission, "%s was refused (%s): the token is missing, expired or lacks %s", req.name, detail, req.perm).
			WithAction("Sign in again; the app registration needs the delegated permission " + req.perm + " with admin consent.")
	case resp.StatusCode == http.StatusForbidden:
		return apperr.New(apperr.GraphPermission, "%s was refused (%s): the permission %s is missing", req.name, detail, req.perm).
			WithAction("Grant admin consent for the delegated permission " + req.perm + " to the app registration, then sign in again.")
	case resp.StatusCode == http.StatusTooManyRequests:
		return apperr.New(apperr.GraphThrottled, "%s is still throttled after %d retries (%s)", req.name, r.cfg.MaxRetries, detail).
			WithAction("Wait a few minutes and try again; another application may be using the tenant's Graph quota.")
	case resp.StatusCode >= 500:
		return apperr.New(apperr.GraphUnavailable, "%s failed (%s)", req.name, detail).
			WithAction("Microsoft Graph is unavailable; try again later.")
	}
	return apperr.New(apperr.GraphBadResponse, "%s was rejected (%s)", req.name, detail)
}

// sameHost reports whether a redirect's Location, resolved against the request, stays on https
// on the configured Graph host.
func (r *Reader) sameHost(from *url.URL, location string) bool {
	u, err := url.Parse(location)
	if err != nil || (!u.IsAbs() && !strings.HasPrefix(location, "/")) {
		return false // kiota resolves only absolute and "/…" locations
	}
	u = from.ResolveReference(u)
	return u.Scheme == "https" && strings.EqualFold(u.Host, r.base.Host)
}

// linkInfo builds a request for an absolute nextLink/deltaLink. The link must stay on the base
// host: the token provider would otherwise send the token elsewhere (or silently nothing).
func (r *Reader) linkInfo(name, link string) (*abs.RequestInformation, error) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Host, r.base.Host) {
		return nil, apperr.New(apperr.GraphBadResponse, "%s returned a link to another host or an invalid link", name)
	}
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	ri.SetUri(*u)
	ri.Headers.Add("Accept", "application/json")
	return ri, nil
}

// progressSink serializes progress callbacks from concurrent reads.
type progressSink struct {
	mu sync.Mutex
	fn func(Progress)
	p  Progress
	r  *Reader
}

func (s *progressSink) add(phase string, users, groups, members int) {
	if s == nil || s.fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.Phase = phase
	s.p.Users += users
	s.p.Groups += groups
	s.p.Memberships += members
	s.p.Requests = s.r.count.requests.Load()
	s.fn(s.p)
}

var errNoLink = errors.New("the page has neither @odata.nextLink nor @odata.deltaLink")
