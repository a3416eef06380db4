package atlassian

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// OrgConfig configures the organization API client.
type OrgConfig struct {
	BaseURL         string // default https://api.atlassian.com
	OrgID           string
	APIKey          string // the organization API key (bearer)
	KeyCreated      time.Time
	Transport       http.RoundTripper
	AllowCustomHost bool
	Retry           RetryPolicy
	Limiter         *Limiter
	LimiterConfig   LimiterConfig
	Timeout         time.Duration
	Now             func() time.Time
}

// Org is a client of the organization API (domains). Safe for concurrent use.
type Org struct {
	ep    *endpoint
	orgID string
}

// OrgDomain is one domain of the organization with its claim.
type OrgDomain struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`      // lower case
	ClaimType string `json:"claimType"` // "dns" | "http"
	Status    string `json:"status"`    // "verified" | "unverified" | "superseded" | "missing_token" | "deleted"
}

// Claim statuses Atlassian documents.
const (
	ClaimVerified     = "verified"
	ClaimUnverified   = "unverified"
	ClaimSuperseded   = "superseded"
	ClaimMissingToken = "missing_token"
	ClaimDeleted      = "deleted"
)

var orgIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*$`)

// NewOrg validates cfg and returns a client.
func NewOrg(cfg OrgConfig) (*Org, error) {
	raw := cfg.BaseURL
	if raw == "" {
		raw = "https://" + AtlassianHost
	}
	u, err := checkURL(raw, cfg.AllowCustomHost)
	if err != nil {
		return nil, err
	}
	if p := strings.TrimSuffix(u.Path, "/"); p != "" {
		return nil, apperr.New(apperr.InvalidInput, "%q: the organization API base URL has no path (it is https://%s)", raw, AtlassianHost)
	}
	u.Path = ""
	if !orgIDPattern.MatchString(cfg.OrgID) {
		return nil, apperr.New(apperr.InvalidInput, "%q is not an organization id", cfg.OrgID).
			WithAction("Copy the organization id from admin.atlassian.com > Settings > API keys.")
	}
	ep, err := newEndpoint(u, cfg.APIKey, "organization API key", cfg.KeyCreated, cfg.Transport, cfg.Timeout,
		cfg.Limiter, cfg.LimiterConfig, cfg.Retry, cfg.Now, "application/json")
	if err != nil {
		return nil, err
	}
	return &Org{ep: ep, orgID: cfg.OrgID}, nil
}

// Stats returns the request counters.
func (o *Org) Stats() Stats { return o.ep.stats.snapshot() }

