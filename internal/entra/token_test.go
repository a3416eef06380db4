package entra

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"

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

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tokenSeq hands out "t1", "t2", … to any host: each call is a token taken at that moment.
type tokenSeq struct{ n int }

func (s *tokenSeq) GetAuthorizationToken(context.Context, *url.URL, map[string]any) (string, error) {
	s.n++
	return fmt.Sprintf("t%d", s.n), nil
}

func (s *tokenSeq) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return nil }

// An attempt that waited goes out with a token taken after the wait, not the one kiota attached
// before it: after the pacer held it for a 429's Retry-After, and as kiota's retry (Retry-Attempt)
// after its own sleep. An attempt that did not wait keeps kiota's token (no extra token request).
// On the old transport every attempt sent "t0", the token of before the wait.
// In a synctest bubble: the second attempt must find the 20 ms hold still ahead of it, and on
// the machine's clock a caller descheduled for 20 ms between throttled and send (a loaded
// 2-core CI box under -race) found it lapsed, did not wait, and kept "t0".
func TestAnAttemptThatWaitedTakesTheTokenAgain(t *testing.T) {
	synctest.Test(t, testAnAttemptThatWaitedTakesTheTokenAgain)
}

func testAnAttemptThatWaitedTakesTheTokenAgain(t *testing.T) {
	var sent []string
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r.Header.Get("Authorization"))
		return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})
	tokens := &tokenSeq{}
	tr := &countingTransport{next: next, c: &counters{}, pace: newPacer(), tokens: tokens}
	send := func(retry bool) {
		req, _ := http.NewRequest("GET", "https://graph.test/v1.0/users", nil)
		req.Header.Set("Authorization", "Bearer t0") // what kiota attached
		if retry {
			req.Header.Set("Retry-Attempt", "1")
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.Header.Get("Authorization") != "Bearer t0" {
			t.Fatalf("the transport changed its caller's request: %q", req.Header.Get("Authorization"))
		}
	}
	send(false)
	tr.pace.throttled(20 * time.Millisecond) // the answer was a 429 with Retry-After: hold
	send(false)
	tr.pace = newPacer() // a full budget: only the retry's mark asks for a new token
	send(true)
	if want := []string{"Bearer t0", "Bearer t1", "Bearer t2"}; !slices.Equal(sent, want) {
		t.Fatalf("on the wire: %q, want %q (a fresh token after each wait, kiota's otherwise)", sent, want)
	}
}
