package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/emulator/identity"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
)

// MSAL over a client that does not trust the identity emulator's certificate (the system roots,
// or another loopback authority) fails to sign in, and nothing reaches the authority: the
// browser is never opened and no code or token is exchanged.
func TestUntrustedCertificateRefused(t *testing.T) {
	e := newEnv(t, identity.Options{})
	untrusted, err := loopbacktls.UntrustedTransports()
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range untrusted {
		opened := 0
		c := e.client(t, tenantA, func(cfg *auth.Config) {
			cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
			cfg.OpenURL = func(u string) error { opened++; return e.browser.Open(u) }
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := c.SignInInteractive(ctx, "")
		cancel()
		// Issue 18 point 7: the message names the host and the action the proxy's root.
		ae := apperr.As(err)
		if ae == nil || ae.Code != apperr.InsecureURL || !strings.Contains(ae.Message, "not trusted") || !strings.Contains(ae.Message, strings.TrimPrefix(e.srv.URL(), "https://")) ||
			!strings.Contains(ae.Action, "TLS-inspecting proxy") || !strings.Contains(ae.Action, "trusted by the operating system") {
			t.Errorf("%s: got %v, want insecure_url naming the host and the proxy's root", name, err)
		}
		if opened != 0 {
			t.Errorf("%s: the browser was opened %d times", name, opened)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached the authority over an untrusted connection: %+v", n, e.srv.Requests())
	}
}
