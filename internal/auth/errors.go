package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/idpsync/idpsync/internal/apperr"
)

// aadError is Entra's error body (or what MSAL's loopback listener passes on from the redirect).
type aadError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
	SubError    string `json:"suberror"`
}

var aadstsRE = regexp.MustCompile(`AADSTS(\d+)`)

// code is the first AADSTS number, from error_codes or the description.
func (e aadError) code() int {
	if len(e.Codes) > 0 {
		return e.Codes[0]
	}
	if m := aadstsRE.FindStringSubmatch(e.Description); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// summary is the description without Entra's trace lines, short enough for a screen.
func (e aadError) summary() string {
	d := e.Description
	for _, cut := range []string{"\r\n", "\n", " Trace ID:"} {
		if i := strings.Index(d, cut); i > 0 {
			d = d[:i]
		}
	}
	if len(d) > 300 {
		d = d[:300] + "…"
	}
	return strings.TrimSpace(d)
}

func permissionList() string { return strings.Join(Permissions, ", ") }

const consentSteps = "In the Entra admin center open App registrations → your IdP Sync app → API permissions and select \"Grant admin consent for <your organization>\" (a Global Administrator or Privileged Role Administrator can), then sign in again."

// mapError turns what MSAL returns into a coded error. Entra's answer is parsed from the HTTP
// body rather than kept as the cause: MSAL's error text repeats the request URL and body, and the
// coded error keeps only Entra's code and summary, which never hold a token.
func (c *Client) mapError(ctx context.Context, err error, interactive bool) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err // keychain and our own checks already carry a code
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if interactive {
			return apperr.Wrap(ctx.Err(), apperr.AuthCanceled, "the Microsoft sign-in was canceled or not finished in time").
				WithAction("Press \"Sign in with Microsoft\" again and finish the sign-in in the browser.")
		}
		return apperr.Wrap(err, apperr.Canceled, "stopped while getting a Microsoft token").WithAction("Run it again.")
	}
	// An untrusted certificate (a TLS-inspecting proxy, a wrong authority URL) must say so: MSAL's
	// own text is "server response error" and nothing else on its first line.
	if e := apperr.UntrustedCertificate(err, c.ep.AuthorityHost); e != nil {
		return e
	}
	if e := apperr.NotTLS(err, c.ep.AuthorityHost); e != nil {
		return e
	}
	var e aadError
	var call msalerrors.CallErr
	if errors.As(err, &call) && call.Resp != nil && call.Resp.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(call.Resp.Body, 64<<10))
		_ = json.Unmarshal(body, &e)
		if e.Error == "" && e.Description == "" {
			return apperr.New(apperr.AuthFailed, "the Microsoft sign-in service answered HTTP %d", call.Resp.StatusCode).
				WithAction("Try again later; if it persists, check the network path to " + c.ep.AuthorityHost + ".")
		}
	} else {
		msg := err.Error()
		if i := strings.Index(msg, "declined scopes are present: "); i >= 0 {
			return c.declined(scopesToPermissions(strings.Split(msg[i+len("declined scopes are present: "):], ",")))
		}
		if strings.Contains(msg, "no token found") {
			return c.notSignedIn()
		}
		if m := aadstsRE.FindString(msg); m != "" {
			// The loopback listener passes on only error_description from the redirect.
			e = aadError{Description: msg}
		} else {
			return apperr.Wrap(errors.New(firstLine(msg)), apperr.AuthFailed, "Microsoft sign-in failed").
				WithAction("Try again; if it persists, check the directory's client id, cloud and tenant settings.")
		}
	}
	return c.mapAAD(e)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (c *Client) mapAAD(e aadError) error {
	code := e.code()
	cause := fmt.Errorf("AADSTS%d %s: %s", code, e.Error, e.summary())
	wrap := func(ac apperr.Code, action, format string, args ...any) error {
		return apperr.Wrap(cause, ac, format, args...).WithAction(action)
	}
	switch code {
	case 65001:
		return wrap(apperr.AuthConsentRequired, consentSteps,
			"admin consent is missing for IdP Sync's Microsoft Graph permissions (%s)", permissionList())
	case 90094, 90093, 90099, 65002:
		return wrap(apperr.AuthConsentRequired,
			"Ask a Global Administrator to grant admin consent for "+permissionList()+" in the app registration (API permissions), or sign in as an administrator.",
			"this account may not grant IdP Sync's permissions (%s): they need an administrator's consent", permissionList())
	case 65004:
		return c.declinedConsent(cause)
	case 700082, 70008, 50173, 50133, 50076, 50079, 50078, 50158, 50132, 9002313:
		return wrap(apperr.AuthRequired, "Sign in with Microsoft again.",
			"the saved Microsoft sign-in is no longer valid (%s)", e.summary())
	case 50020, 500208, 90072:
		return wrap(apperr.TenantMismatch,
			"Sign in with an account of tenant "+c.pinnedOr("the directory's tenant")+", or add that account to it.",
			"the signed-in account does not belong to tenant %s: %s", c.pinnedOr("the directory's tenant"), e.summary())
	case 700016:
		return wrap(apperr.AuthFailed, "Check the directory's application (client) id: it must be the id of the app registration in your tenant.",
			"Entra does not know the application (client) id %s in this tenant", c.cfg.ClientID)
	case 50011, 500113, 500117:
		return wrap(apperr.AuthFailed, "In the app registration, add the platform \"Mobile and desktop applications\" with the redirect URI http://localhost.",
			"the app registration does not allow the redirect URI IdP Sync uses (http://localhost)")
	case 7000218, 700025:
		return wrap(apperr.AuthFailed, "In the app registration's Authentication page, set \"Allow public client flows\" to Yes.",
			"the app registration is not a public client")
	case 50194:
		return wrap(apperr.AuthFailed, "Enter the Directory (tenant) ID from the app registration's Overview page in the directory's Connection tab (or in \"Your Microsoft app registration\" when adding it): a single-tenant app registration cannot sign in through the \"organizations\" endpoint.",
			"the app registration is single-tenant, so the sign-in needs the tenant id")
	case 90002:
		return wrap(apperr.AuthFailed, "Check the directory's tenant id and cloud.", "Entra does not know tenant %s in this cloud", c.pinnedOr("organizations"))
	case 50148:
		return wrap(apperr.AuthFailed, "Sign in again.", "the sign-in's proof key (PKCE) did not match")
	}
	switch e.Error {
	case "access_denied", "authorization_declined":
		return c.declinedConsent(cause)
	case "expired_token":
		return wrap(apperr.AuthCanceled, "Start the device sign-in again and enter the code within 15 minutes.", "the device code expired before it was used")
	case "interaction_required", "invalid_grant":
		return wrap(apperr.AuthRequired, "Sign in with Microsoft again.", "Microsoft needs a new sign-in (%s)", e.summary())
	case "consent_required":
		return wrap(apperr.AuthConsentRequired, consentSteps, "admin consent is missing for %s", permissionList())
	}
	return wrap(apperr.AuthFailed, "Try again; if it persists, check the app registration against the README's steps.",
		"Microsoft sign-in failed: %s", e.summary())
}

