package atlassian

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// RetryPolicy bounds the retries of one operation. 429s are retried separately from 5xx and
// network errors because a throttled request was not processed and waiting is the cure.
type RetryPolicy struct {
	MaxRetries         int           // 5xx and network errors; default 4 (5 attempts)
	MaxThrottleRetries int           // 429s; default 12
	BaseDelay          time.Duration // first backoff; default 250ms
	MaxDelay           time.Duration // backoff ceiling; default 30s
	MaxRetryAfter      time.Duration // the longest Retry-After honoured; default 10 min
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxRetries == 0 {
		p.MaxRetries = 4
	}
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if p.MaxThrottleRetries == 0 {
		p.MaxThrottleRetries = 12
	}
	if p.MaxThrottleRetries < 0 {
		p.MaxThrottleRetries = 0
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 10 * time.Minute
	}
	return p
}

// backoff is "equal jitter": between half and all of base·2^attempt, so clients that failed
// together do not retry together, yet each still waits at least half the step.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	ceil := p.BaseDelay << min(attempt, 20)
	if ceil > p.MaxDelay || ceil <= 0 {
		ceil = p.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(ceil)/2+1)) + ceil/2
}

// Stats counts the requests of a client; all fields are totals since the client was made.
type Stats struct {
	Requests      int64 // HTTP requests sent (attempts, retries included)
	Retries       int64 // attempts after the first, for any reason
	Throttled     int64 // 429 answers
	ServerErrors  int64 // 5xx answers
	NetworkErrors int64 // transport failures (reset, refused, timeout)
	Reads         int64 // GET attempts
	Writes        int64 // POST, PATCH, PUT, DELETE attempts
}

type counters struct {
	requests, retries, throttled, serverErrors, networkErrors, reads, writes atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Requests: c.requests.Load(), Retries: c.retries.Load(), Throttled: c.throttled.Load(),
		ServerErrors: c.serverErrors.Load(), NetworkErrors: c.networkErrors.Load(),
		Reads: c.reads.Load(), Writes: c.writes.Load(),
	}
}

// endpoint is what the SCIM and organization clients share: one base URL, one key, one paced and
// retrying HTTP client.
type endpoint struct {
	base       *url.URL
	key        string
	keyName    string // "directory API key" / "organization API key"
	keyCreated time.Time
	accept     string
	hc         *http.Client
	lim        *Limiter
	retry      RetryPolicy
	stats      counters
	now        func() time.Time
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds one response: a page of 100 groups of up to 35,000 members each is the largest
// legitimate answer (about 200 MB in the worst case).
const maxBody = 256 << 20

// withPath appends path, whose segments callers escaped once with url.PathEscape, to the base
// path. Both forms are set so that url.URL sends the escaped form as it is: setting only the
// decoded Path made "a b" go out as a%2520b. An empty, "." or ".." segment is refused: a
// server resolves it against the path (GET /Users/.. is the directory, DELETE /Groups/ may
// mean every group to a lenient proxy), so an id read from a hostile answer or typed by hand
// never addresses another resource.
func withPath(u url.URL, method, path string) (url.URL, error) {
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil || dec == "" || dec == "." || dec == ".." {
			return u, apperr.New(apperr.InvalidInput, "%s %s: refusing a request path with an empty, \".\" or \"..\" id segment (it would address another resource)", method, path).
				WithAction("Run a full reconcile; if the id came from Atlassian, report it with the log.")
		}
	}
	raw := strings.TrimSuffix(u.EscapedPath(), "/") + path
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return u, apperr.Wrap(err, apperr.InvalidInput, "%s %s: malformed request path", method, path)
	}
	u.Path, u.RawPath = dec, raw
	return u, nil
}

type callOpts struct {
	noRetry bool // connection checks want the first answer, fast
}

