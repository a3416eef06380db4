package identity

import (
	"net/url"
	"strings"
)

// ScopeForm is how a token response spells its `scope` field. Entra's answers differ by flow and
// over time, and MSAL Go compares the field with the requested scopes string by string
// (case-insensitive), so each documented or reported spelling is a form a client must survive.
// The access token's `scp` claim is the same in every form: the permissions really granted.
type ScopeForm string

const (
	// ScopeEcho echoes the scopes as asked: full URIs when full URIs were requested
	// (https://graph.microsoft.com/User.Read.All). The default. Source: the refresh example of
	// Microsoft's authorization code flow article.
	ScopeEcho ScopeForm = ""
	// ScopeShort answers the short Graph names with Entra's casing plus the OIDC scopes, whatever
	// form was asked: "User.Read.All GroupMember.Read.All Domain.Read.All profile openid email".
	// Source: the successful response of Microsoft's device authorization grant article
	// ("User.Read profile openid email"); MSAL Go issue #214 (Entra returns its own casing).
	ScopeShort ScopeForm = "short"
	// ScopeEncoded answers full URIs percent-encoded, exactly as the token responses of
	// Microsoft's authorization code flow article show them
	// ("https%3A%2F%2Fgraph.microsoft.com%2Fmail.read").
	ScopeEncoded ScopeForm = "encoded"
	// ScopeEmpty answers "scope": "". Reported for refreshes (MSAL Go issue #416, 2026 comment);
	// RFC 6749 §5.1 lets a server omit scope when it equals the request.
	ScopeEmpty ScopeForm = "empty"
	// ScopeAbsent leaves the scope field out (RFC 6749 §5.1: optional when identical to the request).
	ScopeAbsent ScopeForm = "absent"
	// ScopeReduced drops the first granted Graph permission from the field while the access token
	// still carries it, the reduced scope on refresh of MSAL Go issue #416.
	ScopeReduced ScopeForm = "reduced"
)

// SetScopeForm makes token responses of grantType ("authorization_code", "device_code",
// "refresh_token"; "" for all three) spell `scope` in form f.
func (s *Server) SetScopeForm(grantType string, f ScopeForm) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scopeForms == nil {
		s.scopeForms = map[string]ScopeForm{}
	}
	if grantType == "" {
		for _, g := range []string{"authorization_code", "device_code", "refresh_token"} {
			s.scopeForms[g] = f
		}
		return
	}
	s.scopeForms[grantType] = f
}

// scopeField renders g's scope in form f; ok is false when the field is to be left out.
func scopeField(g grant, f ScopeForm) (string, bool) {
	full := make([]string, 0, len(g.perms))
	for _, p := range g.perms {
		if g.resource != "" {
			p = g.resource + "/" + p
		}
		full = append(full, p)
	}
	switch f {
	case ScopeShort:
		out := append([]string(nil), g.perms...)
		for _, o := range []string{"profile", "openid", "email"} {
			if contains(g.oidc, o) || o == "email" && contains(g.oidc, "openid") {
				out = append(out, o)
			}
		}
		return strings.Join(out, " "), true
	case ScopeEncoded:
		enc := make([]string, len(full))
		for i, p := range full {
			enc[i] = url.QueryEscape(p)
		}
		return strings.Join(enc, " "), true
	case ScopeEmpty:
		return "", true
	case ScopeAbsent:
		return "", false
	case ScopeReduced:
		if len(full) > 0 {
			full = full[1:]
		}
	}
	return strings.Join(full, " "), true
}
