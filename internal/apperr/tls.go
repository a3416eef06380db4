package apperr

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
)

// UntrustedCertificate returns an InsecureURL error naming the host (the one the failed request
// went to when err carries it, else host) when err (anywhere in its chain)
// is a failed certificate check of a TLS handshake, and nil otherwise. The usual cause on an
// admin's desktop is a TLS-inspecting proxy whose root certificate the operating system does not
// trust; retrying cannot fix that, so callers return this at once instead of retrying. Microsoft
// Graph, the Microsoft identity platform and Atlassian share it so the three say the same thing.
func UntrustedCertificate(err error, host string) *Error {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certErr     x509.CertificateInvalidError
		certVerify  *tls.CertificateVerificationError
	)
	// The cause kept is the certificate error alone, not err's chain: a client library's wrapper
	// (MSAL's) may repeat the request it was sending.
	var cause error
	switch {
	case errors.As(err, &certVerify):
		cause = certVerify
	case errors.As(err, &unknownAuth):
		cause = unknownAuth
	case errors.As(err, &hostErr):
		cause = hostErr
	case errors.As(err, &certErr):
		cause = certErr
	default:
		return nil
	}
	return Wrap(cause, InsecureURL, "the TLS certificate of %s is not trusted: the connection was refused before anything was sent", requestHost(err, host)).
		WithAction("If this network inspects HTTPS (a TLS-inspecting proxy), its root certificate must be trusted by the operating system, " +
			"or IT must exempt " + host + ". Otherwise check the URL. IdP Sync never turns certificate checks off.")
}

// NotTLS returns an InsecureURL error naming the host when err (anywhere in its chain) says the
// server at an https:// address did not answer with TLS, and nil otherwise: a
// tls.RecordHeaderError, or http.ErrSchemeMismatch, which Go's client puts in its place when
// the answer begins "HTTP/" (net/http's client.go), i.e. a plain-HTTP server. Nothing but the
// TLS hello was sent, and retrying cannot help: it is the wrong URL or port. Before it was
// shared, only the Atlassian clients looked, for the RecordHeaderError alone, which Go's client
// never returns for a plain-HTTP server: the three clients retried it as a network failure.
func NotTLS(err error, host string) *Error {
	var recordErr tls.RecordHeaderError
	if !errors.As(err, &recordErr) && !errors.Is(err, http.ErrSchemeMismatch) {
		return nil
	}
	host = requestHost(err, host)
	return Wrap(err, InsecureURL, "%s did not answer with TLS (is it an http:// address?)", host).
		WithAction("Check the URL: " + host + " must be an https:// service.")
}

// requestHost is the host the failed request went to when err carries it (a *url.Error), else host.
func requestHost(err error, host string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Host
		}
	}
	return host
}