// do sends one logical request, pacing it, retrying 429/5xx/network failures, and returns the
// final answer for any status below 500 except 429. Errors are *apperr.Error.
func (e *endpoint) do(ctx context.Context, method, path string, query url.Values, body any, o callOpts) (*response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, apperr.Wrap(err, apperr.Internal, "encode request body")
		}
	}
	u, err := withPath(*e.base, method, path)
	if err != nil {
		return nil, err
	}
	if query != nil {
		u.RawQuery = query.Encode()
	}
	target := u.String()
	policy := e.retry
	if o.noRetry {
		policy.MaxRetries, policy.MaxThrottleRetries = 0, 0
	}
	failures, throttles := 0, 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			e.stats.retries.Add(1)
		}
		ticket, err := e.lim.Wait(ctx)
		if err != nil {
			return nil, canceled(err)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			return nil, apperr.Wrap(err, apperr.Internal, "build request")
		}
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Accept", e.accept)
		if payload != nil {
			req.Header.Set("Content-Type", e.accept)
		}
		e.stats.requests.Add(1)
		if method == http.MethodGet || (method == http.MethodPost && strings.HasSuffix(path, "/search")) { // a search reads
			e.stats.reads.Add(1)
		} else {
			e.stats.writes.Add(1)
		}
		resp, err := e.hc.Do(req)
		var r *response
		if err == nil {
			r, err = readResponse(resp)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, canceled(ctx.Err())
			}
			e.stats.networkErrors.Add(1)
			ne := e.networkError(method, path, err)
			if ne.Code != apperr.AtlassianUnavailable || failures >= policy.MaxRetries {
				return nil, ne
			}
			failures++
			if err := sleep(ctx, policy.backoff(failures-1)); err != nil {
				return nil, canceled(err)
			}
			continue
		}
		rh := ParseRateHeaders(r.header)
		e.lim.Observe(rh, r.status == http.StatusTooManyRequests)
		switch {
		case r.status == http.StatusTooManyRequests:
			e.stats.throttled.Add(1)
			e.lim.OnThrottle(ticket)
			if throttles >= policy.MaxThrottleRetries {
				return nil, apperr.New(apperr.AtlassianThrottled, "%s %s: Atlassian is still rate limiting after %d retries", method, path, throttles).
					WithAction("Wait a few minutes and sync again; the next run resumes where this one stopped.")
			}
			// Atlassian: reissuing the request before Retry-After has passed fails again with the
			// same or a longer Retry-After. X-RateLimit-Reset, when it comes alone, says the same.
			wait := retryAfter(r.header, time.Now())
			if wait <= 0 && !rh.Reset.IsZero() {
				wait = time.Until(rh.Reset)
			}
			if wait <= 0 {
				wait = policy.backoff(throttles)
			}
			throttles++
			if err := sleep(ctx, min(wait, policy.MaxRetryAfter)); err != nil {
				return nil, canceled(err)
			}
			continue
		case r.status >= 500:
			e.stats.serverErrors.Add(1)
			if failures >= policy.MaxRetries {
				return nil, apperr.New(apperr.AtlassianUnavailable, "%s %s: Atlassian answered %d %s after %d attempts%s",
					method, path, r.status, http.StatusText(r.status), failures+1, detailSuffix(r.body)).
					WithAction("Atlassian's service is failing; retry later. Other operations of the run are not affected.")
			}
			failures++
			wait := policy.backoff(failures - 1)
			if ra := retryAfter(r.header, time.Now()); ra > wait { // a 503 may say when to come back
				wait = min(ra, policy.MaxRetryAfter)
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, canceled(err)
			}
			continue
		}
		e.lim.OnSuccess(ticket) // a 404 or a 409 passed the rate limit too

		return r, nil
	}
}

