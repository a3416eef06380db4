package entra

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// The Graph reader verifies certificates: against the emulator with the system roots or another
// loopback authority's pool, the read fails at once (one attempt, no retries) with insecure_url
// naming the host and the TLS-inspecting proxy whose root the OS must trust, and no request (so
// no token) reaches the server. Issue 18: it was retried 4 times and reported graph_unavailable.
func TestUntrustedCertificateRefused(t *testing.T) {
	srv := emutest.Graph(t, graph.Options{Tenant: tenant.Generate(tenant.Spec{Seed: 46, Users: 5, Groups: 1})})
	untrusted, err := loopbacktls.UntrustedTransports()
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range untrusted {
		r, err := New(Config{BaseURL: srv.URL() + "/v1.0", Tokens: StaticToken(token, "127.0.0.1"), Transport: tr, NetworkRetries: 3})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = r.ReadTenant(context.Background())
		wantUntrusted(t, name, err, srvHost(srv.URL()))
		if n := r.Counters().Requests; n != 1 {
			t.Errorf("%s: %d attempts, want 1 (no retry of an untrusted certificate)", name, n)
		}
	}
	if n := srv.Counters().Requests; n != 0 {
		t.Fatalf("%d requests reached Graph over an untrusted connection", n)
	}
}

func srvHost(raw string) string {
	u, _ := url.Parse(raw)
	return u.Host
}

func wantUntrusted(t *testing.T, name string, err error, host string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil {
		t.Fatalf("%s: no error, want insecure_url", name)
	}
	if e.Code != apperr.InsecureURL || !strings.Contains(e.Message, host) || !strings.Contains(e.Message, "not trusted") ||
		!strings.Contains(e.Action, "TLS-inspecting proxy") || !strings.Contains(e.Action, "trusted by the operating system") {
		t.Errorf("%s: got %v (action %q), want insecure_url naming %s and the proxy's root", name, err, e.Action, host)
	}
}

// A plain-HTTP server at the Graph URL's https:// address fails the read at once with
// insecure_url "did not answer with TLS", after one connection and no request: Go's client says
// http.ErrSchemeMismatch there, which was retried as a network failure and ended
// graph_unavailable, "check the network".
func TestPlainHTTPServerAtTheGraphURLIsInsecureURL(t *testing.T) {
	host, conns := emutest.PlainHTTP(t)
	r, err := New(Config{BaseURL: "https://" + host + "/v1.0", Tokens: StaticToken(token, "127.0.0.1"), NetworkRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = r.ReadTenant(context.Background())
	if e := apperr.As(err); e == nil || e.Code != apperr.InsecureURL || !strings.Contains(e.Message, host+" did not answer with TLS") {
		t.Errorf("got %v, want insecure_url: %s did not answer with TLS", err, host)
	}
	if n := conns(); n != 1 {
		t.Errorf("%d connections, want 1 (a server without TLS is not retried)", n)
	}
}
