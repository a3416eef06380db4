package entra

import (
	"context"
	"net/url"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

// The static token goes to the Graph URL's host and nowhere else, for names, IPv4 and IPv6
// hosts with ports: the backend's old split of the authority at ":" turned https://[::1]:8443
// into the host "[" and sent no token at all.
func TestStaticTokenForSendsOnlyToTheGraphHost(t *testing.T) {
	for _, c := range []struct{ base, same, other string }{
		{"https://[::1]:8443/v1.0", "https://[::1]:8443/v1.0/users", "https://[::2]:8443/v1.0/users"},
		{"https://127.0.0.1:9443/v1.0", "https://127.0.0.1:9443/v1.0/groups", "https://127.0.0.2:9443/v1.0/groups"},
		{"https://graph.microsoft.us/v1.0", "https://graph.microsoft.us/v1.0/me", "https://evil.example/v1.0/me"},
	} {
		p, err := StaticTokenFor("tok", c.base)
		if err != nil {
			t.Fatal(err)
		}
		for u, want := range map[string]string{c.same: "tok", c.other: ""} {
			pu, _ := url.Parse(u)
			if got, err := p.GetAuthorizationToken(context.Background(), pu, nil); err != nil || got != want {
				t.Errorf("base %s, request %s: token %q (%v), want %q", c.base, u, got, err, want)
			}
		}
	}
	if _, err := StaticTokenFor("tok", "graph.microsoft.com"); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("a URL without a host: %v", err)
	}
}