func readResponse(resp *http.Response) (*response, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("response larger than %d bytes", maxBody)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func canceled(err error) error {
	return apperr.Wrap(errors.Join(apperr.ErrCanceled, err), apperr.Canceled, "canceled")
}

// retryAfter reads Retry-After as seconds or an HTTP date; 0 when absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// networkError classifies a transport failure. Only transient ones (reset, refused, timeout, EOF)
// carry AtlassianUnavailable and are retried; TLS and DNS failures will not heal by retrying.
func (e *endpoint) networkError(method, path string, err error) *apperr.Error {
	host := e.base.Host
	var dnsErr *net.DNSError
	if e := apperr.UntrustedCertificate(err, host); e != nil {
		return e
	}
	if e := apperr.NotTLS(err, host); e != nil {
		return e
	}
	switch {
	case errors.As(err, &dnsErr) && (dnsErr.IsNotFound || !dnsErr.IsTemporary):
		return apperr.Wrap(err, apperr.AtlassianUnavailable, "cannot resolve %s: no network, or the host name is wrong", host).
			WithAction("Check the network connection and the URL.")
	case errors.Is(err, syscall.ECONNREFUSED) || isDial(err):
		return apperr.Wrap(err, apperr.AtlassianUnavailable, "cannot connect to %s: no network, or the host refuses connections", host).
			WithAction("Check the network connection (and any proxy or firewall).")
	}
	return apperr.Wrap(err, apperr.AtlassianUnavailable, "%s %s: network error talking to %s", method, path, host).
		WithAction("Check the network connection; the operation can be retried.")
}

func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// scimError is the body of a SCIM error answer (RFC 7644 §3.12); status may be a string or a number.
type scimError struct {
	Status   json.RawMessage `json:"status"`
	ScimType string          `json:"scimType"`
	Detail   string          `json:"detail"`
	Message  string          `json:"message"` // some Atlassian admin APIs
}

func parseError(b []byte) scimError {
	var se scimError
	_ = json.Unmarshal(b, &se)
	if se.Detail == "" {
		se.Detail = se.Message
	}
	return se
}

func detailSuffix(b []byte) string {
	if se := parseError(b); se.Detail != "" {
		return ": " + truncate(se.Detail, 300)
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// statusError turns a final 4xx into a coded error. what names the operation for the admin.
func (e *endpoint) statusError(what string, r *response) *apperr.Error {
	se := parseError(r.body)
	detail := ""
	if se.Detail != "" {
		detail = ": " + truncate(se.Detail, 300)
	}
	if r.status >= 300 && r.status < 400 {
		return apperr.New(apperr.AtlassianBadResponse, "%s: the server redirects to %q instead of answering (%d)", what, r.header.Get("Location"), r.status).
			WithAction("Check the URL: the key is only ever sent to the address entered.")
	}
	switch r.status {
	case http.StatusUnauthorized:
		return e.unauthorized(se.Detail)
	case http.StatusForbidden:
		return apperr.New(apperr.AtlassianForbidden, "%s: Atlassian refused the operation (403)%s", what, detail).
			WithAction("Check that the " + e.keyName + " belongs to this directory or organization and has the needed scope.")
	case http.StatusNotFound:
		return apperr.New(apperr.AtlassianNotFound, "%s: not found in Atlassian (404)%s", what, detail)
	case http.StatusConflict:
		return apperr.New(apperr.AtlassianConflict, "%s: already exists in Atlassian (409 %s)%s", what, se.ScimType, detail)
	}
	return apperr.New(apperr.AtlassianRejected, "%s: Atlassian rejected the request (%d %s)%s", what, r.status, se.ScimType, detail)
}

// unauthorized says the key is wrong or expired, with its age: Atlassian directory API keys
// created since 2025 expire a year after creation, and the service does not tell which it is.
func (e *endpoint) unauthorized(detail string) *apperr.Error {
	age := ""
	if !e.keyCreated.IsZero() {
		days := int(e.now().Sub(e.keyCreated).Hours() / 24)
		age = fmt.Sprintf(" The key was created %d days ago", days)
		if days >= 365 {
			age += " and has probably expired (keys expire after one year)"
		}
		age += "."
	}
	why := "the key is wrong or expired"
	if strings.Contains(strings.ToLower(detail), "expire") {
		why = "the key has expired"
	}
	return apperr.New(apperr.AtlassianUnauthorized, "Atlassian refused the %s: %s.%s", e.keyName, why, age).
		WithAction("Regenerate the key in admin.atlassian.com (Security > Identity providers, or Settings > API keys for the organization key) and enter it again.")
}
