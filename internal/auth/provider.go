package auth

import (
	"context"
	"net/url"
	"strings"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/idpsync/idpsync/internal/apperr"
)

// tokenProvider is the kiota AccessTokenProvider msgraph-sdk-go and the Graph middleware take,
// so that internal/entra never sees MSAL.
type tokenProvider struct {
	c     *Client
	hosts *authentication.AllowedHostsValidator
}

// TokenProvider returns a kiota AccessTokenProvider for this client's Graph host (and the host
// of Config.GraphURL when set). Kiota sends no Authorization header to any other host, so a
// nextLink pointing elsewhere never receives the token.
func (c *Client) TokenProvider() authentication.AccessTokenProvider {
	hosts := []string{c.ep.GraphHost}
	if c.cfg.GraphURL != "" {
		if u, err := url.Parse(c.cfg.GraphURL); err == nil && u.Host != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	v, _ := authentication.NewAllowedHostsValidatorErrorCheck(hosts)
	return &tokenProvider{c: c, hosts: v}
}

// GraphBaseURL is Config.GraphURL or the cloud's Graph base URL.
func (c *Client) GraphBaseURL() string {
	if c.cfg.GraphURL != "" {
		return strings.TrimRight(c.cfg.GraphURL, "/")
	}
	return c.ep.GraphBaseURL
}

func (p *tokenProvider) GetAuthorizationToken(ctx context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !p.hosts.IsUrlHostValid(u) {
		return "", nil // kiota's contract: no token for hosts outside the list
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return "", apperr.New(apperr.InsecureURL, "refusing to send a Microsoft token over %s to %s", u.Scheme, u.Host)
	}
	return p.c.AccessToken(ctx)
}

func (p *tokenProvider) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	return p.hosts
}
