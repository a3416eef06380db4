package entra

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// The Graph reader verifies certificates: against the emulator with the system roots or another
// loopback authority's pool, the read fails naming the certificate, and no request (so no token)
// reaches the server.
func TestUntrustedCertificateRefused(t *testing.T) {
	srv := graph.New(graph.Options{Tenant: tenant.Generate(tenant.Spec{Seed: 46, Users: 5, Groups: 1})})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	other, err := loopbacktls.New()
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]http.RoundTripper{
		"system roots":     http.DefaultTransport.(*http.Transport).Clone(),
		"another emulator": other.Transport(),
	} {
		r, err := New(Config{BaseURL: srv.URL() + "/v1.0", Tokens: StaticToken(token, "127.0.0.1"), Transport: tr, NetworkRetries: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = r.ReadTenant(context.Background())
		if apperr.CodeOf(err) != apperr.GraphUnavailable || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s: got %v, want graph_unavailable naming the certificate", name, err)
		}
	}
	if n := srv.Counters().Requests; n != 0 {
		t.Fatalf("%d requests reached Graph over an untrusted connection", n)
	}
}
