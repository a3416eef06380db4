package apperr

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
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
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			host = u.Host
		}
	}
	return Wrap(cause, InsecureURL, "the TLS certificate of %s is not trusted: the connection was refused before anything was sent", host).
		WithAction("If this network inspects HTTPS (a TLS-inspecting proxy), its root certificate must be trusted by the operating system, " +
			"or IT must exempt " + host + ". Otherwise check the URL. IdP Sync never turns certificate checks off.")
}
