package identity

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
)

// Defaults of an emulated tenant, also used by demo mode.
const (
	DefaultClientID = "7d3b5c1e-4f2a-4b8e-9c6d-1a2b3c4d5e6f"
	DefaultTenantID = "8f1c2d3e-0a4b-4c5d-9e6f-7a8b9c0d1e2f"
	DefaultAdminUPN = "admin@contoso.onmicrosoft.com"
)

// Account is a person who can sign in.
type Account struct {
	UPN      string
	Name     string
	ObjectID string   // "" → generated
	TenantID string   // home tenant; "" → DefaultTenantID
	Admin    bool     // Global Administrator: may grant admin consent
	GuestIn  []string // other tenants where the account is a guest
}

// memberOf says whether the account is in tenant, its home tenant or one it is a guest in
// (tenant ids compare in any case).
func (a Account) memberOf(tenant string) bool {
	return strings.EqualFold(a.TenantID, tenant) || slices.ContainsFunc(a.GuestIn, func(t string) bool { return strings.EqualFold(t, tenant) })
}

// Options configure a Server. The zero value is one tenant with one admin, consent granted.
type Options struct {
	ClientID             string        // the registered public client; "" → DefaultClientID
	Accounts             []Account     // "" → one admin, DefaultAdminUPN in DefaultTenantID
	AccessTokenLifetime  time.Duration // 0 → 75 minutes (Entra: 60–90); MSAL renews within 5 minutes of expiry
	RefreshTokenLifetime time.Duration // 0 → 90 days (inactivity)
	// SingleTenantApp registers the app as single-tenant ("Accounts in this organizational
	// directory only", in AppTenant or DefaultTenantID): Entra then refuses the organizations and
	// common endpoints with AADSTS50194.
	SingleTenantApp bool
	AppTenant       string
	Authority       *loopbacktls.Authority
	Addr            string // listen address; "" → 127.0.0.1:0
}

// Request is one entry of the request log. It never holds a token, code or verifier.
type Request struct {
	Method, Path string
	Grant        string // grant_type on the token endpoint
	Status       int
	Error        string // AADSTS code and OAuth error, when refused
}

// Server is the emulator. Its knobs are safe to turn while it serves.
type Server struct {
	loopbacktls.Endpoint // URL is the root; an authority is URL()+"/"+tenant. Close stops it
	opts                 Options
	key                  []byte

	mu             sync.Mutex
	accounts       []Account
	signInAs       string // UPN the browser signs in as when no login_hint names an account
	consented      bool   // tenant-wide admin consent for the app's permissions
	declineConsent bool   // the admin presses Cancel on the consent page
	declined       map[string]bool
	scopeForms     map[string]ScopeForm // by grant_type; see SetScopeForm
	registration   []string             // permissions configured on the app registration
	tokenTenant    string               // non-empty: tokens name this tenant whatever was asked
	atLife         time.Duration
	codes          map[string]*authCode
	refresh        map[string]*refreshRecord
	devices        map[string]*deviceCode // by device_code
	log            []Request
	onDevice       func(userCode string)
	clock          atomic.Pointer[func() time.Time] // nil: the wall clock; see SetClock
}

type authCode struct {
	clientID, redirectURI, challenge string
	scopes                           []string
	g                                grant
	expires                          time.Time
	used                             bool
}

type refreshRecord struct {
	g        grant
	lastUsed time.Time
	expired  bool
}

type deviceCode struct {
	userCode string
	scopes   []string
	tenant   string
	expires  time.Time
	approved *grant
	errCode  int // set when the person's sign-in was refused (consent etc.)
	errName  string
	errDesc  string
	redeemed bool
}

// New builds an emulator from opts; Start serves it.
func New(opts Options) (*Server, error) {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if len(opts.Accounts) == 0 {
		opts.Accounts = []Account{{UPN: DefaultAdminUPN, Name: "Adele Vance", Admin: true}}
	}
	if opts.AppTenant == "" {
		opts.AppTenant = DefaultTenantID
	}
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = 75 * time.Minute
	}
	if opts.RefreshTokenLifetime <= 0 {
		opts.RefreshTokenLifetime = 90 * 24 * time.Hour
	}
	s := &Server{
		opts: opts, key: make([]byte, 32), consented: true, declined: map[string]bool{}, registration: appPermissions,
		atLife: opts.AccessTokenLifetime, codes: map[string]*authCode{},
		refresh: map[string]*refreshRecord{}, devices: map[string]*deviceCode{},
	}
	if _, err := rand.Read(s.key); err != nil {
		return nil, err
	}
	for _, a := range opts.Accounts {
		if a.UPN == "" {
			return nil, fmt.Errorf("identity emulator: an account has no UPN")
		}
		if a.ObjectID == "" {
			a.ObjectID = randGUID()
		}
		if a.TenantID == "" {
			a.TenantID = DefaultTenantID
		}
		if a.Name == "" {
			a.Name = strings.Split(a.UPN, "@")[0]
		}
		s.accounts = append(s.accounts, a)
	}
	s.signInAs = s.accounts[0].UPN
	return s, nil
}

