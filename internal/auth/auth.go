package auth

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"golang.org/x/sync/singleflight"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/keychain"
)

// Config is one directory's sign-in settings.
type Config struct {
	// DirectoryID names the directory's sealed token cache ("msal-<id>") and keychain key.
	DirectoryID string
	// ClientID is the application (client) id of the admin's own app registration.
	ClientID string
	Cloud    directory.Cloud
	// Tenant is the tenant id the directory is pinned to. "" before the first sign-in: the
	// authority is then "organizations" and the signed-in account's tenant is reported for pinning.
	Tenant string
	// SignInTenant is what the admin entered for a single-tenant app registration: its
	// Directory (tenant) ID or a domain verified in the tenant (MSAL takes either as the
	// authority's tenant). It is the authority's tenant while Tenant is "", because Entra refuses
	// such a registration on "organizations" (AADSTS50194). Not compared with the token's tid:
	// a domain names the tenant only as Entra resolves it, and Entra issues only its own tokens.
	SignInTenant string
	// AuthorityURL replaces https://<cloud's authority host> (emulators, proxies); the tenant is
	// appended. A non-Microsoft host turns MSAL's instance discovery off.
	AuthorityURL string
	// GraphURL replaces the cloud's Graph base URL; its host joins the token provider's allowed hosts.
	GraphURL string
	// HTTPClient carries every call to the authority (nil → MSAL's default client).
	HTTPClient *http.Client
	// Secrets holds the cache's key; CacheDir holds the sealed cache file (the app's config folder).
	Secrets  keychain.Store
	CacheDir string
	// OpenURL opens the system browser at the sign-in page (nil → MSAL's default, which runs the
	// platform's opener). Demo mode passes the identity emulator's Browser.Open.
	OpenURL func(url string) error
	// Logger receives sign-in events (account, tenant, where a token came from), never a token.
	Logger *slog.Logger
}

// Account is the signed-in Microsoft account: what the screens show and what pinning compares.
type Account struct {
	Username      string `json:"username"`
	Name          string `json:"name"`
	TenantID      string `json:"tenantId"`
	ObjectID      string `json:"objectId"`
	HomeAccountID string `json:"homeAccountId"`
}

// DeviceCode is what the screen shows during a device-code sign-in.
type DeviceCode struct {
	UserCode        string    `json:"userCode"`
	VerificationURL string    `json:"verificationUrl"`
	Message         string    `json:"message"`
	ExpiresAt       time.Time `json:"expiresAt"`
}

// Client signs one directory in to Microsoft and hands out Graph access tokens. It is safe for
// concurrent use.
type Client struct {
	cfg    Config
	ep     Endpoints
	scopes []string
	app    public.Client
	cache  *sealedCache
	log    *slog.Logger

	mu   sync.Mutex
	memo *memoToken // the last good access token, so parallel Graph calls skip the cache file
	// refresh is the silent token request in progress, shared by every caller that needs one.
	refresh singleflight.Group
}

type memoToken struct {
	token   string
	account Account
	renew   time.Time
}

// New builds a client; nothing is read from the keychain or the network until it is used.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, apperr.New(apperr.InvalidInput, "the application (client) id is empty").
			WithAction("Register the app in Entra ID (see the README) and paste its Application (client) ID.")
	}
	if cfg.DirectoryID == "" || cfg.Secrets == nil || cfg.CacheDir == "" {
		return nil, apperr.New(apperr.Internal, "auth: DirectoryID, Secrets and CacheDir are required")
	}
	ep, err := CloudEndpoints(cfg.Cloud)
	if err != nil {
		return nil, err
	}
	scopes, _ := Scopes(cfg.Cloud)
	tenant := cmp.Or(cfg.Tenant, cfg.SignInTenant, "organizations")
	base := "https://" + ep.AuthorityHost
	custom := false
	if cfg.AuthorityURL != "" {
		u, err := url.Parse(cfg.AuthorityURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, apperr.New(apperr.InsecureURL, "the sign-in authority %q must be an https URL", cfg.AuthorityURL)
		}
		base = strings.TrimRight(cfg.AuthorityURL, "/")
		custom = !knownAuthorityHost(u.Hostname())
	}
	cache := &sealedCache{env: keychain.NewEnvelope(cfg.Secrets, cfg.CacheDir), name: "msal-" + strings.ToLower(cfg.DirectoryID)}
	opts := []public.Option{public.WithAuthority(base + "/" + tenant), public.WithCache(cache)}
	if custom {
		opts = append(opts, public.WithInstanceDiscovery(false))
	}
	hc := noRedirects(cfg.HTTPClient)
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &scopeNormalizer{next: next, requested: scopes}
	opts = append(opts, public.WithHTTPClient(hc))
	app, err := public.New(cfg.ClientID, opts...)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.InvalidInput, "cannot set up Microsoft sign-in")
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, ep: ep, scopes: scopes, app: app, cache: cache, log: lg}, nil
}

