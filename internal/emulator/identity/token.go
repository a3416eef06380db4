package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

const grantDeviceCodeURN = "urn:ietf:params:oauth:grant-type:device_code"

func (s *Server) token(w *statusRecorder, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		s.oauthError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.", "")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.", "")
		return
	}
	if terr := s.tenantError(tenant); terr != nil {
		s.oauthError(w, terr.status, terr.name, terr.code, terr.text, "")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != s.opts.ClientID {
		s.oauthError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", f.Get("client_id")), "")
		return
	}
	if f.Get("client_secret") != "" || f.Get("client_assertion") != "" {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.", "")
		return
	}
	var (
		g   grant
		err *aadErr
	)
	switch f.Get("grant_type") {
	case "authorization_code":
		g, err = s.redeemCode(f.Get("code"), f.Get("code_verifier"), f.Get("redirect_uri"))
	case "refresh_token":
		g, err = s.redeemRefresh(f.Get("refresh_token"), f.Get("scope"), tenant)
	case "device_code", grantDeviceCodeURN:
		g, err = s.redeemDevice(f.Get("device_code"))
	case "":
		err = &aadErr{400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.", ""}
	default:
		err = &aadErr{400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '" + f.Get("grant_type") + "'.", ""}
	}
	if err != nil {
		s.oauthError(w, err.status, err.name, err.code, err.text, err.suberror)
		return
	}
	s.issue(w, r.Host, f.Get("grant_type"), g)
}

// issue writes a token response for g and keeps the refresh token it hands out.
func (s *Server) issue(w *statusRecorder, host, grantType string, g grant) {
	now := s.now()
	s.mu.Lock()
	life := s.atLife
	if grantType == grantDeviceCodeURN {
		grantType = "device_code"
	}
	form := s.scopeForms[grantType]
	s.mu.Unlock()
	body := map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(life.Seconds()),
		"ext_expires_in": int(life.Seconds()),
		"access_token":   s.accessToken(g, now, life),
	}
	if sc, ok := scopeField(g, form); ok {
		body["scope"] = sc
	}
	if contains(g.oidc, "openid") {
		body["id_token"] = s.idToken(g, host, now)
		body["client_info"] = clientInfo(g.account)
	}
	if contains(g.oidc, "offline_access") {
		rt := refreshTokenValue()
		s.mu.Lock()
		s.refresh[rt] = &refreshRecord{g: g, lastUsed: now}
		s.mu.Unlock()
		body["refresh_token"] = rt
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) redeemCode(code, verifier, redirect string) (grant, *aadErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	switch {
	case code == "":
		return grant{}, &aadErr{400, "invalid_request", 900144, "The request body must contain the following parameter: 'code'.", ""}
	case !ok:
		return grant{}, &aadErr{400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.", ""}
	case c.used:
		return grant{}, &aadErr{400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.", ""}
	case time.Now().After(c.expires):
		return grant{}, &aadErr{400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.", ""}
	}
	c.used = true // one attempt per code, as in Entra: a failed redemption burns it too
	if redirect != c.redirectURI {
		return grant{}, &aadErr{400, "invalid_grant", 500117, fmt.Sprintf("The reply uri specified in the request '%s' does not match the reply uri used in the authorization request.", redirect), ""}
	}
	if verifier == "" {
		return grant{}, &aadErr{400, "invalid_grant", 50148, "The code_verifier is missing; the authorization request was made with a code_challenge.", ""}
	}
	sum := sha256.Sum256([]byte(verifier))
	if b64.EncodeToString(sum[:]) != c.challenge {
		return grant{}, &aadErr{400, "invalid_grant", 50148, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.", ""}
	}
	return c.g, nil
}

func (s *Server) redeemRefresh(rt, scope, tenant string) (grant, *aadErr) {
	ss, perr := parseScopes(scope)
	if perr != nil {
		return grant{}, perr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.refresh[rt]
	now := s.now()
	switch {
	case rt == "":
		return grant{}, &aadErr{400, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.", ""}
	case !ok:
		return grant{}, &aadErr{400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.", "bad_token"}
	case rec.expired || now.Sub(rec.lastUsed) > s.opts.RefreshTokenLifetime:
		return grant{}, &aadErr{400, "invalid_grant", 700082, fmt.Sprintf("The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %s.", rec.lastUsed.UTC().Format(time.RFC3339), s.opts.RefreshTokenLifetime), "bad_token"}
	}
	rec.lastUsed = now
	g := rec.g
	if specificTenant(tenant) {
		if !g.account.memberOf(tenant) {
			return grant{}, &aadErr{400, "invalid_grant", 50020, fmt.Sprintf("User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant '%s' and cannot access the application '%s'(IdP Sync) in that tenant.", g.account.UPN, g.account.TenantID, tenant, s.opts.ClientID), ""}
		}
		g.tenant = tenant
	}
	if s.tokenTenant != "" {
		g.tenant = s.tokenTenant
	}
	g.resource = ss.audience()
	for _, p := range ss.perms {
		if graphPermissions[p] && !s.consented {
			return grant{}, &aadErr{400, "invalid_grant", 65001, fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named 'IdP Sync'. Send an interactive authorization request for this user and resource.", s.opts.ClientID), "consent_required"}
		}
	}
	g.perms = s.grantedPerms(ss.perms)
	g.oidc = nil
	for o := range ss.oidc {
		g.oidc = append(g.oidc, o)
	}
	// The new response carries a new refresh token (rotation); the old one stays valid until it
	// ages out, as in Entra, so a client that lost the new one is not locked out.
	return g, nil
}

// ---- device code ----

func (s *Server) deviceCodeEndpoint(w *statusRecorder, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		s.oauthError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.", "")
		return
	}
	_ = r.ParseForm()
	if terr := s.tenantError(tenant); terr != nil {
		s.oauthError(w, terr.status, terr.name, terr.code, terr.text, "")
		return
	}
	if r.PostForm.Get("client_id") != s.opts.ClientID {
		s.oauthError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", r.PostForm.Get("client_id")), "")
		return
	}
	if _, perr := parseScopes(r.PostForm.Get("scope")); perr != nil {
		s.oauthError(w, perr.status, perr.name, perr.code, perr.text, "")
		return
	}
	user := userCode()
	dc := "DAQABAAEAAAD" + randB64(180)
	s.mu.Lock()
	s.devices[dc] = &deviceCode{userCode: user, scopes: strings.Fields(r.PostForm.Get("scope")), tenant: tenant, expires: time.Now().Add(15 * time.Minute)}
	cb := s.onDevice
	s.mu.Unlock()
	verify := "https://" + r.Host + "/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code": user, "device_code": dc, "verification_uri": verify, "expires_in": 900, "interval": 5,
		"message": fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, user),
	})
	if cb != nil {
		cb(user)
	}
}

func userCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (s *Server) redeemDevice(code string) (grant, *aadErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[code]
	switch {
	case !ok:
		return grant{}, &aadErr{400, "invalid_grant", 70019, "Verification code expired or unknown.", ""}
	case time.Now().After(d.expires):
		return grant{}, &aadErr{400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.", ""}
	case d.redeemed:
		return grant{}, &aadErr{400, "invalid_grant", 54005, "The device code was already redeemed.", ""}
	case d.errCode != 0:
		d.redeemed = true
		return grant{}, &aadErr{400, d.errName, d.errCode, d.errDesc, ""}
	case d.approved == nil:
		return grant{}, &aadErr{400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.", ""}
	}
	d.redeemed = true
	return *d.approved, nil
}

// ApproveDeviceCode is the person entering userCode on the device login page and signing in
// (as the SignInAs account, or hint when it names one). It returns the sign-in's refusal, if any,
// which the polling client then receives.
func (s *Server) ApproveDeviceCode(userCode, hint string) error {
	s.mu.Lock()
	var d *deviceCode
	for _, x := range s.devices {
		if x.userCode == strings.ToUpper(strings.TrimSpace(userCode)) && !x.redeemed {
			d = x
		}
	}
	s.mu.Unlock()
	if d == nil {
		return fmt.Errorf("identity emulator: no pending device code %q", userCode)
	}
	ss, perr := parseScopes(strings.Join(d.scopes, " "))
	var g grant
	if perr == nil {
		g, perr = s.signIn(hint, d.tenant, ss)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if perr != nil {
		d.errCode, d.errName, d.errDesc = perr.code, perr.name, perr.text
		if perr.name == "access_denied" && perr.code == 65004 {
			d.errName = "authorization_declined"
		}
		return perr
	}
	d.approved = &g
	return nil
}

var deviceLoginPage = template.Must(template.New("d").Parse(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Enter code</title></head>
<body><h1>Enter code</h1><p>{{.}}</p><form method="POST"><input name="user_code" autofocus /><input type="submit" value="Next" /></form></body></html>`))

func (s *Server) deviceLogin(w *statusRecorder, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodGet {
		_ = deviceLoginPage.Execute(w, "Enter the code displayed on your app or device.")
		return
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	_ = r.ParseForm()
	if err := s.ApproveDeviceCode(r.PostForm.Get("user_code"), r.PostForm.Get("login_hint")); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_ = deviceLoginPage.Execute(w, err.Error())
		return
	}
	_ = deviceLoginPage.Execute(w, "You have signed in to the IdP Sync application on your device. You may now close this window.")
}
