package identity

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Graph resource identifiers of the three clouds; a scope is "<resource>/<permission>", or a bare
// permission, which Entra reads as Microsoft Graph's.
var graphResources = map[string]bool{
	"https://graph.microsoft.com":             true,
	"https://graph.microsoft.us":              true,
	"https://microsoftgraph.chinacloudapi.cn": true,
}

// Delegated Graph permissions the emulator knows, and whether they need admin consent.
var graphPermissions = map[string]bool{
	"User.Read": false, "User.Read.All": true, "GroupMember.Read.All": true, "Group.Read.All": true,
	"Domain.Read.All": true, "Directory.Read.All": true,
}

// appPermissions are the permissions configured on the app registration (what .default asks):
// the three IdP Sync needs and User.Read, which Entra adds to every new registration and which
// GET /organization needs (Microsoft Graph's organization-get permission table).
var appPermissions = []string{"User.Read", "User.Read.All", "GroupMember.Read.All", "Domain.Read.All"}

var oidcScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true, "email": true}

type scopeSet struct {
	resource string   // the Graph resource named, "" for bare permissions
	perms    []string // canonical short names
	oidc     map[string]bool
}

type aadErr struct {
	status   int
	name     string
	code     int
	text     string
	suberror string
}

func (e *aadErr) Error() string { return fmt.Sprintf("AADSTS%d %s", e.code, e.name) }