// noRedirects returns a copy of hc (MSAL's default, an empty http.Client, when nil) that follows
// no redirect. A 307 or 308 re-sends the POST body, which on the token endpoint is the refresh
// token or authorization code with the PKCE verifier; Entra's endpoints answer directly, so a
// redirect means a proxy or a hostile answer and ends the call with a coded error instead.
func noRedirects(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		from := ""
		if len(via) > 0 {
			from = via[len(via)-1].URL.Host
		}
		return apperr.New(apperr.InsecureURL, "the Microsoft sign-in service at %s redirected to %s; IdP Sync follows no redirect on sign-in", from, req.URL.Host).
			WithAction("Check the directory's cloud and authority settings, and any proxy between this computer and Microsoft.")
	}
	return c
}

// checkVerificationURL refuses a device-code verification URL that is not one of the cloud's
// device-login pages (DeviceLoginURLAllowed) before it is shown or opened: the screen offers to
// open it in the system browser, which runs whatever a file: or custom-scheme URL names.
func (c *Client) checkVerificationURL(raw string) error {
	custom := ""
	if c.cfg.AuthorityURL != "" {
		if u, err := url.Parse(c.cfg.AuthorityURL); err == nil {
			custom = u.Host
		}
	}
	if DeviceLoginURLAllowed(c.cfg.Cloud, custom, raw) {
		return nil
	}
	shown := raw
	if len(shown) > 200 {
		shown = shown[:200] + "…"
	}
	return apperr.New(apperr.InsecureURL, "the sign-in service sent the device-code page %q, which is not a Microsoft device-login page of this cloud", shown).
		WithAction("Sign in with the browser instead, and check the directory's cloud and authority settings.")
}

func knownAuthorityHost(h string) bool {
	switch strings.ToLower(h) {
	case "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.microsoft.com", "login.windows.net", "login.partner.microsoftonline.cn":
		return true
	}
	return false
}

// SignInInteractive opens the system browser (or the injected OpenURL) at Microsoft's sign-in
// and consent page and waits for the loopback redirect (PKCE, form_post to http://localhost:port).
// Canceling ctx stops the wait. On success the account replaces any earlier one of this directory.
func (c *Client) SignInInteractive(ctx context.Context, loginHint string) (Account, error) {
	var opts []public.AcquireInteractiveOption
	if c.cfg.OpenURL != nil {
		opts = append(opts, public.WithOpenURL(c.cfg.OpenURL))
	}
	if loginHint != "" {
		opts = append(opts, public.WithLoginHint(loginHint))
	}
	ar, err := c.app.AcquireTokenInteractive(ctx, c.scopes, opts...)
	return c.finishSignIn(ctx, ar, err, "interactive")
}

// SignInDeviceCode runs the device-code flow: show receives the code and URL to display, then
// the call polls until the admin has signed in elsewhere, the code expires, or ctx ends.
func (c *Client) SignInDeviceCode(ctx context.Context, show func(DeviceCode)) (Account, error) {
	dc, err := c.app.AcquireTokenByDeviceCode(ctx, c.scopes)
	if err != nil {
		return Account{}, c.mapError(ctx, err, true)
	}
	if err := c.checkVerificationURL(dc.Result.VerificationURL); err != nil {
		c.log.Warn("Microsoft sign-in refused", "directory", c.cfg.DirectoryID, "flow", "device code", "code", apperr.CodeOf(err))
		return Account{}, err
	}
	if show != nil {
		show(DeviceCode{UserCode: dc.Result.UserCode, VerificationURL: dc.Result.VerificationURL, Message: dc.Result.Message, ExpiresAt: dc.Result.ExpiresOn})
	}
	ar, err := dc.AuthenticationResult(ctx)
	return c.finishSignIn(ctx, ar, err, "device code")
}

