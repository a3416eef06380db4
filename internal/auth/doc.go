// Package auth signs the admin in to Microsoft Entra ID with MSAL for Go (public client) and
// hands out delegated Microsoft Graph tokens for one directory.
//
// Flows: interactive (system browser, loopback redirect on http://localhost, PKCE), device code
// (the screen shows a code and a URL, which must be one of the cloud's Microsoft device-login
// pages), and silent (AcquireTokenSilent with the cached account
// before every Graph call, redeeming the refresh token when the access token is due). The token
// cache is sealed with the keychain package's Envelope: an AES-256-GCM file in the app's folder
// whose key is a keychain item, because the cache (6–10 KB) does not fit a Windows or macOS item.
//
// Every token passes one gate before use: the three permissions (User.Read.All,
// GroupMember.Read.All, Domain.Read.All) were granted, and the token's tenant is the tenant the
// directory is pinned to. Entra's AADSTS errors map to stable apperr codes with the action that
// fixes them. The HTTP client to the authority follows no redirect, so a refresh token or code
// never goes to a host it names. TokenProvider adapts the client to kiota's AccessTokenProvider with an
// allowed-hosts list, so internal/entra never sees MSAL.
//
// # Register the app in Entra ID
//
// IdP Sync signs in with your own app registration, so the permissions it holds are the ones you
// granted, in your tenant. A Global Administrator (or Cloud Application Administrator plus
// Privileged Role Administrator for the consent) does this once:
//
//  1. Open the Microsoft Entra admin center (entra.microsoft.com; for US Government
//     entra.microsoft.us, for China portal.azure.cn) → Identity → Applications → App registrations
//     → New registration.
//  2. Name: "IdP Sync". Supported account types: "Accounts in this organizational directory only
//     (Single tenant)". Redirect URI: choose the platform "Public client/native (mobile & desktop)"
//     and enter http://localhost (no port, no path: the port is chosen at each sign-in and Entra
//     accepts any port on localhost). Register.
//  3. Authentication: under "Mobile and desktop applications" check that http://localhost is
//     listed. Under "Advanced settings", set "Allow public client flows" to Yes (needed for the
//     device-code sign-in on machines where a browser cannot reach the app). Save.
//     IdP Sync uses no client secret or certificate: do not create one.
//  4. API permissions → Add a permission → Microsoft Graph → Delegated permissions, and add:
//     User.Read.All, GroupMember.Read.All, Domain.Read.All. (User.Read, added by default, may
//     stay.) All are read-only; IdP Sync never writes to Entra ID.
//  5. Select "Grant admin consent for <your organization>" and confirm. The Status column shows
//     "Granted for <your organization>" for all three. Without this step the sign-in fails with
//     "admin consent is missing" (AADSTS65001) or, for a non-administrator, "needs an
//     administrator's consent" (AADSTS90094).
//  6. Overview: copy the "Application (client) ID" and the "Directory (tenant) ID". In IdP Sync,
//     add a directory, choose the cloud (global, US Government or China), paste both ids and
//     press "Sign in with Microsoft". The tenant id is required for a single-tenant registration
//     (Entra refuses its sign-in through the shared "organizations" endpoint with AADSTS50194);
//     it may stay empty only for a multi-tenant one. The directory is pinned to the tenant the
//     admin signed in to; a later token for another tenant is refused (tenant_mismatch).
//
// The sign-in needs a user who can read the directory (any member can; IdP Sync reads users,
// groups, group members and domains). Tokens and the refresh token stay on this computer: the
// cache is encrypted on disk and its key is in the operating system's keychain. Signing out of
// the directory removes both.
package auth
