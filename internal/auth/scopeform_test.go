package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/emulator/identity"
)

// Issue 18 point 12: Entra spells a token response's scope field in several ways (full URIs,
// percent-encoded full URIs, short names with OIDC scopes, empty, absent, reduced on refresh).
// MSAL Go compared it with the requested full URIs and refused every spelling but the echo with
// "declined scopes are present", which the app reported as permissions not granted. Whatever the
// spelling, sign-in (interactive and device code) and the silent refresh must work while the
// access token's scp claim carries the three permissions.
func TestEveryScopeSpellingSignsInAndRefreshes(t *testing.T) {
	forms := []identity.ScopeForm{identity.ScopeEcho, identity.ScopeShort, identity.ScopeEncoded, identity.ScopeEmpty, identity.ScopeAbsent, identity.ScopeReduced}
	for _, form := range forms {
		for _, flow := range []string{"interactive", "device code"} {
			name := string(form)
			if name == "" {
				name = "echo"
			}
			t.Run(name+"/"+flow, func(t *testing.T) {
				// Under five minutes left counts as expired for MSAL: every AccessToken refreshes.
				e := newEnv(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
				e.srv.SetScopeForm("", form)
				ctx := ctxT(t)
				c := e.client(t, tenantA)
				if _, err := signIn(ctx, e, c, flow); err != nil {
					t.Fatalf("sign-in with scope spelled %q: %v", name, err)
				}
				before := e.srv.CountGrant("refresh_token")
				tok, err := c.AccessToken(ctx)
				if err != nil {
					t.Fatalf("silent refresh with scope spelled %q: %v", name, err)
				}
				if e.srv.CountGrant("refresh_token") != before+1 {
					t.Fatalf("the access token was not refreshed (%d refresh grants)", e.srv.CountGrant("refresh_token")-before)
				}
				if cl, err := e.srv.Verify(tok); err != nil || !cl.HasScope("Domain.Read.All") {
					t.Fatalf("token %v %v", cl, err)
				}
				// A restarted app refreshes from the sealed cache with the same spelling.
				if _, err := e.client(t, tenantA).AccessToken(ctx); err != nil {
					t.Fatalf("restarted client: %v", err)
				}
			})
		}
	}
}

// Only the refresh answers in another spelling: the sign-in cached the tokens under the echoed
// scopes, and the refreshed ones must replace them, not fail or strand the account.
func TestRefreshOnlyAnswersShortOrReducedScope(t *testing.T) {
	for _, form := range []identity.ScopeForm{identity.ScopeShort, identity.ScopeReduced, identity.ScopeEmpty, identity.ScopeEncoded} {
		t.Run(string(form), func(t *testing.T) {
			e, c, ctx := signedIn(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
			e.srv.SetScopeForm("refresh_token", form)
			for i := 0; i < 3; i++ {
				if _, err := c.AccessToken(ctx); err != nil {
					t.Fatalf("refresh %d: %v", i, err)
				}
			}
		})
	}
}

// A permission that is really missing (not in scp, not in the scope field in any spelling) is
// still refused with auth_scope_declined naming exactly that permission, in every spelling.
func TestDeclinedPermissionNamedInEverySpelling(t *testing.T) {
	for _, form := range []identity.ScopeForm{identity.ScopeEcho, identity.ScopeShort, identity.ScopeEncoded, identity.ScopeEmpty} {
		t.Run(string(form), func(t *testing.T) {
			e := newEnv(t, identity.Options{})
			e.srv.SetScopeForm("", form)
			e.srv.SetDeclinedScopes("GroupMember.Read.All")
			_, err := e.client(t, "").SignInInteractive(ctxT(t), "")
			ae := wantCode(t, err, apperr.AuthScopeDeclined)
			if !strings.Contains(ae.Message, "GroupMember.Read.All") || strings.Contains(ae.Message, "User.Read.All") || strings.Contains(ae.Message, "Domain.Read.All") {
				t.Fatalf("message %q names the wrong permissions", ae.Message)
			}
		})
	}
}

func signIn(ctx context.Context, e *env, c *auth.Client, flow string) (auth.Account, error) {
	if flow == "interactive" {
		return c.SignInInteractive(ctx, "")
	}
	done := make(chan error, 1)
	acct, err := c.SignInDeviceCode(ctx, func(dc auth.DeviceCode) {
		go func() { done <- e.browser.DeviceLogin(dc.VerificationURL, dc.UserCode) }()
	})
	if err == nil {
		err = <-done
	}
	return acct, err
}