// Start listens on loopback HTTPS and serves in the background.
func (s *Server) Start() error {
	return s.Listen("identity emulator", s.opts.Authority, s.opts.Addr, s)
}

// AuthorityURL is the authority for a tenant ("organizations", "common" or a tenant id).
func (s *Server) AuthorityURL(tenant string) string { return s.URL() + "/" + tenant }

// ClientID is the registered application's client id.
func (s *Server) ClientID() string { return s.opts.ClientID }

// Accounts are the accounts that can sign in (with their generated object ids).
func (s *Server) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Account(nil), s.accounts...)
}

// HTTPClient trusts the emulator's certificate and nothing else.
func (s *Server) HTTPClient() *http.Client { return s.Authority().Client() }

// Describe is the text `idpsync emulate` prints about this emulator.
func (s *Server) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "identity (Microsoft identity platform) %s\n", s.URL())
	fmt.Fprintf(&b, "  authority      %s/organizations  (or /<tenant id>)\n", s.URL())
	fmt.Fprintf(&b, "  client id      %s\n", s.opts.ClientID)
	for _, a := range s.Accounts() {
		role := "user"
		if a.Admin {
			role = "admin"
		}
		fmt.Fprintf(&b, "  account        %s (%s) tenant %s\n", a.UPN, role, a.TenantID)
	}
	fmt.Fprintf(&b, "  device login   %s/devicelogin\n", s.URL())
	return b.String()
}

// Verify checks an access token issued by this emulator: signature, expiry. The Graph emulator
// uses it to accept bearer tokens the way Graph does.
func (s *Server) Verify(token string) (Claims, error) {
	c, err := verify(s.key, token, s.now())
	if err != nil {
		if c != nil {
			return claimsOf(c), err
		}
		return Claims{}, err
	}
	if !strings.HasPrefix(str(c, "iss"), "https://sts.windows.net/") {
		return Claims{}, ErrMalformed // an id_token is not an access token
	}
	return claimsOf(c), nil
}

// ---- knobs ----

// SignInAs makes the browser sign in as upn (unless the authorize request's login_hint names
// another known account).
func (s *Server) SignInAs(upn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signInAs = upn
}

// SetAdminConsent grants or revokes the tenant-wide admin consent for the app. Revoked: a
// non-admin's interactive sign-in fails with AADSTS90094, an admin's grants consent again, and
// refresh-token or device-code redemption fails with AADSTS65001 (consent required).
func (s *Server) SetAdminConsent(granted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consented = granted
}

// DeclineConsent makes the admin press Cancel on the consent page (AADSTS65004, access_denied).
func (s *Server) DeclineConsent(decline bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.declineConsent = decline
}

// SetDeclinedScopes leaves these delegated permissions (short names, e.g. "Domain.Read.All")
// out of the tokens and the token response's scope, as when consent covers only some of them.
func (s *Server) SetDeclinedScopes(perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.declined = map[string]bool{}
	for _, p := range perms {
		s.declined[strings.ToLower(p)] = true
	}
}

// SetRegistrationPermissions replaces the delegated permissions configured on the app
// registration (default: User.Read, User.Read.All, GroupMember.Read.All, Domain.Read.All), as when
// an admin removed Entra's default User.Read.
func (s *Server) SetRegistrationPermissions(perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registration = append([]string(nil), perms...)
}

// IssueForTenant makes every token name tenant as its tid, whatever tenant was asked ("" to stop).
func (s *Server) IssueForTenant(tenant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenTenant = tenant
}

// ExpireRefreshTokens makes every refresh token issued so far fail with AADSTS700082.
func (s *Server) ExpireRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.refresh {
		r.expired = true
	}
}

// SetClock makes now the emulator's clock for issuing tokens (iat, exp), checking access tokens
// (Verify) and refresh-token inactivity; nil restores the wall clock. A test that needs tokens to
// expire at chosen moments advances now itself instead of waiting for the wall clock.
func (s *Server) SetClock(now func() time.Time) {
	if now == nil {
		s.clock.Store(nil)
		return
	}
	s.clock.Store(&now)
}

func (s *Server) now() time.Time {
	if c := s.clock.Load(); c != nil {
		return (*c)()
	}
	return time.Now()
}

// SetAccessTokenLifetime changes the lifetime of access tokens issued from now on.
func (s *Server) SetAccessTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.atLife = d
}