func parseScopes(raw string) (scopeSet, *aadErr) {
	ss := scopeSet{oidc: map[string]bool{}}
	resources := map[string]bool{}
	canon := map[string]string{}
	for p := range graphPermissions {
		canon[strings.ToLower(p)] = p
	}
	for _, sc := range strings.Fields(raw) {
		if oidcScopes[strings.ToLower(sc)] {
			ss.oidc[strings.ToLower(sc)] = true
			continue
		}
		res, perm := "", sc
		if i := strings.LastIndex(sc, "/"); i > 0 {
			res, perm = sc[:i], sc[i+1:]
			if !graphResources[strings.ToLower(res)] {
				return ss, &aadErr{400, "invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", res), ""}
			}
			res = strings.ToLower(res)
		}
		resources[res] = true
		if perm == ".default" {
			ss.perms = append(ss.perms, appPermissions...)
			continue
		}
		c, ok := canon[strings.ToLower(perm)]
		if !ok {
			return ss, &aadErr{400, "invalid_scope", 70011, fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope '%s' does not exist.", sc), ""}
		}
		ss.perms = append(ss.perms, c)
		ss.resource = res
	}
	if len(resources) > 1 {
		return ss, &aadErr{400, "invalid_request", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource.", ""}
	}
	for r := range resources {
		ss.resource = r
	}
	if len(ss.perms) == 0 && len(ss.oidc) == 0 {
		return ss, &aadErr{400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.", ""}
	}
	return ss, nil
}

// audience is the token's aud: the resource as named, Graph's global identifier for bare permissions.
func (ss scopeSet) audience() string {
	if ss.resource != "" {
		return ss.resource
	}
	if len(ss.perms) > 0 {
		return "https://graph.microsoft.com"
	}
	return ""
}

// signIn is the person's part: pick the account, check the tenant, run consent, decide which
// permissions are granted. It is shared by the authorize page and the device login page.
func (s *Server) signIn(hint, tenant string, ss scopeSet) (grant, *aadErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var acct *Account
	for i := range s.accounts {
		if hint != "" && strings.EqualFold(s.accounts[i].UPN, hint) {
			acct = &s.accounts[i]
		}
	}
	if acct == nil {
		for i := range s.accounts {
			if strings.EqualFold(s.accounts[i].UPN, s.signInAs) {
				acct = &s.accounts[i]
			}
		}
	}
	if acct == nil {
		return grant{}, &aadErr{400, "invalid_request", 50034, fmt.Sprintf("The user account %s does not exist in the directory.", s.signInAs), ""}
	}
	tid := acct.TenantID
	if specificTenant(tenant) {
		if !acct.memberOf(tenant) {
			return grant{}, &aadErr{400, "invalid_grant", 50020, fmt.Sprintf("User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant '%s' and cannot access the application '%s'(IdP Sync) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.", acct.UPN, acct.TenantID, tenant, s.opts.ClientID), ""}
		}
		tid = tenant
	}
	if s.tokenTenant != "" {
		tid = s.tokenTenant
	}
	needsAdmin := false
	for _, p := range ss.perms {
		needsAdmin = needsAdmin || graphPermissions[p]
	}
	if needsAdmin && !s.consented {
		if !acct.Admin {
			return grant{}, &aadErr{400, "access_denied", 90094, "The grant requires admin permission.", "consent_required"}
		}
		if s.declineConsent {
			return grant{}, &aadErr{400, "access_denied", 65004, "User declined to consent to access the app.", ""}
		}
		s.consented = true // the admin ticked "Consent on behalf of your organization"
	}
	g := grant{account: *acct, tenant: tid, resource: ss.audience(), sid: randGUID()}
	g.perms = s.grantedPerms(ss.perms)
	for o := range ss.oidc {
		g.oidc = append(g.oidc, o)
	}
	return g, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// loopbackRedirect accepts what Entra accepts for a "Mobile and desktop applications" platform
// registered as http://localhost: that host on any port, no path beyond "/".
func loopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	if u.Hostname() != "localhost" { // http://127.0.0.1 would need its own registration
		return false
	}
	return u.Path == "" || u.Path == "/"
}

var errorPage = template.Must(template.New("e").Parse(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in to your account</title></head>
<body><h1>Sorry, but we're having trouble signing you in.</h1><p id="error">{{.}}</p></body></html>`))

var formPostPage = template.Must(template.New("f").Parse(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Working...</title></head>
<body onload="document.forms[0].submit()"><form method="POST" name="hiddenform" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}" />
{{end}}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form></body></html>`))

func (s *Server) errorPage(w *statusRecorder, e *aadErr) {
	w.aadErr = e.Error()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = errorPage.Execute(w, aadDescription(e.code, e.text, randGUID(), randGUID(), time.Now()))
}

// reply sends fields back to the redirect URI: an auto-submitting form for form_post (what MSAL
// 1.10's listener requires), a 302 with a query otherwise.
func reply(w *statusRecorder, mode, redirect string, fields map[string]string) {
	if mode == "form_post" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_ = formPostPage.Execute(w, map[string]any{"Action": redirect, "Fields": fields})
		return
	}
	q := url.Values{}
	for k, v := range fields {
		q.Set(k, v)
	}
	http.Redirect(w, &http.Request{Method: http.MethodGet}, redirect+"?"+q.Encode(), http.StatusFound)
}

func (s *Server) authorize(w *statusRecorder, r *http.Request, tenant string) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	_ = r.ParseForm()
	q := r.Form
	if terr := s.tenantError(tenant); terr != nil {
		s.errorPage(w, terr)
		return
	}
	if q.Get("client_id") != s.opts.ClientID {
		s.errorPage(w, &aadErr{400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", q.Get("client_id")), ""})
		return
	}
	redirect := q.Get("redirect_uri")
	if !loopbackRedirect(redirect) {
		s.errorPage(w, &aadErr{400, "invalid_request", 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", redirect, s.opts.ClientID), ""})
		return
	}
	mode := q.Get("response_mode")
	state := q.Get("state")
	fail := func(e *aadErr) {
		w.aadErr = e.Error()
		f := map[string]string{"error": e.name, "error_description": aadDescription(e.code, e.text, randGUID(), randGUID(), time.Now()), "state": state}
		if e.suberror != "" {
			f["error_subcode"] = e.suberror
		}
		reply(w, mode, redirect, f)
	}
	if q.Get("response_type") != "code" {
		fail(&aadErr{400, "unsupported_response_type", 700054, "response_type '" + q.Get("response_type") + "' is not enabled for the application.", ""})
		return
	}
	if mode != "" && mode != "form_post" && mode != "query" {
		fail(&aadErr{400, "invalid_request", 900144, "The request response_mode is not valid.", ""})
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		fail(&aadErr{400, "invalid_request", 9002325, "Proof Key for Code Exchange (S256) is required for this public client.", ""})
		return
	}
	ss, perr := parseScopes(q.Get("scope"))
	if perr != nil {
		fail(perr)
		return
	}
	g, serr := s.signIn(q.Get("login_hint"), tenant, ss)
	if serr != nil {
		fail(serr)
		return
	}
	code := "1.AQ" + randB64(600)
	s.mu.Lock()
	s.codes[code] = &authCode{clientID: q.Get("client_id"), redirectURI: redirect, challenge: q.Get("code_challenge"),
		scopes: strings.Fields(q.Get("scope")), g: g, expires: time.Now().Add(10 * time.Minute)}
	s.mu.Unlock()
	reply(w, mode, redirect, map[string]string{"code": code, "state": state, "session_state": g.sid})
}

// grantedPerms is a token's scp for a request of perms (caller holds s.mu): the requested
// permissions not declined, and, as Entra does, every other permission of the registration that
// is consented (admin consent covers them all; User.Read needs none). Microsoft's Q&A 43462:
// consented permissions "may be included in the token response regardless of the requested scope".
func (s *Server) grantedPerms(perms []string) []string {
	var out []string
	add := func(p string) {
		if !s.declined[strings.ToLower(p)] && !contains(out, p) {
			out = append(out, p)
		}
	}
	for _, p := range perms {
		add(p)
	}
	if len(perms) > 0 {
		for _, p := range s.registration {
			if s.consented || !graphPermissions[p] {
				add(p)
			}
		}
	}
	return out
}
