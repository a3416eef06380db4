// Package identity emulates the parts of the Microsoft identity platform (Entra ID, v2.0
// endpoints) that IdP Sync's sign-in uses, over loopback HTTPS with the emulators' own
// certificate (internal/emulator/loopbacktls), so the real MSAL code runs against it offline:
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration   issuer on the same host
//	GET  /{tenant}/oauth2/v2.0/authorize                   auto-submit form_post to the loopback redirect
//	POST /{tenant}/oauth2/v2.0/token                       authorization_code (PKCE), refresh_token, device_code
//	POST /{tenant}/oauth2/v2.0/devicecode
//	GET/POST /devicelogin                                  where a "person" enters a device code
//
// It is strict where Entra is: an unregistered client id, a redirect URI that is not
// http://localhost[:port], a missing or wrong PKCE verifier, an unknown scope, a reused code, an
// expired refresh token are refused with Entra's error shape ({error, error_description
// "AADSTSnnn: …", error_codes, trace_id, correlation_id, timestamp}).
//
// Tokens are JWT-shaped with Entra's claims and realistic sizes (access token about 2 KB,
// id_token about 1.5 KB, refresh token about 1 KB), so that code sizing the token cache is tested
// truthfully. Access tokens are signed with a per-server HMAC key so that the Graph emulator can
// check bearer tokens with (*Server).Verify; MSAL does not check signatures.
//
// Knobs model what an admin meets: permissions declined or not consented, a non-admin account,
// another tenant, an expired refresh token, short-lived access tokens, device codes waiting for
// approval, and the token response's scope field in each spelling Microsoft documents or MSAL's
// issues report per flow (SetScopeForm: echoed, short, percent-encoded, empty, absent, reduced). A Browser completes the browser step (GET the authorize page, POST its form to MSAL's
// loopback listener) for tests and for demo mode, so the demo needs no real browser and shows no
// certificate warning.
package identity