// OnDeviceCode is called (outside the lock) with the user code of every new device code.
func (s *Server) OnDeviceCode(f func(userCode string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDevice = f
}

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// CountGrant counts token requests of that grant type (authorization_code, refresh_token, device_code).
func (s *Server) CountGrant(grantType string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Grant == grantType {
			n++
		}
	}
	return n
}

// ---- HTTP ----

type statusRecorder struct {
	http.ResponseWriter
	status int
	aadErr string
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	grantType := ""
	defer func() {
		s.mu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Grant: grantType, Status: rec.status, Error: rec.aadErr})
		s.mu.Unlock()
	}()
	w.Header().Set("Cache-Control", "no-store, no-cache")
	path := strings.Trim(r.URL.Path, "/")
	if path == "devicelogin" {
		s.deviceLogin(rec, r)
		return
	}
	tenant, rest, _ := strings.Cut(path, "/")
	tenant = s.tenantOfDomain(tenant)
	switch rest {
	case "v2.0/.well-known/openid-configuration":
		s.openIDConfig(rec, r, tenant)
	case "oauth2/v2.0/authorize":
		s.authorize(rec, r, tenant)
	case "oauth2/v2.0/token":
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			grantType = r.PostForm.Get("grant_type")
			if grantType == grantDeviceCodeURN {
				grantType = "device_code"
			}
		}
		s.token(rec, r, tenant)
	case "oauth2/v2.0/devicecode":
		s.deviceCodeEndpoint(rec, r, tenant)
	default:
		http.NotFound(rec, r)
	}
}

// knownTenant: organizations, common, consumers or the id of a tenant that has accounts.
func (s *Server) knownTenant(t string) bool {
	switch strings.ToLower(t) {
	case "organizations", "common":
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if a.memberOf(t) {
			return true
		}
	}
	return false
}

// tenantOfDomain turns a domain in the tenant segment into the id of the tenant it is verified
// in: MSAL takes "a domain associated with this tenant" for the tenant (WithTenantId), and Entra
// answers its discovery with the tenant id's endpoints. A member's UPN suffix is a domain verified
// in its home tenant (Entra only accepts those as UPN suffixes). Anything else is left as it is,
// so an unknown domain gets the unknown-tenant refusal (AADSTS90002).
func (s *Server) tenantOfDomain(t string) string {
	if !strings.Contains(t, ".") {
		return t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if _, dom, ok := strings.Cut(a.UPN, "@"); ok && strings.EqualFold(dom, t) {
			return a.TenantID
		}
	}
	return t
}

// tenantError is Entra's refusal of the tenant segment of a sign-in or token request, if any.
func (s *Server) tenantError(t string) *aadErr {
	if !s.knownTenant(t) {
		return &aadErr{400, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", t), ""}
	}
	if s.opts.SingleTenantApp && !specificTenant(t) {
		return &aadErr{400, "invalid_request", 50194, fmt.Sprintf("Application '%s'(IdP Sync) is not configured as a multi-tenant application. Usage of the /%s endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.", s.opts.ClientID, t), ""}
	}
	if s.opts.SingleTenantApp && !strings.EqualFold(t, s.opts.AppTenant) {
		return &aadErr{400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", s.opts.ClientID, t), ""}
	}
	return nil
}

func specificTenant(t string) bool {
	switch strings.ToLower(t) {
	case "organizations", "common", "consumers":
		return false
	}
	return true
}

func (s *Server) openIDConfig(w *statusRecorder, r *http.Request, tenant string) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !s.knownTenant(tenant) {
		s.oauthError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant), "")
		return
	}
	base := "https://" + r.Host
	issTenant := tenant
	if !specificTenant(tenant) {
		issTenant = "{tenantid}" // as Entra answers for the multi-tenant aliases
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/" + tenant + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + tenant + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + issTenant + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     base + "/oidc/userinfo",
		"authorization_endpoint":                base + "/" + tenant + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + tenant + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + tenant + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
		"msgraph_host":                          "graph.microsoft.com",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// aadDescription is Entra's error_description: "AADSTSn: text" followed by trace lines.
func aadDescription(code int, text, trace, corr string, now time.Time) string {
	return fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", code, text, trace, corr, now.UTC().Format("2006-01-02 15:04:05Z"))
}

// oauthError answers in Entra's JSON error shape.
func (s *Server) oauthError(w *statusRecorder, status int, name string, code int, text, suberror string) {
	now := time.Now()
	trace, corr := randGUID(), randGUID()
	w.aadErr = fmt.Sprintf("AADSTS%d %s", code, name)
	body := map[string]any{
		"error":             name,
		"error_description": aadDescription(code, text, trace, corr, now),
		"error_codes":       []int{code},
		"timestamp":         now.UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         s.URL() + "/error?code=" + fmt.Sprint(code),
	}
	if suberror != "" {
		body["suberror"] = suberror
	}
	writeJSON(w, status, body)
}