func (c *Client) declinedConsent(cause error) error {
	return apperr.Wrap(cause, apperr.AuthScopeDeclined,
		"the permissions IdP Sync asks for (%s) were declined on Microsoft's consent page", permissionList()).
		WithAction("Sign in again and accept the permissions, or grant admin consent for " + permissionList() + " in the app registration (API permissions).")
}

func (c *Client) declined(missing []string) error {
	return apperr.New(apperr.AuthScopeDeclined,
		"Microsoft granted the sign-in without the permission %s", strings.Join(missing, ", ")).
		WithAction("Grant admin consent for " + strings.Join(missing, ", ") + " in the app registration (API permissions), then sign in again.")
}

func (c *Client) notSignedIn() error {
	if c.cache.lost.Load() {
		return apperr.New(apperr.AuthRequired, "the saved Microsoft sign-in could not be opened (its key is no longer in the keychain) and was removed").
			WithAction("Sign in with Microsoft again.")
	}
	return apperr.New(apperr.AuthRequired, "not signed in to Microsoft for this directory").WithAction("Sign in with Microsoft.")
}

func (c *Client) pinnedOr(s string) string {
	if c.cfg.Tenant != "" {
		return c.cfg.Tenant
	}
	return s
}

// scopesToPermissions turns scope URIs back into permission names.
func scopesToPermissions(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if i := strings.LastIndex(s, "/"); i >= 0 {
			s = s[i+1:]
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
