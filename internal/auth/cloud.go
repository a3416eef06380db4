package auth

import (
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
)

// Endpoints are a Microsoft cloud's sign-in and Graph hosts.
type Endpoints struct {
	AuthorityHost string // e.g. login.microsoftonline.com
	GraphHost     string // e.g. graph.microsoft.com
	GraphBaseURL  string // e.g. https://graph.microsoft.com/v1.0
}

// GraphResource is the resource identifier scopes and tokens name (https://<graph host>).
func (e Endpoints) GraphResource() string { return "https://" + e.GraphHost }

// CloudEndpoints returns the hosts of a cloud; "" means the global cloud.
func CloudEndpoints(c directory.Cloud) (Endpoints, error) {
	switch c {
	case directory.CloudGlobal, "":
		return Endpoints{"login.microsoftonline.com", "graph.microsoft.com", "https://graph.microsoft.com/v1.0"}, nil
	case directory.CloudUSGov:
		// GCC High and DoD. (GCC "moderate" tenants use the global cloud.)
		return Endpoints{"login.microsoftonline.us", "graph.microsoft.us", "https://graph.microsoft.us/v1.0"}, nil
	case directory.CloudChina:
		// Operated by 21Vianet.
		return Endpoints{"login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/v1.0"}, nil
	}
	return Endpoints{}, apperr.New(apperr.InvalidInput, "unknown Microsoft cloud %q (global, usgov or china)", c)
}

// Permissions are the delegated Microsoft Graph permissions IdP Sync needs, all read-only and
// all requiring admin consent.
var Permissions = []string{"User.Read.All", "GroupMember.Read.All", "Domain.Read.All"}

// Scopes are the Permissions as full scope URIs on the cloud's Graph resource
// (https://graph.microsoft.com/User.Read.All, ...), so that a national cloud's token is for its
// own Graph.
func Scopes(c directory.Cloud) ([]string, error) {
	e, err := CloudEndpoints(c)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(Permissions))
	for i, p := range Permissions {
		out[i] = e.GraphResource() + "/" + p
	}
	return out, nil
}