func (c *Client) finishSignIn(ctx context.Context, ar public.AuthResult, err error, how string) (Account, error) {
	if err == nil {
		var acct Account
		acct, err = c.check(ar)
		if err == nil {
			c.keepOnly(ctx, ar.Account.HomeAccountID)
			c.remember(ar, acct)
			c.log.Info("signed in to Microsoft", "directory", c.cfg.DirectoryID, "flow", how, "account", acct.Username, "tenant", acct.TenantID)
			return acct, nil
		}
	}
	mapped := c.mapError(ctx, err, true)
	switch apperr.CodeOf(mapped) {
	case apperr.AuthScopeDeclined, apperr.TenantMismatch:
		// MSAL has already cached the tokens it refused (or we refused): a failed sign-in must
		// not leave a half-signed-in directory behind.
		c.removeAccounts(ctx)
	}
	c.log.Warn("Microsoft sign-in failed", "directory", c.cfg.DirectoryID, "flow", how, "code", apperr.CodeOf(mapped))
	return Account{}, mapped
}

// AccessToken returns a Graph access token for the signed-in account, silently: from the cache
// while valid, redeeming the refresh token when not. Errors: AuthRequired (sign in again),
// TenantMismatch, AuthScopeDeclined, AuthConsentRequired, keychain codes.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	m, err := c.current(ctx)
	if err != nil {
		return "", err
	}
	return m.token, nil
}

// Account returns the signed-in account after a silent token check, so a screen showing it
// also knows the sign-in still works. AuthRequired when nobody is signed in.
func (c *Client) Account(ctx context.Context) (Account, error) {
	m, err := c.current(ctx)
	if err != nil {
		return Account{}, err
	}
	return m.account, nil
}

func (c *Client) current(ctx context.Context) (*memoToken, error) {
	c.mu.Lock()
	if m := c.memo; m != nil && time.Now().Before(m.renew) {
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	// One silent request at a time, its token handed to every caller that waited for it. When the
	// memo lapses, every Graph request in flight (the reader lists 32 groups' members at once)
	// needs a token in the same millisecond: each used to send Entra its own refresh-token POST
	// and then queue on MSAL's cache lock to rewrite the sealed cache (a keychain load and an
	// fsynced save each), so the last caller's token waited for 31 cache writes before it went
	// on the wire, and the token endpoint saw 32 identical requests at once.
	//
	// The shared request is not tied to the caller that started it (its cancellation would fail
	// the others); it is bounded instead, and each caller stops waiting when its own context ends.
	ch := c.refresh.DoChan("silent", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		ar, acct, err := c.silent(fctx)
		if err != nil {
			return nil, err
		}
		return c.remember(ar, acct), nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*memoToken), nil
	case <-ctx.Done():
		return nil, c.mapError(ctx, ctx.Err(), false)
	}
}

// refreshTimeout bounds a shared silent token request: a keychain prompt, the cache and one
// token POST (MSAL's HTTP client has no timeout of its own).
const refreshTimeout = 2 * time.Minute

func (c *Client) silent(ctx context.Context) (public.AuthResult, Account, error) {
	accts, err := c.app.Accounts(ctx)
	if err != nil {
		return public.AuthResult{}, Account{}, c.mapError(ctx, err, false)
	}
	if len(accts) == 0 {
		return public.AuthResult{}, Account{}, c.notSignedIn()
	}
	ar, err := c.app.AcquireTokenSilent(ctx, c.scopes, public.WithSilentAccount(accts[0]))
	if err != nil {
		return public.AuthResult{}, Account{}, c.mapError(ctx, err, false)
	}
	acct, err := c.check(ar)
	if err != nil {
		return public.AuthResult{}, Account{}, err
	}
	c.log.Debug("Microsoft token", "directory", c.cfg.DirectoryID, "from", tokenSource(ar), "expires", ar.ExpiresOn)
	return ar, acct, nil
}

