package auth

import (
	"net/url"
	"strings"

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

// deviceLoginPages are the device-code verification pages Microsoft documents per cloud, as
// host + path. The global one is in Microsoft's device code flow article and MSAL's guides
// (https://microsoft.com/devicelogin); the US Government and China pages are what Entra returns
// there (microsoft.com/deviceloginus, asserted by MSAL Android's tests against the live service;
// microsoft.com/deviceloginchina, in Azure China's documentation). aka.ms short links are
// redirectors to anywhere and are not accepted.
var deviceLoginPages = map[directory.Cloud][]string{
	directory.CloudGlobal: {"microsoft.com/devicelogin", "www.microsoft.com/devicelogin"},
	directory.CloudUSGov:  {"microsoft.com/deviceloginus", "www.microsoft.com/deviceloginus"},
	directory.CloudChina:  {"microsoft.com/deviceloginchina", "www.microsoft.com/deviceloginchina"},
}

// authorityHosts are each cloud's sign-in hosts (Microsoft's national cloud table; China has two
// names for one service). The device page may also be served there (/common/oauth2/deviceauth).
var authorityHosts = map[directory.Cloud][]string{
	directory.CloudGlobal: {"login.microsoftonline.com", "login.microsoft.com"},
	directory.CloudUSGov:  {"login.microsoftonline.us"},
	directory.CloudChina:  {"login.chinacloudapi.cn", "login.partner.microsoftonline.cn"},
}

// DeviceLoginURLAllowed reports whether the system browser may open u, a device-code
// verification URL that the authority sent: https on port 443, no user info, and either one of
// the cloud's documented device-login pages or a page on one of the cloud's sign-in hosts.
// customAuthority is the host of a configured authority URL (an emulator, a proxy the admin set
// up), whose pages are trusted like the sign-in host's. Docs do not say whether Entra may also
// send a trailing slash or a query: both are accepted on the documented pages.
func DeviceLoginURLAllowed(c directory.Cloud, customAuthority, raw string) bool {
	if c == "" {
		c = directory.CloudGlobal
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.User != nil || u.Opaque != "" || u.Host == "" {
		return false
	}
	if p := u.Port(); p != "" && p != "443" && !strings.EqualFold(u.Host, customAuthority) {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if customAuthority != "" && strings.EqualFold(u.Host, customAuthority) {
		return true
	}
	for _, h := range authorityHosts[c] {
		if host == h {
			return true
		}
	}
	page := host + strings.ToLower(strings.TrimSuffix(u.EscapedPath(), "/"))
	for _, p := range deviceLoginPages[c] {
		if page == p {
			return true
		}
	}
	return false
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
