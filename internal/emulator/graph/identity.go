package graph

import (
	"errors"
	"strings"

	"github.com/idpsync/idpsync/internal/emulator/identity"
)

// graphAudiences are the aud values Graph accepts: its URL in each cloud, or its app id.
var graphAudiences = []string{"https://graph.microsoft.com", "https://graph.microsoft.us", "https://microsoftgraph.chinacloudapi.cn",
	"00000003-0000-0000-c000-000000000000"}

// IdentityVerifier accepts the access tokens the identity emulator issues (signature and expiry
// checked by it), for Graph's audience only, with the token's delegated scopes as permissions.
func IdentityVerifier(id *identity.Server) Verifier {
	return func(token string) (Principal, error) {
		c, err := id.Verify(token)
		if err != nil {
			return Principal{}, err
		}
		aud := strings.TrimSuffix(c.Audience, "/")
		ok := aud == ""
		for _, a := range graphAudiences {
			ok = ok || strings.EqualFold(aud, a)
		}
		if !ok {
			return Principal{}, errors.New("the token is not for Microsoft Graph (aud " + c.Audience + ")")
		}
		scopes := c.Scopes
		if scopes == nil {
			scopes = []string{} // a token without scp has no permission, unlike a test principal
		}
		return Principal{AppID: c.AppID, TenantID: c.TenantID, Scopes: scopes}, nil
	}
}
