// Package emutest starts the emulators for tests and benchmarks: each one made, listening on
// loopback TLS and closed when the test ends, or the test fails at once. It is the three calls
// (New, Start, Cleanup(Close)) that the client, sign-in and Graph reader tests each wrote out.
// Only test files import it: the shipped binary (demo mode) starts its emulators in
// internal/emulator/demo. The emulators' own internal tests cannot import it (it imports them).
package emutest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/identity"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
)

// Atlassian starts an Atlassian emulator with o.
func Atlassian(tb testing.TB, o atlassian.Options) *atlassian.Server {
	tb.Helper()
	s, err := atlassian.New(o)
	return started(tb, s, err, func() { _ = s.Close() })
}

// Identity starts a Microsoft identity platform emulator with o.
func Identity(tb testing.TB, o identity.Options) *identity.Server {
	tb.Helper()
	s, err := identity.New(o)
	return started(tb, s, err, func() { _ = s.Close() })
}

// Graph starts a Microsoft Graph emulator with o (o.Tenant is required, as graph.New says).
func Graph(tb testing.TB, o graph.Options) *graph.Server {
	tb.Helper()
	s := graph.New(o)
	return started(tb, s, nil, s.Close)
}

// started starts s unless making it failed (err), and closes it when the test ends.
func started[S interface{ Start() error }](tb testing.TB, s S, err error, closeFn func()) S {
	tb.Helper()
	if err == nil {
		err = s.Start()
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(closeFn)
	return s
}

// TLSServer serves a test's own handler (a hostile or scripted server) on loopback TLS with the
// shared authority the emulators use, closed when the test ends; the authority's Transport is
// the one clients trust it with.
func TLSServer(tb testing.TB, h http.Handler) (*httptest.Server, *loopbacktls.Authority) {
	tb.Helper()
	a, err := loopbacktls.Shared()
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = a.ServerConfig()
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv, a
}