// domainItem is one domain of GET /admin/v1/orgs/{orgId}/domains.
type domainItem struct {
	ID         string `json:"id"`
	Attributes struct {
		Name  string `json:"name"`
		Claim struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"claim"`
	} `json:"attributes"`
}

// ListDomains reads every domain of the organization, following the cursor in links.next.
func (o *Org) ListDomains(ctx context.Context) ([]OrgDomain, error) {
	return o.listDomains(ctx, callOpts{})
}

func (o *Org) listDomains(ctx context.Context, opts callOpts) ([]OrgDomain, error) {
	path := "/admin/v1/orgs/" + url.PathEscape(o.orgID) + "/domains"
	var out []OrgDomain
	err := listPages(ctx, o, http.MethodGet, path, nil, nil, opts, "read the organization's domains", func(d domainItem) {
		out = append(out, OrgDomain{ID: d.ID, Name: strings.ToLower(d.Attributes.Name),
			ClaimType: d.Attributes.Claim.Type, Status: d.Attributes.Claim.Status})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// orgPage is one page of the organization APIs' cursor-paged lists, {data: [...], links: {next}}.
type orgPage[T any] struct {
	Data  []T `json:"data"`
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
}

// listPages reads every page of a cursor-paged list of the organization APIs (followCursor) and
// hands each item to fn. A GET carries the cursor in its query (q, may be nil), a POST in its
// JSON body (body); any answer but 200 is coded with what (what the caller was doing), a page
// without data is atlassian_bad_response.
func listPages[T any](ctx context.Context, o *Org, method, path string, q url.Values, body map[string]any, opts callOpts, what string, fn func(T)) error {
	return followCursor(method+" "+path, func(cursor string) (string, int, error) {
		pq, pb := q, any(nil) // a nil map in pb would be sent as the body "null"
		switch {
		case cursor == "":
			if body != nil {
				pb = body
			}
		case method == http.MethodGet:
			pq = url.Values{"cursor": {cursor}}
			maps.Copy(pq, q)
		default:
			b := maps.Clone(body)
			b["cursor"] = cursor
			pb = b
		}
		r, err := o.ep.do(ctx, method, path, pq, pb, opts)
		if err != nil {
			return "", 0, err
		}
		if r.status != http.StatusOK {
			return "", 0, o.orgError(what, r)
		}
		var p orgPage[T]
		if err := json.Unmarshal(r.body, &p); err != nil || p.Data == nil {
			return "", 0, badResponse(method+" "+path, r, err)
		}
		for _, x := range p.Data {
			fn(x)
		}
		return p.Links.Next, len(p.Data), nil
	})
}

// followCursor reads a cursor-paged list of the organization APIs: page is called with "" and
// then with each links.next it returns (bare, or a URL carrying ?cursor=: nextCursor) until a
// page comes back empty or without a next link; n is the page's item count. A server that
// repeats a cursor or pages past maxPages would keep a sync reading forever: both end the read
// as atlassian_bad_response naming the request (what, e.g. "GET /admin/v1/orgs/x/domains").
func followCursor(what string, page func(cursor string) (next string, n int, err error)) error {
	cursor := ""
	seen := map[string]bool{}
	for i := 0; ; i++ {
		if i >= maxPages {
			return apperr.New(apperr.AtlassianBadResponse, "%s: the server kept returning pages", what)
		}
		next, n, err := page(cursor)
		if err != nil {
			return err
		}
		next = nextCursor(next)
		if next == "" || n == 0 {
			return nil
		}
		if seen[next] {
			return apperr.New(apperr.AtlassianBadResponse, "%s: the server returned the same cursor twice", what)
		}
		seen[next] = true
		cursor = next
	}
}

// nextCursor accepts links.next as a bare cursor or as a URL carrying ?cursor=.
func nextCursor(next string) string {
	if next == "" {
		return ""
	}
	if strings.HasPrefix(next, "http") || strings.HasPrefix(next, "/") {
		if u, err := url.Parse(next); err == nil {
			return u.Query().Get("cursor")
		}
	}
	return next
}

// Part is the result of one part of the connection check.
type Part struct {
	OK      bool        `json:"ok"`
	Skipped bool        `json:"skipped,omitempty"` // not tested: nothing configured, or an earlier part failed
	Code    apperr.Code `json:"code,omitempty"`
	Message string      `json:"message"`
	Action  string      `json:"action,omitempty"`
}

// ConnectionReport is the setup screen's check, part by part.
type ConnectionReport struct {
	SCIMURL   Part        `json:"scimUrl"`   // the directory URL answers SCIM
	SCIMKey   Part        `json:"scimKey"`   // the directory API key is accepted
	OrgKey    Part        `json:"orgKey"`    // the organization API key is accepted
	OrgFound  Part        `json:"orgFound"`  // the organization id exists for that key
	UserCount int         `json:"userCount"` // users in the directory, when the SCIM key works
	Domains   []OrgDomain `json:"domains,omitempty"`
}

// OK reports whether every tested part passed.
func (r ConnectionReport) OK() bool {
	for _, p := range []Part{r.SCIMURL, r.SCIMKey, r.OrgKey, r.OrgFound} {
		if !p.OK && !p.Skipped {
			return false
		}
	}
	return true
}

func failed(err error) Part {
	e := apperr.As(err)
	return Part{Code: e.Code, Message: e.Message, Action: e.Action}
}

func skipped(why string) Part { return Part{Skipped: true, Message: why} }

// CheckConnection tests both keys with one cheap call each (no retries): the SCIM directory
// (ServiceProviderConfig, then a one-user page) and the organization (its domains). orgCfg may
// be nil when the admin has not entered an organization key.
func CheckConnection(ctx context.Context, scimCfg SCIMConfig, orgCfg *OrgConfig) ConnectionReport {
	var rep ConnectionReport
	if c, err := NewSCIM(scimCfg); err != nil {
		rep.SCIMURL = failed(err)
		rep.SCIMKey = skipped("not tested: fix the URL first")
		if apperr.CodeOf(err) == apperr.SecretMissing {
			rep.SCIMURL, rep.SCIMKey = skipped("not tested: enter the key first"), failed(err)
		}
	} else {
		n, err := c.check(ctx)
		switch code := apperr.CodeOf(err); {
		case err == nil:
			rep.SCIMURL = Part{OK: true, Message: "the directory answers at " + c.ep.base.String()}
			rep.SCIMKey = Part{OK: true, Message: "the directory API key is accepted"}
			rep.UserCount = n
		case code == apperr.AtlassianUnauthorized || code == apperr.AtlassianForbidden:
			rep.SCIMURL = Part{OK: true, Message: "the directory answers at " + c.ep.base.String()}
			rep.SCIMKey = failed(err)
		default:
			rep.SCIMURL = failed(err)
			rep.SCIMKey = skipped("not tested: the URL does not answer")
		}
	}
	if orgCfg == nil {
		rep.OrgKey = skipped("no organization API key entered (optional: it shows the domains' claim status)")
		rep.OrgFound = skipped("no organization id entered")
		return rep
	}
	o, err := NewOrg(*orgCfg)
	if err != nil {
		rep.OrgKey = failed(err)
		rep.OrgFound = skipped("not tested")
		return rep
	}
	domains, err := o.listDomains(ctx, callOpts{noRetry: true})
	switch code := apperr.CodeOf(err); {
	case err == nil:
		rep.OrgKey = Part{OK: true, Message: "the organization API key is accepted"}
		rep.OrgFound = Part{OK: true, Message: "organization " + orgCfg.OrgID + " found"}
		rep.Domains = domains
	case code == apperr.AtlassianNotFound:
		rep.OrgKey = Part{OK: true, Message: "the organization API key is accepted"}
		rep.OrgFound = failed(err)
	default:
		rep.OrgKey = failed(err)
		rep.OrgFound = skipped("not tested: the key was refused")
	}
	return rep
}
