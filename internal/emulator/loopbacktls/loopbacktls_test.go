package loopbacktls

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClientTrustsOnlyItsOwnCertificate(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	srv.TLS = a.ServerConfig()
	srv.StartTLS()
	defer srv.Close()

	for _, host := range []string{"127.0.0.1", "localhost"} {
		u := strings.Replace(srv.URL, "127.0.0.1", host, 1)
		resp, err := a.Client().Get(u)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("%s: body %q", host, b)
		}
	}
	other, _ := New()
	if _, err := other.Client().Get(srv.URL); err == nil {
		t.Fatal("a client trusting another certificate must refuse this server")
	}
	if _, err := http.Get(srv.URL); err == nil {
		t.Fatal("the system roots must not trust the emulator certificate")
	}
}

func TestServeRefusesNonLoopbackAndResetsConnections(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Serve(a, "0.0.0.0:0", http.NotFoundHandler()); err == nil {
		t.Fatal("a wildcard address must be refused")
	}
	l, err := Serve(a, "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/reset" {
			ResetConnection(w)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !strings.HasPrefix(l.URL(), "https://127.0.0.1:") {
		t.Fatalf("url %s", l.URL())
	}
	resp, err := a.Client().Get(l.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := a.Client().Get(l.URL() + "/reset"); err == nil || !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("want a reset connection, got %v", err)
	}
}

// A connection that finished its TLS handshake but never sent a request (the spare Go's
// transport dials and pools) has nothing in flight: Close shuts down gracefully without waiting
// for it. Before closeFresh, Shutdown counted it idle only after 5 s, so Close ran out its 2 s
// grace and returned the grace's error.
func TestCloseDoesNotWaitForConnectionsWithoutARequest(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Serve(a, "", http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", strings.TrimPrefix(l.URL(), "https://"), &tls.Config{RootCAs: a.Pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close with only an unused connection open: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("the unused connection is still open after Close")
	}
}
