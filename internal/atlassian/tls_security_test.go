package atlassian_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
)

// The SCIM and organization clients verify certificates: against the emulator without its
// certificate in the pool (the system roots, or another loopback authority) every call fails
// with InsecureURL naming the host, and the key never reaches the server.
func TestUntrustedCertificateRefused(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	untrusted, err := loopbacktls.UntrustedTransports()
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range untrusted {
		cfg := fastCfg(s)
		cfg.Transport = tr
		c := newClient(t, cfg)
		err := c.ListUsers(context.Background(), func(atlassian.User) error { return nil })
		host := strings.TrimPrefix(s.URL(), "https://")
		if ae := apperr.As(err); ae == nil || ae.Code != apperr.InsecureURL || !strings.Contains(ae.Message, "not trusted") || !strings.Contains(ae.Message, host) ||
			!strings.Contains(ae.Action, "TLS-inspecting proxy") || !strings.Contains(ae.Action, "trusted by the operating system") {
			t.Errorf("%s: SCIM got %v, want insecure_url naming %s and the proxy's root", name, err, host)
		}
		if n := c.Stats().Requests; n != 1 {
			t.Errorf("%s: %d attempts, want 1 (an untrusted certificate is not retried)", name, n)
		}
		o, err := atlassian.NewOrg(atlassian.OrgConfig{BaseURL: s.URL(), OrgID: s.OrgID(), APIKey: s.OrgAPIKey(), Transport: tr, AllowCustomHost: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.ListDomains(context.Background()); apperr.CodeOf(err) != apperr.InsecureURL {
			t.Errorf("%s: org got %v, want insecure_url", name, err)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests reached the server over an untrusted connection", n)
	}
}

// http:// and other hosts are refused before any request; another host only with the flag.
func TestBaseURLRules(t *testing.T) {
	cases := []struct {
		url    string
		custom bool
		code   apperr.Code
	}{
		{"http://api.atlassian.com/scim/directory/abc", false, apperr.InsecureURL},
		{"http://api.atlassian.com/scim/directory/abc", true, apperr.InsecureURL},
		{"https://evil.example/scim/directory/abc", false, apperr.InsecureURL},
		{"https://api.atlassian.com.evil.example/scim/directory/abc", false, apperr.InsecureURL},
		{"https://user:pw@api.atlassian.com/scim/directory/abc", false, apperr.InvalidInput},
		{"https://api.atlassian.com/scim/directory/abc?x=1", false, apperr.InvalidInput},
		{"https://api.atlassian.com/other/abc", false, apperr.InvalidInput},
		{"https://api.atlassian.com/scim/directory/../../admin", false, apperr.InvalidInput},
		{"api.atlassian.com/scim/directory/abc", false, apperr.InvalidInput},
		{"", false, apperr.InvalidInput},
		{"https://evil.example/scim/directory/abc", true, ""},
		{"https://API.Atlassian.com/scim/directory/abc/", false, ""},
	}
	for _, tc := range cases {
		_, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: tc.url, APIKey: "k", AllowCustomHost: tc.custom})
		if apperr.CodeOf(err) != tc.code && !(tc.code == "" && err == nil) {
			t.Errorf("%q (custom %v): got %v, want %q", tc.url, tc.custom, err, tc.code)
		}
	}
	for _, key := range []string{"", "   "} {
		if _, err := atlassian.NewSCIM(atlassian.SCIMConfig{BaseURL: "https://api.atlassian.com/scim/directory/abc", APIKey: key}); apperr.CodeOf(err) != apperr.SecretMissing {
			t.Errorf("key %q: %v", key, err)
		}
	}
}

// An https:// address served by a plain-HTTP server: Go's client reports http.ErrSchemeMismatch
// there (it replaces the handshake's tls.RecordHeaderError when the answer starts "HTTP/"), which
// was classified as a network error: atlassian_unavailable, retried five times. It is InsecureURL,
// "did not answer with TLS", after one connection, for the SCIM and the organization clients.
func TestPlainHTTPServerAtAnHTTPSAddressIsInsecureURL(t *testing.T) {
	host, conns := emutest.PlainHTTP(t)
	c := newClient(t, atlassian.SCIMConfig{
		BaseURL: "https://" + host + "/scim/directory/abc", APIKey: "k", AllowCustomHost: true,
		Retry: atlassian.RetryPolicy{BaseDelay: 2 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
	})
	err := c.ListUsers(context.Background(), func(atlassian.User) error { return nil })
	if ae := apperr.As(err); ae == nil || ae.Code != apperr.InsecureURL || !strings.Contains(ae.Message, host+" did not answer with TLS") {
		t.Errorf("SCIM got %v, want insecure_url: %s did not answer with TLS", err, host)
	}
	if n := conns(); n != 1 {
		t.Errorf("SCIM: %d connections, want 1 (a server without TLS is not retried)", n)
	}
	o, err := atlassian.NewOrg(atlassian.OrgConfig{BaseURL: "https://" + host, OrgID: "x", APIKey: "k", AllowCustomHost: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.ListDomains(context.Background()); apperr.CodeOf(err) != apperr.InsecureURL {
		t.Errorf("org got %v, want insecure_url", err)
	}
	if n := conns(); n != 2 {
		t.Errorf("org: %d connections in all, want 2", n)
	}
}
