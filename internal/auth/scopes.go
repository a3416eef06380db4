package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Entra spells the `scope` field of a token response in more than one way, and MSAL Go refuses
// any response whose field lacks a requested scope (findDeclinedScopes: exact strings,
// case-insensitive) with "declined scopes are present", caching nothing usable. What Microsoft
// documents or users reported, for the full-URI scopes IdP Sync asks for:
//   - full URIs echoed: the authorization code flow article's refresh example;
//   - full URIs percent-encoded ("https%3A%2F%2Fgraph.microsoft.com%2Fmail.read"): the same
//     article's token responses;
//   - short names in Entra's casing plus OIDC scopes ("User.Read profile openid email"): the
//     device authorization grant article; Entra "corrects" the case (MSAL Go issue #214);
//   - an empty field, or a reduced one, on refresh (MSAL Go issue #416); RFC 6749 §5.1 lets a
//     server leave scope out when it is the one requested (MSAL then takes every scope as granted).
// A scope without a resource is Microsoft Graph's: Microsoft's scopes and permissions article
// says a bare permission such as User.Read is the same as https://graph.microsoft.com/User.Read.
//
// So before MSAL reads a token response, scopeNormalizer rewrites the field into the spelling
// MSAL was asked for: every Graph permission granted, either in the field in any of these forms
// or in the access token's `scp` claim (where Microsoft's access-token reference says the
// granted delegated permissions are), becomes the requested full URI. A permission in neither is
// left out, and MSAL's refusal then names a permission that was really not granted. The access
// token itself is never touched, and the permission check (Client.check) reads `scp` again.

// graphAppID is Microsoft Graph's application id, which also names its resource in scopes.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// graphResourceHosts are the Graph hosts of every cloud (Microsoft's national cloud deployments
// table): a scope on one of them names a Graph permission.
var graphResourceHosts = []string{"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"}

var oidcScopes = map[string]bool{"openid": true, "profile": true, "email": true, "offline_access": true}

// graphPermission returns the Graph permission a scope names in any of Entra's spellings (full
// URI, percent-encoded, short), lower-cased, or "" for OIDC scopes and other resources.
func graphPermission(scope string) string {
	s := strings.TrimSpace(scope)
	if strings.Contains(s, "%") {
		if d, err := url.QueryUnescape(s); err == nil {
			s = d
		}
	}
	s = strings.ToLower(s)
	if s == "" || oidcScopes[s] {
		return ""
	}
	i := strings.LastIndex(s, "/")
	if i < 0 {
		return s
	}
	res, perm := strings.TrimSuffix(s[:i], "/"), s[i+1:]
	if res == graphAppID {
		return perm
	}
	for _, h := range graphResourceHosts {
		if res == "https://"+h {
			return perm
		}
	}
	return ""
}

// permissionsIn returns the Graph permissions (lower-cased) of a scope field, which may be
// percent-encoded as a whole.
func permissionsIn(field string) map[string]bool {
	out := map[string]bool{}
	if strings.Contains(field, "%20") || strings.Contains(field, "+") {
		if d, err := url.QueryUnescape(field); err == nil {
			field = d
		}
	}
	for _, s := range strings.Fields(field) {
		if p := graphPermission(s); p != "" {
			out[p] = true
		}
	}
	return out
}

// grantedInToken reads the access token's scp claim: the delegated permissions granted, short
// names separated by spaces. ok is false when the token is not a readable JWT (Microsoft: tokens
// for its APIs may use a format that is not one) or has no scp.
func grantedInToken(accessToken string) (map[string]bool, bool) {
	scp := jwtClaim(accessToken, "scp")
	if scp == "" {
		return nil, false
	}
	out := map[string]bool{}
	for _, s := range strings.Fields(scp) {
		out[strings.ToLower(s)] = true
	}
	return out, true
}

// normalizeScope rewrites a token response body's scope field as described above. It returns
// body unchanged when there is no string scope field to fix.
func normalizeScope(body []byte, requested []string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	raw, ok := m["scope"]
	var field string
	if !ok || json.Unmarshal(raw, &field) != nil || strings.TrimSpace(field) == "" {
		// Absent or empty: MSAL takes every requested scope as granted; check() reads scp.
		return body
	}
	granted := permissionsIn(field)
	var token string
	_ = json.Unmarshal(m["access_token"], &token)
	if scp, ok := grantedInToken(token); ok {
		for p := range scp {
			granted[p] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range requested {
		if p := graphPermission(r); p != "" && granted[p] {
			out = append(out, r)
			seen[p] = true
		}
	}
	for _, s := range strings.Fields(field) {
		if p := graphPermission(s); p == "" || !seen[p] {
			out = append(out, s) // OIDC scopes, other resources, extra Graph permissions as sent
		}
	}
	fixed := strings.Join(out, " ")
	if fixed == field {
		return body
	}
	m["scope"], _ = json.Marshal(fixed)
	b, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return b
}

// scopeNormalizer is the RoundTripper under MSAL that applies normalizeScope to the answers of
// the token endpoint (…/oauth2/v2.0/token); every other answer passes untouched.
type scopeNormalizer struct {
	next      http.RoundTripper
	requested []string
}

// maxTokenResponse bounds what is read to normalize: Entra's token responses are about 5 KB.
const maxTokenResponse = 1 << 20

func (t *scopeNormalizer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || req.Method != http.MethodPost ||
		!strings.HasSuffix(strings.TrimSuffix(req.URL.Path, "/"), "/oauth2/v2.0/token") {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	resp.Body.Close()
	if rerr != nil {
		return nil, rerr
	}
	body = normalizeScope(body, t.requested)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}
