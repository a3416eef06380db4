// Package emutest starts the emulators for tests and benchmarks: each one made, listening on
// loopback TLS and closed when the test ends, or the test fails at once. It is the three calls
// (New, Start, Cleanup(Close)) that the client, sign-in and Graph reader tests each wrote out.
// InProcess serves an emulator without a socket instead, for tests in a testing/synctest bubble;
// Abandoned is a client that goes away mid-request; PlainHTTP is a server without TLS for a
// client given an https:// address, UntrustedTLS one with a certificate no client trusts.
// Only test files import it: the shipped binary (demo mode) starts its emulators in
// internal/emulator/demo. The emulators' own internal tests cannot import it (it imports them).
package emutest

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

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

// InProcess is a RoundTripper that serves each request with Handler in this process, without a
// socket, so a real client and a real emulator can run inside a testing/synctest bubble on its
// fake clock (a bubble cannot wait on real sockets): the emulator's token bucket and latency and
// the client's pacing, Retry-After and backoff then all see the same deterministic time, and a
// test that only waits on them takes its CPU time, not its emulated seconds. The handler sees
// what a server would: Host, RemoteAddr and RequestURI set. A handler that aborts
// (http.ErrAbortHandler: an emulator's injected connection reset) is a transport error, as the
// connection a real server then closes is to its client.
type InProcess struct{ Handler http.Handler }

// RoundTrip serves r with the handler and returns the recorded response.
func (t InProcess) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	in := r.Clone(r.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	if in.Host == "" {
		in.Host = r.URL.Host
	}
	in.RemoteAddr, in.RequestURI = "127.0.0.1:1", r.URL.RequestURI()
	defer func() {
		_ = in.Body.Close()
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			resp, err = nil, errors.New("emutest: the handler aborted the request (connection reset)")
		}
	}()
	rec := httptest.NewRecorder()
	t.Handler.ServeHTTP(rec, in)
	resp = rec.Result()
	resp.Request = r
	return resp, nil
}

// Abandoned sends "GET target" with headers (each "Name: value") to a loopback TLS server and
// half-closes the connection (TLS close_notify) at once, as a client that went away does; the
// server then ends the request's context while the connection can still carry an answer. It
// returns whatever the server sent before closing: an emulator must send nothing to a request
// it dropped (an empty 200 there was taken for the service's answer). Callers give the emulator
// a latency far past the test (a minute), so that only the abandonment can end the request:
// with 1 s, a server slow to notice the close on a loaded machine answered after the latency.
func Abandoned(tb testing.TB, target string, headers ...string) []byte {
	tb.Helper()
	a, err := loopbacktls.Shared()
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := tls.Dial("tcp", u.Host, a.Transport().TLSClientConfig)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	// A safety net, not a verdict: the server closes the connection as soon as it sees the
	// client gone (at once, here); one that has not in 60 s never noticed, and fails the test.
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		tb.Fatal(err)
	}
	if err := conn.CloseWrite(); err != nil {
		tb.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		tb.Fatalf("the server neither answered nor closed the abandoned request in 60 s (sent %q)", got)
	}
	return got
}

// PlainHTTP starts a loopback server that speaks HTTP without TLS, the wrong server behind an
// https:// address, and returns its host:port and a count of the connections it accepted. A
// request that reaches it fails the test: a client must stop at the TLS hello it answers.
func PlainHTTP(tb testing.TB) (host string, conns func() int) {
	tb.Helper()
	return counting(tb, false)
}

// UntrustedTLS starts a loopback HTTPS server whose certificate (httptest's own) no client of
// the tests trusts, and returns its host:port and a count of the connections it was offered. A
// request that reaches it fails the test: a client must stop at the certificate.
func UntrustedTLS(tb testing.TB) (host string, conns func() int) {
	tb.Helper()
	return counting(tb, true)
}

// counting is PlainHTTP and UntrustedTLS: a server no request may reach, counting connections.
func counting(tb testing.TB, withTLS bool) (string, func() int) {
	var n atomic.Int32
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		tb.Errorf("a request reached the server no client may talk to: %s %s", r.Method, r.URL)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	if withTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	tb.Cleanup(s.Close)
	return s.Listener.Addr().String(), func() int { return int(n.Load()) }
}

// EachConn listens on a loopback port until the test ends and hands every connection to serve on
// a goroutine of its own (closing it after), so a slow or silent client never holds up the next;
// it returns the address. It is the accept loop of the hand-written proxies of tests: the cli's
// CONNECT tunnel and the report's tripwire that records what Chromium tried to reach.
func EachConn(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return l.Addr().String()
}