func tokenSource(ar public.AuthResult) string {
	if ar.Metadata.TokenSource == public.TokenSource(1) {
		return "cache"
	}
	return "identity provider"
}

// remember keeps the token in memory until five minutes before it expires (MSAL's own margin).
func (c *Client) remember(ar public.AuthResult, acct Account) *memoToken {
	m := &memoToken{token: ar.AccessToken, account: acct, renew: ar.ExpiresOn.Add(-5 * time.Minute)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.memo = nil
	if m.renew.After(time.Now()) {
		c.memo = m
	}
	return m
}

// check is the gate every token passes before it is used: all three permissions granted, and
// the token's tenant is the pinned one. It runs before any Graph call. The permissions granted
// are read where Microsoft's access-token reference puts them, the token's scp claim; only a
// token that is not a readable JWT falls back to the response's scope field, in any of Entra's
// spellings (see scopes.go).
func (c *Client) check(ar public.AuthResult) (Account, error) {
	acct := accountOf(ar)
	granted, ok := grantedInToken(ar.AccessToken)
	if !ok {
		granted = map[string]bool{}
		for _, s := range ar.GrantedScopes {
			if p := graphPermission(s); p != "" {
				granted[p] = true
			}
		}
	}
	var missing []string
	for _, p := range Permissions {
		if !granted[strings.ToLower(p)] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return acct, c.declined(missing)
	}
	if c.cfg.Tenant != "" && !strings.EqualFold(acct.TenantID, c.cfg.Tenant) {
		got := acct.TenantID
		if got == "" {
			got = "(unknown)"
		}
		return acct, apperr.New(apperr.TenantMismatch,
			"signed in to tenant %s, but this directory is pinned to tenant %s", got, c.cfg.Tenant).
			WithAction("Sign in with an account of tenant " + c.cfg.Tenant + ", or add a new directory for tenant " + got + ".")
	}
	return acct, nil
}

func accountOf(ar public.AuthResult) Account {
	id := ar.IDToken
	a := Account{
		Username: firstNonEmpty(id.PreferredUsername, id.UPN, ar.Account.PreferredUsername),
		Name:     id.Name, TenantID: id.TenantID, ObjectID: firstNonEmpty(id.Oid, ar.Account.LocalAccountID),
		HomeAccountID: ar.Account.HomeAccountID,
	}
	if a.TenantID == "" {
		// A token read from the cache under another authority alias may come without its
		// id_token: Graph access tokens are JWTs and carry the tenant too.
		a.TenantID = jwtClaim(ar.AccessToken, "tid")
	}
	return a
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// jwtClaim reads one claim of a JWT without checking it (the token came over TLS from the
// authority and is only compared, never trusted for access decisions here).
func jwtClaim(tok, name string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c map[string]any
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	s, _ := c[name].(string)
	return s
}

// keepOnly removes every cached account but homeAccountID: one directory, one account.
func (c *Client) keepOnly(ctx context.Context, homeAccountID string) {
	accts, err := c.app.Accounts(ctx)
	if err != nil {
		return
	}
	for _, a := range accts {
		if a.HomeAccountID != homeAccountID {
			_ = c.app.RemoveAccount(ctx, a)
		}
	}
}

func (c *Client) removeAccounts(ctx context.Context) {
	c.mu.Lock()
	c.memo = nil
	c.mu.Unlock()
	if accts, err := c.app.Accounts(ctx); err == nil {
		for _, a := range accts {
			_ = c.app.RemoveAccount(ctx, a)
		}
	}
}

// SignOut removes the account and wipes the sealed cache file and its keychain key.
func (c *Client) SignOut(ctx context.Context) error {
	c.removeAccounts(ctx)
	if err := c.cache.wipe(ctx); err != nil {
		return err
	}
	c.log.Info("signed out of Microsoft", "directory", c.cfg.DirectoryID)
	return nil
}

// CacheSize is the size in bytes of the token cache last written (0 before any write).
func (c *Client) CacheSize() int { return int(c.cache.size.Load()) }
