package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/apperr/apperrtest"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/identity"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/testenv"
)

const (
	tenantA = identity.DefaultTenantID
	tenantB = "2b2b2b2b-0000-4000-8000-bbbbbbbbbbbb"
)

type env struct {
	srv     *identity.Server
	browser *identity.Browser
	store   keychain.Store
	dir     string
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newEnv(t *testing.T, o identity.Options) *env {
	t.Helper()
	if o.Accounts == nil {
		o.Accounts = []identity.Account{
			{UPN: "admin@contoso.test", Name: "Adele Vance", TenantID: tenantA, Admin: true},
			{UPN: "user@contoso.test", Name: "Alex Wilber", TenantID: tenantA},
			{UPN: "admin@fabrikam.test", Name: "Fabrikam Admin", TenantID: tenantB, Admin: true},
			{UPN: "guest@fabrikam.test", Name: "Fabrikam Guest", TenantID: tenantB, Admin: true, GuestIn: []string{tenantA}},
		}
	}
	srv := emutest.Identity(t, o)
	return &env{srv: srv, browser: identity.NewBrowser(srv), store: keychain.NewMemory(), dir: t.TempDir(), logs: &syncBuffer{}}
}

func (e *env) client(t *testing.T, tenant string, edit ...func(*auth.Config)) *auth.Client {
	t.Helper()
	cfg := auth.Config{
		DirectoryID: "dir1", ClientID: e.srv.ClientID(), Cloud: directory.CloudGlobal, Tenant: tenant,
		AuthorityURL: e.srv.URL(), HTTPClient: e.srv.HTTPClient(), Secrets: e.store, CacheDir: e.dir,
		OpenURL: e.browser.Open, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range edit {
		f(&cfg)
	}
	c, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e := apperrtest.Want(t, err, code)
	if e.Action == "" {
		t.Fatalf("%s without an action: %v", code, err)
	}
	return e
}

// signedIn is an identity emulator with o and a client of tenantA signed in interactively, with
// the test's context.
func signedIn(t *testing.T, o identity.Options) (*env, *auth.Client, context.Context) {
	t.Helper()
	e := newEnv(t, o)
	ctx := ctxT(t)
	c := e.client(t, tenantA)
	if _, err := c.SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
	return e, c, ctx
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestInteractiveSignInEndToEnd(t *testing.T) {
	e := newEnv(t, identity.Options{})
	ctx := ctxT(t)
	c := e.client(t, "")
	acct, err := c.SignInInteractive(ctx, "admin@contoso.test")
	if err != nil {
		t.Fatal(err)
	}
	if acct.Username != "admin@contoso.test" || acct.Name != "Adele Vance" || acct.TenantID != tenantA || acct.ObjectID == "" {
		t.Fatalf("account %+v", acct)
	}
	tok, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := e.srv.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range auth.Permissions {
		if !claims.HasScope(p) {
			t.Fatalf("token lacks %s: %v", p, claims.Scopes)
		}
	}
	if claims.Audience != "https://graph.microsoft.com" || claims.TenantID != tenantA || claims.AppID != e.srv.ClientID() {
		t.Fatalf("claims %+v", claims)
	}
	// What MSAL asked for, in order: discovery of the authority, the browser's authorize page,
	// the code redemption. The silent call after it came from the cache.
	var paths []string
	for _, r := range e.srv.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	want := []string{
		"GET /organizations/v2.0/.well-known/openid-configuration",
		"GET /organizations/oauth2/v2.0/authorize",
		"POST /organizations/oauth2/v2.0/token",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s", strings.Join(paths, "\n"))
	}
	raw, err := os.ReadFile(filepath.Join(e.dir, "msal-dir1.sealed"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("token cache with emulator tokens: %d bytes of JSON, sealed file %d bytes; access token %d bytes", c.CacheSize(), len(raw), len(tok))
	if c.CacheSize() < 4000 || c.CacheSize() > keychain.MaxItemSize*6 {
		t.Fatalf("cache size %d is not in the range of a real one", c.CacheSize())
	}
}

func TestPKCEMismatchFails(t *testing.T) {
	e := newEnv(t, identity.Options{})
	e.browser.RewriteURL = func(u *url.URL) {
		q := u.Query()
		q.Set("code_challenge", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") // not sha256(verifier)
		u.RawQuery = q.Encode()
	}
	ctx := ctxT(t)
	c := e.client(t, "")
	_, err := c.SignInInteractive(ctx, "")
	if e := wantCode(t, err, apperr.AuthFailed); !strings.Contains(e.Message, "PKCE") {
		t.Fatalf("message %q", e.Message)
	}
	last := e.srv.Requests()[len(e.srv.Requests())-1]
	if last.Grant != "authorization_code" || last.Status != 400 || !strings.Contains(last.Error, "50148") {
		t.Fatalf("last request %+v", last)
	}
	_, err = c.AccessToken(ctx)
	wantCode(t, err, apperr.AuthRequired)
}

func TestSilentSignInAfterRestartFromSealedCacheOnSecretService(t *testing.T) {
	testenv.SecretService(t)
	e := newEnv(t, identity.Options{})
	e.store = keychain.New(keychain.Options{Service: fmt.Sprintf("idpsync-test-%d", os.Getpid())})
	ctx := ctxT(t)
	first := e.client(t, tenantA)
	if _, err := first.SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.SignOut(context.Background()) })
	tok1, err := first.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grants := len(e.srv.Requests())

	// A new process: a new MSAL client with nothing in memory, only the sealed file and the key
	// in the Secret Service.
	second := e.client(t, tenantA)
	acct, err := second.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := second.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok2 != tok1 || acct.Username != "admin@contoso.test" {
		t.Fatal("the restarted client did not use the cached token")
	}
	for _, r := range e.srv.Requests()[grants:] {
		if r.Grant != "" {
			t.Fatalf("silent sign-in after restart went to the token endpoint: %+v", r)
		}
	}
}

func TestRefreshTokenRedeemedWhenAccessTokenExpires(t *testing.T) {
	// Under five minutes left counts as expired for MSAL, so a 2-minute token is renewed at once.
	e, c, ctx := signedIn(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
	before := e.srv.CountGrant("refresh_token")
	tok, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.CountGrant("refresh_token") != before+1 {
		t.Fatalf("refresh_token grants %d → %d", before, e.srv.CountGrant("refresh_token"))
	}
	if _, err := e.srv.Verify(tok); err != nil {
		t.Fatal(err)
	}
	// The rotated refresh token was saved: a restarted client refreshes with it.
	if _, err := e.client(t, tenantA).AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	if e.srv.CountGrant("refresh_token") != before+2 {
		t.Fatal("second refresh not made")
	}
}

// holdFirstRefresh, once armed (after the sign-in), holds the first token POST on its way to the
// token endpoint until a second one arrives or release is closed, counting them.
type holdFirstRefresh struct {
	next    http.RoundTripper
	armed   atomic.Bool
	posts   atomic.Int32
	second  chan struct{}
	release chan struct{}
}

func (h *holdFirstRefresh) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.armed.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		switch h.posts.Add(1) {
		case 1:
			select {
			case <-h.second:
			case <-h.release:
			}
		case 2:
			close(h.second)
		}
	}
	return h.next.RoundTrip(r)
}

// signedInWithHold is a client signed in through a holdFirstRefresh, not yet armed. Under five
// minutes left counts as expired for MSAL, so the 2-minute token of the sign-in is renewed by
// the next call.
func signedInWithHold(t *testing.T) (*env, *holdFirstRefresh, *auth.Client, context.Context) {
	t.Helper()
	e := newEnv(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
	hold := &holdFirstRefresh{next: e.srv.HTTPClient().Transport, second: make(chan struct{}), release: make(chan struct{})}
	ctx := ctxT(t)
	c := e.client(t, tenantA, func(cfg *auth.Config) { cfg.HTTPClient = &http.Client{Transport: hold} })
	if _, err := c.SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
	return e, hold, c, ctx
}

// TestConcurrentCallersShareOneRefresh is kiota's pattern: many Graph requests at once, each
// asking for a token when the one in memory is due for renewal. They share one refresh: the
// first caller's refresh-token POST is held at the token endpoint until all 16 callers have
// asked (and a moment more), and no second POST may arrive meanwhile or after (the renewed
// token lives an hour, so later callers find it in memory). Before the refresh was shared, each
// caller sent its own POST and queued on MSAL's cache lock for a sealed-cache write.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	e, hold, c, ctx := signedInWithHold(t)
	e.srv.SetAccessTokenLifetime(time.Hour) // the renewed token lives an hour
	e.srv.SetAccessTokenLifetime(time.Hour)
	before := e.srv.CountGrant("refresh_token")
	hold.armed.Store(true)

	const callers = 16
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			tok, err := c.AccessToken(ctx)
			if err == nil {
				_, err = e.srv.Verify(tok)
			}
			errs <- err
		}()
	}
	started.Wait()
	// Long enough for a caller that sends its own POST to reach the hold (a keychain load and a
	// cache read): the test then fails whatever the timing, as a second POST releases the hold.
	time.AfterFunc(200*time.Millisecond, func() { close(hold.release) })
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := hold.posts.Load(); n != 1 {
		t.Fatalf("%d concurrent callers sent %d token requests, want one shared refresh", callers, n)
	}
	if n := e.srv.CountGrant("refresh_token") - before; n != 1 {
		t.Fatalf("%d refresh_token grants, want 1", n)
	}
	if _, err := e.client(t, tenantA).AccessToken(ctx); err != nil {
		t.Fatalf("cache unusable after the shared refresh: %v", err)
	}
}

// TestCallerStopsWaitingForASharedRefreshWithItsOwnContext: a caller whose context ends while
// another's refresh is on its way is told it was stopped, and the refresh still completes for
// the one that started it.
func TestCallerStopsWaitingForASharedRefreshWithItsOwnContext(t *testing.T) {
	_, hold, c, ctx := signedInWithHold(t)
	first := make(chan error, 1)
	hold.armed.Store(true)
	go func() { _, err := c.AccessToken(ctx); first <- err }()
	for hold.posts.Load() == 0 { // the first caller's POST is held
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	_, err := c.AccessToken(short)
	wantCode(t, err, apperr.Canceled)
	close(hold.release)
	if err := <-first; err != nil {
		t.Fatalf("the refresh another caller gave up on: %v", err)
	}
}

func TestDeviceCodePendingThenApproved(t *testing.T) {
	e := newEnv(t, identity.Options{})
	ctx := ctxT(t)
	c := e.client(t, "")
	var shown auth.DeviceCode
	done := make(chan error, 1)
	acct, err := c.SignInDeviceCode(ctx, func(dc auth.DeviceCode) {
		shown = dc
		go func() {
			// The person is slow: wait until the app has polled at least once and been told to wait.
			for e.srv.CountGrant("device_code") < 1 {
				time.Sleep(5 * time.Millisecond)
			}
			done <- e.browser.DeviceLogin(dc.VerificationURL, dc.UserCode)
		}()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if acct.Username != "admin@contoso.test" || acct.TenantID != tenantA {
		t.Fatalf("account %+v", acct)
	}
	if len(shown.UserCode) != 9 || !strings.Contains(shown.Message, shown.UserCode) || !strings.HasSuffix(shown.VerificationURL, "/devicelogin") || time.Until(shown.ExpiresAt) < 10*time.Minute {
		t.Fatalf("device code shown %+v", shown)
	}
	pending := 0
	for _, r := range e.srv.Requests() {
		if r.Grant == "device_code" && strings.Contains(r.Error, "authorization_pending") {
			pending++
		}
	}
	if pending == 0 {
		t.Fatal("no authorization_pending answer was exercised")
	}
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTenantMismatchRefused(t *testing.T) {
	ctx := ctxT(t)
	t.Run("token names another tenant", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		e.srv.IssueForTenant(tenantB)
		c := e.client(t, tenantA)
		_, err := c.SignInInteractive(ctx, "")
		ae := wantCode(t, err, apperr.TenantMismatch)
		if !strings.Contains(ae.Message, tenantA) || !strings.Contains(ae.Message, tenantB) {
			t.Fatalf("message must name both tenants: %q", ae.Message)
		}
		_, err = c.AccessToken(ctx)
		wantCode(t, err, apperr.AuthRequired) // the refused sign-in left nothing behind
	})
	t.Run("account of another tenant signs in to the pinned one", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		_, err := e.client(t, tenantA).SignInInteractive(ctx, "admin@fabrikam.test")
		ae := wantCode(t, err, apperr.TenantMismatch)
		if !strings.Contains(ae.Message, tenantA) {
			t.Fatalf("message %q", ae.Message)
		}
	})
	t.Run("directory pinned after signing in elsewhere", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		acct, err := e.client(t, "").SignInInteractive(ctx, "admin@fabrikam.test")
		if err != nil || acct.TenantID != tenantB {
			t.Fatalf("%+v %v", acct, err)
		}
		_, err = e.client(t, tenantA).AccessToken(ctx)
		wantCode(t, err, apperr.TenantMismatch)
	})
	t.Run("pinning after the first sign-in keeps it", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		acct, err := e.client(t, "").SignInInteractive(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		// The backend pins the directory to the tenant the admin confirmed; no new sign-in.
		got, err := e.client(t, acct.TenantID).Account(ctx)
		if err != nil || got.TenantID != tenantA || got.Username != acct.Username {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("guest account of the pinned tenant is accepted", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		acct, err := e.client(t, tenantA).SignInInteractive(ctx, "guest@fabrikam.test")
		if err != nil || acct.TenantID != tenantA {
			t.Fatalf("%+v %v", acct, err)
		}
	})
}

func TestDeclinedScopeNamesThePermission(t *testing.T) {
	e := newEnv(t, identity.Options{})
	e.srv.SetDeclinedScopes("Domain.Read.All")
	ctx := ctxT(t)
	c := e.client(t, "")
	_, err := c.SignInInteractive(ctx, "")
	ae := wantCode(t, err, apperr.AuthScopeDeclined)
	if !strings.Contains(ae.Message, "Domain.Read.All") || strings.Contains(ae.Message, "User.Read.All") {
		t.Fatalf("message %q", ae.Message)
	}
	if !strings.Contains(ae.Action, "Grant admin consent for Domain.Read.All") || !strings.Contains(ae.Action, "API permissions") {
		t.Fatalf("action %q", ae.Action)
	}
	_, err = c.AccessToken(ctx)
	wantCode(t, err, apperr.AuthRequired)

	// Consent fixed in the tenant: the next sign-in works.
	e.srv.SetDeclinedScopes()
	if _, err := c.SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
}

func TestConsent(t *testing.T) {
	ctx := ctxT(t)
	t.Run("revoked consent on refresh", func(t *testing.T) {
		e := newEnv(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
		c := e.client(t, tenantA)
		if _, err := c.SignInInteractive(ctx, ""); err != nil {
			t.Fatal(err)
		}
		e.srv.SetAdminConsent(false)
		_, err := e.client(t, tenantA).AccessToken(ctx)
		ae := wantCode(t, err, apperr.AuthConsentRequired)
		if !strings.Contains(ae.Action, "Grant admin consent") || !strings.Contains(ae.Message, "GroupMember.Read.All") {
			t.Fatalf("%q / %q", ae.Message, ae.Action)
		}
	})
	t.Run("non-admin cannot consent", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		e.srv.SetAdminConsent(false)
		_, err := e.client(t, "").SignInInteractive(ctx, "user@contoso.test")
		ae := wantCode(t, err, apperr.AuthConsentRequired)
		if !strings.Contains(ae.Action, "administrator") {
			t.Fatalf("action %q", ae.Action)
		}
	})
	t.Run("admin declines the consent page", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		e.srv.SetAdminConsent(false)
		e.srv.DeclineConsent(true)
		_, err := e.client(t, "").SignInInteractive(ctx, "")
		wantCode(t, err, apperr.AuthScopeDeclined)
	})
	t.Run("admin grants consent while signing in", func(t *testing.T) {
		e := newEnv(t, identity.Options{})
		e.srv.SetAdminConsent(false)
		if _, err := e.client(t, "").SignInInteractive(ctx, ""); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSingleTenantAppNeedsTheTenantID(t *testing.T) {
	e := newEnv(t, identity.Options{SingleTenantApp: true})
	ctx := ctxT(t)
	_, err := e.client(t, "").SignInInteractive(ctx, "")
	if ae := wantCode(t, err, apperr.AuthFailed); !strings.Contains(ae.Action, "Directory (tenant) ID") {
		t.Fatalf("action %q", ae.Action)
	}
	_, err = e.client(t, "").SignInDeviceCode(ctx, nil)
	wantCode(t, err, apperr.AuthFailed)
	if _, err := e.client(t, tenantA).SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
}

// The tenant the admin enters for a single-tenant registration, as its id or as a domain verified
// in it, carries the sign-in past AADSTS50194 before any tenant is pinned, and a later token
// comes from the cache; a domain no tenant has is Entra's unknown tenant.
func TestSingleTenantAppSignsInThroughTheEnteredTenant(t *testing.T) {
	for _, entered := range []string{tenantA, "contoso.test"} {
		t.Run(entered, func(t *testing.T) {
			e := newEnv(t, identity.Options{SingleTenantApp: true})
			ctx := ctxT(t)
			c := e.client(t, "", func(cfg *auth.Config) { cfg.SignInTenant = entered })
			a, err := c.SignInInteractive(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if a.TenantID != tenantA {
				t.Fatalf("signed in to tenant %q, want %q", a.TenantID, tenantA)
			}
			if _, err := e.client(t, "", func(cfg *auth.Config) { cfg.SignInTenant = entered }).AccessToken(ctx); err != nil {
				t.Fatalf("token from the cache: %v", err)
			}
		})
	}
	e := newEnv(t, identity.Options{SingleTenantApp: true})
	_, err := e.client(t, "", func(cfg *auth.Config) { cfg.SignInTenant = "nobody.example" }).SignInInteractive(ctxT(t), "")
	if ae := wantCode(t, err, apperr.AuthFailed); !strings.Contains(ae.Action, "tenant id") {
		t.Fatalf("action %q", ae.Action)
	}
}

func TestExpiredRefreshTokenMeansSignInAgain(t *testing.T) {
	e := newEnv(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
	ctx := ctxT(t)
	if _, err := e.client(t, tenantA).SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireRefreshTokens()
	_, err := e.client(t, tenantA).AccessToken(ctx)
	ae := wantCode(t, err, apperr.AuthRequired)
	if !strings.Contains(ae.Error(), "700082") {
		t.Fatalf("error %v", ae)
	}
}

func TestInteractiveSignInCanceled(t *testing.T) {
	e := newEnv(t, identity.Options{})
	opened := make(chan string, 1)
	c := e.client(t, "", func(cfg *auth.Config) {
		cfg.OpenURL = func(u string) error { opened <- u; return nil } // the admin never finishes
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-opened; cancel() }()
	// ctx has no deadline and the admin never finishes, so the call returns only because the
	// cancel stopped the wait, and says so (context.Canceled); it used to be timed instead,
	// failing whenever a loaded machine took over 5 s.
	_, err := c.SignInInteractive(ctx, "")
	wantCode(t, err, apperr.AuthCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the wait ended without the cancel: %v", err)
	}
}

func TestSignOutWipesCacheAndKey(t *testing.T) {
	e, c, ctx := signedIn(t, identity.Options{})
	if err := c.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "msal-dir1.sealed")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("sealed cache still there: %v", err)
	}
	if e.store.(*keychain.Memory).Len() != 0 {
		t.Fatal("keychain item left behind")
	}
	_, err := c.AccessToken(ctx)
	wantCode(t, err, apperr.AuthRequired)
	_, err = e.client(t, tenantA).AccessToken(ctx)
	wantCode(t, err, apperr.AuthRequired)
}

func TestLostKeyMeansSignInAgain(t *testing.T) {
	e := newEnv(t, identity.Options{})
	ctx := ctxT(t)
	if _, err := e.client(t, tenantA).SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Delete(ctx, "envelope/msal-dir1"); err != nil {
		t.Fatal(err)
	}
	_, err := e.client(t, tenantA).AccessToken(ctx)
	ae := wantCode(t, err, apperr.AuthRequired)
	if !strings.Contains(ae.Message, "could not be opened") {
		t.Fatalf("message %q", ae.Message)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "msal-dir1.sealed")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale sealed cache kept")
	}
}

func TestKeychainUnavailableIsReported(t *testing.T) {
	e := newEnv(t, identity.Options{})
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	e.store = keychain.New(keychain.Options{Service: "idpsync-test-nobus"})
	_, err := e.client(t, "").SignInInteractive(ctxT(t), "")
	wantCode(t, err, apperr.KeychainUnavailable)
}

func TestTokenProviderAllowedHosts(t *testing.T) {
	e := newEnv(t, identity.Options{})
	ctx := ctxT(t)
	c := e.client(t, tenantA, func(cfg *auth.Config) { cfg.GraphURL = "https://127.0.0.1:9/v1.0" })
	if _, err := c.SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
	p := c.TokenProvider()
	hosts := p.GetAllowedHostsValidator().GetAllowedHosts()
	if !hosts["graph.microsoft.com"] || !hosts["127.0.0.1"] || len(hosts) != 2 {
		t.Fatalf("allowed hosts %v", hosts)
	}
	for raw, want := range map[string]bool{
		"https://graph.microsoft.com/v1.0/users": true,
		"https://127.0.0.1:9/v1.0/groups":        true,
		"https://evil.example.com/v1.0/users":    false,
	} {
		u, _ := url.Parse(raw)
		tok, err := p.GetAuthorizationToken(ctx, u, nil)
		if err != nil || (tok != "") != want {
			t.Fatalf("%s: token given %v, err %v", raw, tok != "", err)
		}
	}
	u, _ := url.Parse("http://graph.microsoft.com/v1.0/users")
	_, err := p.GetAuthorizationToken(ctx, u, nil)
	if apperr.CodeOf(err) != apperr.InsecureURL {
		t.Fatalf("plain http: %v", err)
	}
	if c.GraphBaseURL() != "https://127.0.0.1:9/v1.0" {
		t.Fatal(c.GraphBaseURL())
	}
}

func TestCloudEndpointsAndScopes(t *testing.T) {
	for cloud, want := range map[directory.Cloud][2]string{
		"":                   {"login.microsoftonline.com", "https://graph.microsoft.com/v1.0"},
		directory.CloudUSGov: {"login.microsoftonline.us", "https://graph.microsoft.us/v1.0"},
		directory.CloudChina: {"login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/v1.0"},
	} {
		ep, err := auth.CloudEndpoints(cloud)
		if err != nil || ep.AuthorityHost != want[0] || ep.GraphBaseURL != want[1] {
			t.Fatalf("%q: %+v %v", cloud, ep, err)
		}
		sc, _ := auth.Scopes(cloud)
		if len(sc) != 3 || sc[0] != "https://"+ep.GraphHost+"/User.Read.All" {
			t.Fatalf("scopes %v", sc)
		}
	}
	_, err := auth.CloudEndpoints("germany")
	if apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatal(err)
	}
	_, err = auth.New(auth.Config{DirectoryID: "d", Secrets: keychain.NewMemory(), CacheDir: t.TempDir(), ClientID: "x", AuthorityURL: "http://127.0.0.1:1"})
	if apperr.CodeOf(err) != apperr.InsecureURL {
		t.Fatalf("http authority: %v", err)
	}
}

// TestNoSecretLeaks collects every token, code and key the scenarios produced and checks none
// appears in the sealed file, the logs, errors, or what would go to the frontend.
func TestNoSecretLeaks(t *testing.T) {
	e := newEnv(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
	ctx := ctxT(t)
	c := e.client(t, tenantA)
	acct, err := c.SignInInteractive(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.AccessToken(ctx) // a refresh, logged at debug
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{tok}
	collect := func() {
		// The secrets: every "secret" in the decrypted cache and the envelope key.
		blob, err := keychain.NewEnvelope(e.store, e.dir).Load(ctx, "msal-dir1")
		if err != nil {
			t.Fatal(err)
		}
		var cache map[string]map[string]map[string]any
		if err := json.Unmarshal(blob, &cache); err != nil {
			t.Fatal(err)
		}
		for _, section := range []string{"AccessToken", "RefreshToken", "IdToken"} {
			for _, item := range cache[section] {
				if s, _ := item["secret"].(string); s != "" {
					secrets = append(secrets, s)
				}
			}
		}
		key, err := e.store.Get(ctx, "envelope/msal-dir1")
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, key)
	}
	collect()
	dc := make(chan error, 1)
	if _, err := e.client(t, tenantA).SignInDeviceCode(ctx, func(d auth.DeviceCode) {
		go func() { dc <- e.browser.DeviceLogin(d.VerificationURL, d.UserCode) }()
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-dc; err != nil {
		t.Fatal(err)
	}
	collect()
	// Access tokens under five minutes from expiry are not cached by MSAL: 2 × (RT, id token, key) + the live token.
	if len(secrets) < 7 {
		t.Fatalf("only %d secrets found in the cache", len(secrets))
	}

	// Failures whose messages must not quote a token.
	var errs []string
	e.srv.ExpireRefreshTokens()
	for _, f := range []func() error{
		func() error { _, err := e.client(t, tenantA).AccessToken(ctx); return err },
		func() error {
			e.srv.IssueForTenant(tenantB)
			defer e.srv.IssueForTenant("")
			_, err := e.client(t, tenantA).SignInInteractive(ctx, "")
			return err
		},
		func() error {
			e.browser.RewriteURL = func(u *url.URL) { q := u.Query(); q.Set("code_challenge", "x"); u.RawQuery = q.Encode() }
			defer func() { e.browser.RewriteURL = nil }()
			_, err := e.client(t, tenantA).SignInInteractive(ctx, "")
			return err
		},
	} {
		err := f()
		if err == nil {
			t.Fatal("scenario did not fail")
		}
		b, _ := json.Marshal(apperr.As(err))
		errs = append(errs, err.Error(), string(b))
	}
	frontend, _ := json.Marshal(acct)
	sealed, _ := os.ReadFile(filepath.Join(e.dir, "msal-dir1.sealed"))
	places := map[string]string{
		"logs": e.logs.String(), "errors": strings.Join(errs, "\n"), "account": string(frontend), "sealed file": string(sealed),
	}
	for where, text := range places {
		for _, s := range secrets {
			probe := s
			if len(probe) > 40 {
				probe = probe[len(probe)-40:] // a signature or tail is enough to recognise a token
			}
			if strings.Contains(text, probe) {
				t.Fatalf("a secret (%d bytes) appears in the %s", len(s), where)
			}
		}
	}
	if !strings.Contains(e.logs.String(), "signed in to Microsoft") {
		t.Fatal("the log is empty: the check proved nothing")
	}
}
