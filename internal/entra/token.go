package entra

import (
	"context"
	"net/url"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
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
