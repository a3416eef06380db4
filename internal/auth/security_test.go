package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/identity"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
)

// mangler sits between MSAL and the identity emulator and rewrites chosen answers, the way a
// hostile proxy or a compromised authority would.
type mangler struct {
	next    http.RoundTripper
	rewrite func(req *http.Request, resp *http.Response) *http.Response
}

func (m *mangler) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := m.next.RoundTrip(req)
	if err != nil || m.rewrite == nil {
		return resp, err
	}
	return m.rewrite(req, resp), nil
}

// Issue 14 point 4: a redirect from the token endpoint is not followed. A 307 re-sends the POST
// body, so following it handed the refresh token to another host.
func TestIssue14_04_TokenRedirectRefused(t *testing.T) {
	var stolen atomic.Int64
	var body atomic.Value
	evil, _ := emutest.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
		stolen.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"AADSTS70008: gone"}`))
	}))

	e := newEnv(t, identity.Options{AccessTokenLifetime: 2 * time.Minute})
	ctx := ctxT(t)
	m := &mangler{}
	c := e.client(t, tenantA, func(cfg *auth.Config) {
		hc := *e.srv.HTTPClient()
		m.next = hc.Transport
		hc.Transport = m
		cfg.HTTPClient = &hc
	})
	if _, err := c.SignInInteractive(ctx, ""); err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		m.rewrite = func(req *http.Request, resp *http.Response) *http.Response {
			if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/token") {
				return resp
			}
			resp.Body.Close()
			h := http.Header{}
			h.Set("Location", evil.URL+"/common/oauth2/v2.0/token")
			return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("")), Request: req, ProtoMajor: 1, ProtoMinor: 1}
		}
		// The 2-minute access token counts as expired for MSAL: this call redeems the refresh token.
		_, err := c.AccessToken(ctx)
		if apperr.CodeOf(err) != apperr.InsecureURL || !strings.Contains(err.Error(), "redirect") {
			t.Fatalf("HTTP %d from the token endpoint: got %v, want insecure_url naming the redirect", status, err)
		}
		if apperr.As(err).Action == "" {
			t.Fatalf("no action: %v", err)
		}
		if n := stolen.Load(); n != 0 {
			t.Fatalf("HTTP %d: the redirect was followed %d times; the other host received %q", status, n, body.Load())
		}
	}
	// Nothing was lost: with the authority answering again, the same sign-in still works.
	m.rewrite = nil
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatalf("after the refused redirects: %v", err)
	}
}

// Issue 14 point 5: the device-code verification URL is shown and opened only when it is https
// on the cloud's device-login pages (or the configured authority's own host); anything else
// ends the sign-in with a coded error before the screen sees it.
func TestIssue14_05_DeviceCodeVerificationURLChecked(t *testing.T) {
	ctx := ctxT(t)
	for _, bad := range []string{
		"file:///C:/Windows/System32/calc.exe",
		"http://microsoft.com/devicelogin",
		"https://evil.example/devicelogin",
		"https://microsoft.com.evil.example/devicelogin",
		"https://microsoft.com@evil.example/devicelogin",
		"https://aka.ms/devicelogin",
		"https://microsoft.com/deviceloginus", // another cloud's page
		"https://microsoft.com:8443/devicelogin",
		"ms-settings:privacy",
		"javascript:alert(1)",
		"",
	} {
		e := newEnv(t, identity.Options{})
		hc := *e.srv.HTTPClient()
		hc.Transport = &mangler{next: hc.Transport, rewrite: func(req *http.Request, resp *http.Response) *http.Response {
			if !strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/devicecode") {
				return resp
			}
			var d map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&d)
			resp.Body.Close()
			d["verification_uri"] = bad
			js, _ := json.Marshal(d)
			resp.Body = io.NopCloser(bytes.NewReader(js))
			resp.ContentLength = int64(len(js))
			resp.Header.Set("Content-Length", strconv.Itoa(len(js)))
			return resp
		}}
		c := e.client(t, "", func(cfg *auth.Config) { cfg.HTTPClient = &hc })
		shown := false
		_, err := c.SignInDeviceCode(ctx, func(auth.DeviceCode) { shown = true })
		if shown || apperr.CodeOf(err) != apperr.InsecureURL || apperr.As(err).Action == "" {
			t.Errorf("verification URL %q: shown %v, err %v; want insecure_url before anything is shown", bad, shown, err)
		}
	}
	// The documented pages pass, per cloud, and nothing else of another cloud does.
	for cloud, pages := range map[directory.Cloud]struct{ allowed, refused []string }{
		directory.CloudGlobal: {
			allowed: []string{"https://microsoft.com/devicelogin", "https://www.microsoft.com/devicelogin/",
				"HTTPS://Microsoft.com/DeviceLogin", "https://login.microsoftonline.com/common/oauth2/deviceauth"},
			refused: []string{"https://login.microsoftonline.us/common/oauth2/deviceauth", "https://microsoft.com/devicelogin/../../evil"},
		},
		directory.CloudUSGov: {
			allowed: []string{"https://microsoft.com/deviceloginus", "https://login.microsoftonline.us/common/oauth2/deviceauth"},
			refused: []string{"https://microsoft.com/devicelogin"},
		},
		directory.CloudChina: {
			allowed: []string{"https://microsoft.com/deviceloginchina", "https://login.chinacloudapi.cn/common/oauth2/deviceauth",
				"https://login.partner.microsoftonline.cn/common/oauth2/deviceauth"},
			refused: []string{"https://microsoft.com/devicelogin"},
		},
	} {
		for _, u := range pages.allowed {
			if !auth.DeviceLoginURLAllowed(cloud, "", u) {
				t.Errorf("%s %q: refused, want allowed", cloud, u)
			}
		}
		for _, u := range pages.refused {
			if auth.DeviceLoginURLAllowed(cloud, "", u) {
				t.Errorf("%s %q: allowed, want refused", cloud, u)
			}
		}
	}
}

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

// A plain-HTTP server at the sign-in authority's https:// address: the sign-in fails with
// insecure_url "did not answer with TLS" and the browser is never opened. Go's client says
// http.ErrSchemeMismatch there, which MSAL passed on and the sign-in reported as auth_failed.
func TestPlainHTTPServerAtTheAuthorityIsInsecureURL(t *testing.T) {
	e := newEnv(t, identity.Options{})
	host, conns := emutest.PlainHTTP(t)
	opened := 0
	c := e.client(t, tenantA, func(cfg *auth.Config) {
		cfg.AuthorityURL = "https://" + host
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
		cfg.OpenURL = func(u string) error { opened++; return e.browser.Open(u) }
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.SignInInteractive(ctx, "")
	if ae := apperr.As(err); ae == nil || ae.Code != apperr.InsecureURL || !strings.Contains(ae.Message, host+" did not answer with TLS") {
		t.Errorf("got %v, want insecure_url: %s did not answer with TLS", err, host)
	}
	if opened != 0 {
		t.Errorf("the browser was opened %d times", opened)
	}
	if conns() == 0 {
		t.Error("no connection reached the plain-HTTP server: the sign-in never tried it")
	}
}
