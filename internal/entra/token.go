package entra

import (
	"context"
	"net/url"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"

	"github.com/idpsync/idpsync/internal/apperr"
)

// GraphHosts are Graph's hosts in the global, US Government and China clouds.
var GraphHosts = []string{"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"}

// StaticToken is a kiota token provider for an admin who already holds a Graph access token
// (IDPSYNC_GRAPH_TOKEN). The token goes only to the given hosts, by default Graph's own.
func StaticToken(token string, hosts ...string) absauth.AccessTokenProvider {
	if len(hosts) == 0 {
		hosts = GraphHosts
	}
	v := absauth.NewAllowedHostsValidator(hosts)
	return staticToken{token: token, hosts: &v}
}

// StaticTokenFor is StaticToken for the host of baseURL only (an emulator, a proxy, a national
// cloud). The host is the URL's Hostname, which is what the validator compares: "::1" for
// https://[::1]:8443/v1.0, so an IPv6 address works (splitting the authority at ":" gave "[").
func StaticTokenFor(token, baseURL string) (absauth.AccessTokenProvider, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() == "" {
		return nil, apperr.New(apperr.InvalidInput, "the Graph URL %q has no host", baseURL).WithAction("Use an https:// URL such as https://graph.microsoft.com/v1.0.")
	}
	return StaticToken(token, u.Hostname()), nil
}

type staticToken struct {
	token string
	hosts *absauth.AllowedHostsValidator
}

func (s staticToken) GetAuthorizationToken(_ context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !s.hosts.IsUrlHostValid(u) {
		return "", nil // kiota's convention: no header for a foreign host
	}
	return s.token, nil
}

func (s staticToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return s.hosts }
