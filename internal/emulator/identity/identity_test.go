package identity_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/identity"
)

const graphScopes = "https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/GroupMember.Read.All https://graph.microsoft.com/Domain.Read.All openid profile offline_access"

func start(t *testing.T) *identity.Server { return emutest.Identity(t, identity.Options{}) }

func noRedirect(s *identity.Server) *http.Client {
	c := s.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type tokenAnswer struct {
	Error        string `json:"error"`
	Description  string `json:"error_description"`
	Codes        []int  `json:"error_codes"`
	Correlation  string `json:"correlation_id"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	ClientInfo   string `json:"client_info"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	UserCode     string `json:"user_code"`
	DeviceCode   string `json:"device_code"`
}

func post(t *testing.T, s *identity.Server, path string, form url.Values) (int, tokenAnswer) {
	t.Helper()
	resp, err := s.HTTPClient().PostForm(s.URL()+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if a.Error != "" && (len(a.Codes) == 0 || a.Correlation == "" || !strings.HasPrefix(a.Description, "AADSTS")) {
		t.Fatalf("error not in Entra's shape: %+v", a)
	}
	return resp.StatusCode, a
}

func pkce() (verifier, challenge string) {
	verifier = "verifier-" + strings.Repeat("v", 40)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func authorizeURL(s *identity.Server, edit func(url.Values)) string {
	_, ch := pkce()
	q := url.Values{
		"client_id": {s.ClientID()}, "response_type": {"code"}, "redirect_uri": {"http://localhost:53123"},
		"scope": {graphScopes}, "state": {"st"}, "code_challenge": {ch}, "code_challenge_method": {"S256"},
		"response_mode": {"query"},
	}
	if edit != nil {
		edit(q)
	}
	return s.URL() + "/organizations/oauth2/v2.0/authorize?" + q.Encode()
}

// code runs the authorize step with a query redirect and returns the code.
func code(t *testing.T, s *identity.Server) string {
	t.Helper()
	resp, err := noRedirect(s).Get(authorizeURL(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st" {
		t.Fatalf("authorize answered %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

func TestOpenIDConfiguration(t *testing.T) {
	s := start(t)
	c := s.HTTPClient()
	for tenant, iss := range map[string]string{identity.DefaultTenantID: identity.DefaultTenantID, "organizations": "{tenantid}"} {
		status, body := get(t, c, s.URL()+"/"+tenant+"/v2.0/.well-known/openid-configuration")
		var doc map[string]any
		_ = json.Unmarshal([]byte(body), &doc)
		if status != 200 || doc["issuer"] != s.URL()+"/"+iss+"/v2.0" || doc["token_endpoint"] != s.URL()+"/"+tenant+"/oauth2/v2.0/token" {
			t.Fatalf("%s: %d %v", tenant, status, doc)
		}
	}
	status, body := get(t, c, s.URL()+"/11111111-1111-1111-1111-111111111111/v2.0/.well-known/openid-configuration")
	if status != 400 || !strings.Contains(body, "AADSTS90002") {
		t.Fatalf("unknown tenant: %d %s", status, body)
	}
}

func TestAuthorizeIsStrict(t *testing.T) {
	s := start(t)
	page := map[string]func(url.Values){
		"700016":  func(q url.Values) { q.Set("client_id", "00000000-0000-0000-0000-000000000000") },
		"50011":   func(q url.Values) { q.Set("redirect_uri", "https://evil.example.com/cb") },
		"50011 ":  func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:53123") }, // not what was registered
		"50011  ": func(q url.Values) { q.Set("redirect_uri", "http://localhost:53123/callback") },
	}
	for code, edit := range page {
		status, body := get(t, s.HTTPClient(), authorizeURL(s, edit))
		if status != 400 || !strings.Contains(body, "AADSTS"+strings.TrimSpace(code)) {
			t.Fatalf("%s: %d %s", code, status, body)
		}
	}
	redirected := map[string]func(url.Values){
		"invalid_request 9002325":  func(q url.Values) { q.Del("code_challenge") },
		"invalid_request 9002325 ": func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"invalid_scope 70011":      func(q url.Values) { q.Set("scope", "https://graph.microsoft.com/Mail.Send openid") },
		"invalid_request 28000": func(q url.Values) {
			q.Set("scope", "https://graph.microsoft.com/User.Read.All https://graph.microsoft.us/Domain.Read.All")
		},
		"unsupported_response_type 7": func(q url.Values) { q.Set("response_type", "token") },
		"invalid_resource 500011":     func(q url.Values) { q.Set("scope", "https://example.com/User.Read.All") },
	}
	for want, edit := range redirected {
		resp, err := noRedirect(s).Get(authorizeURL(s, edit))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		f := strings.Fields(want)
		if resp.StatusCode != 302 || loc.Query().Get("error") != f[0] || !strings.HasPrefix(loc.Query().Get("error_description"), "AADSTS"+f[1]) || loc.Query().Get("code") != "" {
			t.Fatalf("%s: %d %s", want, resp.StatusCode, loc)
		}
	}
	// form_post (MSAL 1.10's mode) returns an auto-submitting form aimed at the redirect URI.
	status, body := get(t, s.HTTPClient(), authorizeURL(s, func(q url.Values) { q.Set("response_mode", "form_post") }))
	if status != 200 || !strings.Contains(body, `action="http://localhost:53123"`) || !strings.Contains(body, `name="code"`) || !strings.Contains(body, "submit()") {
		t.Fatalf("form_post: %d %s", status, body)
	}
}

func TestCodeRedemptionAndTokens(t *testing.T) {
	s := start(t)
	verifier, _ := pkce()
	form := func(code string) url.Values {
		return url.Values{"client_id": {s.ClientID()}, "grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {verifier}, "redirect_uri": {"http://localhost:53123"}, "scope": {graphScopes}, "client_info": {"1"}}
	}
	// A wrong redirect URI burns the code, as in Entra.
	c1 := code(t, s)
	f := form(c1)
	f.Set("redirect_uri", "http://localhost:1")
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", f); st != 400 || a.Codes[0] != 500117 {
		t.Fatalf("%d %+v", st, a)
	}
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", form(c1)); st != 400 || a.Codes[0] != 54005 {
		t.Fatalf("reuse: %d %+v", st, a)
	}
	c2 := code(t, s)
	st, a := post(t, s, "/organizations/oauth2/v2.0/token", form(c2))
	if st != 200 || a.TokenType != "Bearer" || a.ExpiresIn < 3600 || a.Scope != "https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/GroupMember.Read.All https://graph.microsoft.com/Domain.Read.All https://graph.microsoft.com/User.Read" {
		// User.Read: Entra's default permission of every registration, consented with the others,
		// is in every Graph token of the app whether asked or not.
		t.Fatalf("%d %+v", st, a)
	}
	t.Logf("sizes: access token %d, id_token %d, refresh token %d bytes", len(a.AccessToken), len(a.IDToken), len(a.RefreshToken))
	if len(a.AccessToken) < 1800 || len(a.AccessToken) > 2600 || len(a.IDToken) < 1200 || len(a.IDToken) > 1900 || len(a.RefreshToken) < 900 {
		t.Fatal("token sizes are not Entra's")
	}
	if strings.HasSuffix(a.ClientInfo, "=") {
		t.Fatal("client_info must be base64url without padding")
	}
	ci, err := base64.RawURLEncoding.DecodeString(a.ClientInfo)
	if err != nil || !strings.Contains(string(ci), `"utid":"`+identity.DefaultTenantID) {
		t.Fatalf("client_info %s %v", ci, err)
	}
	claims, err := s.Verify(a.AccessToken)
	if err != nil || claims.UPN != identity.DefaultAdminUPN || !claims.HasScope("domain.read.all") || claims.TenantID != identity.DefaultTenantID {
		t.Fatalf("%+v %v", claims, err)
	}
	if _, err := s.Verify(a.IDToken); !errors.Is(err, identity.ErrMalformed) {
		t.Fatalf("an id_token passed as an access token: %v", err)
	}
	parts := strings.Split(a.AccessToken, ".")
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"tid":"x","exp":9999999999,"iss":"https://sts.windows.net/x/"}`)) + "." + parts[2]
	if _, err := s.Verify(forged); !errors.Is(err, identity.ErrBadSignature) {
		t.Fatalf("forged token: %v", err)
	}
	other := start(t) // another emulator's key
	if _, err := other.Verify(a.AccessToken); !errors.Is(err, identity.ErrBadSignature) {
		t.Fatalf("foreign token: %v", err)
	}

	// Refresh: rotation, then the expiry knob.
	rf := url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {a.RefreshToken}, "scope": {graphScopes}}
	st, r := post(t, s, "/"+identity.DefaultTenantID+"/oauth2/v2.0/token", rf)
	if st != 200 || r.RefreshToken == "" || r.RefreshToken == a.RefreshToken || r.AccessToken == a.AccessToken {
		t.Fatalf("refresh: %d %+v", st, r.Error)
	}
	s.SetAccessTokenLifetime(0)
	_, r0 := post(t, s, "/"+identity.DefaultTenantID+"/oauth2/v2.0/token", rf)
	if _, err := s.Verify(r0.AccessToken); !errors.Is(err, identity.ErrExpired) {
		t.Fatalf("expired token: %v", err)
	}
	s.ExpireRefreshTokens()
	if st, r := post(t, s, "/organizations/oauth2/v2.0/token", rf); st != 400 || r.Error != "invalid_grant" || r.Codes[0] != 700082 {
		t.Fatalf("expired: %d %+v", st, r)
	}
	rf.Set("refresh_token", "1.AQnot-issued")
	if st, r := post(t, s, "/organizations/oauth2/v2.0/token", rf); st != 400 || r.Codes[0] != 9002313 {
		t.Fatalf("unknown: %d %+v", st, r)
	}
}

func TestTokenEndpointRefusals(t *testing.T) {
	s := start(t)
	if st, _ := get(t, s.HTTPClient(), s.URL()+"/organizations/oauth2/v2.0/token"); st != 405 {
		t.Fatalf("GET: %d", st)
	}
	base := url.Values{"client_id": {s.ClientID()}, "grant_type": {"password"}}
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", base); st != 400 || a.Error != "unsupported_grant_type" {
		t.Fatalf("%d %+v", st, a)
	}
	base.Set("client_secret", "s")
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", base); st != 401 || a.Codes[0] != 700025 {
		t.Fatalf("%d %+v", st, a)
	}
	base.Del("client_secret")
	base.Set("client_id", "someone-else")
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", base); st != 400 || a.Codes[0] != 700016 {
		t.Fatalf("%d %+v", st, a)
	}
}

func TestDeviceCodeRaw(t *testing.T) {
	s := start(t)
	st, d := post(t, s, "/organizations/oauth2/v2.0/devicecode", url.Values{"client_id": {s.ClientID()}, "scope": {graphScopes}})
	if st != 200 || len(d.UserCode) != 9 || d.DeviceCode == "" {
		t.Fatalf("%d %+v", st, d)
	}
	poll := url.Values{"client_id": {s.ClientID()}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {d.DeviceCode}}
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", poll); st != 400 || a.Error != "authorization_pending" {
		t.Fatalf("%d %+v", st, a)
	}
	if err := s.ApproveDeviceCode("nope", ""); err == nil {
		t.Fatal("unknown user code approved")
	}
	if err := identity.NewBrowser(s).DeviceLogin(s.URL()+"/devicelogin", strings.ToLower(d.UserCode)); err != nil {
		t.Fatal(err)
	}
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", poll); st != 200 || a.AccessToken == "" {
		t.Fatalf("%d %+v", st, a)
	}
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", poll); st != 400 || a.Codes[0] != 54005 {
		t.Fatalf("second redemption: %d %+v", st, a)
	}
	// Declined on the device login page: the poller is told so.
	s.SetAdminConsent(false)
	s.DeclineConsent(true)
	_, d2 := post(t, s, "/organizations/oauth2/v2.0/devicecode", url.Values{"client_id": {s.ClientID()}, "scope": {graphScopes}})
	_ = s.ApproveDeviceCode(d2.UserCode, "")
	poll.Set("device_code", d2.DeviceCode)
	if st, a := post(t, s, "/organizations/oauth2/v2.0/token", poll); st != 400 || a.Error != "authorization_declined" || a.Codes[0] != 65004 {
		t.Fatalf("declined: %d %+v", st, a)
	}
}

func TestBrowserOpensOnlyTheEmulator(t *testing.T) {
	s := start(t)
	b := identity.NewBrowser(s)
	for _, u := range []string{"https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize", "http://" + strings.TrimPrefix(s.URL(), "https://") + "/x"} {
		if err := b.Open(u); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Fatalf("%s: %v", u, err)
		}
	}
	// An error page is reported, not followed.
	if err := b.Open(authorizeURL(s, func(q url.Values) { q.Set("client_id", "x") })); err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Fatalf("error page: %v", err)
	}
}

func TestRequestLogHoldsNoSecrets(t *testing.T) {
	s := start(t)
	c := code(t, s)
	v, _ := pkce()
	_, a := post(t, s, "/organizations/oauth2/v2.0/token", url.Values{"client_id": {s.ClientID()}, "grant_type": {"authorization_code"}, "code": {c},
		"code_verifier": {v}, "redirect_uri": {"http://localhost:53123"}, "scope": {graphScopes}})
	b, _ := json.Marshal(s.Requests())
	for _, secret := range []string{c, v, a.AccessToken, a.RefreshToken} {
		if secret == "" || strings.Contains(string(b), secret) {
			t.Fatal("request log holds a secret")
		}
	}
	if !strings.Contains(s.Describe(), s.ClientID()) {
		t.Fatal(s.Describe())
	}
}
