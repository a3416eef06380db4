// Package loopbacktls makes the emulators' own TLS certificate: a self-signed certificate for
// localhost, 127.0.0.1 and ::1 generated at start, and the pool that trusts it and nothing else.
// Only tests, benchmarks and demo mode use it; real endpoints keep the system roots.
package loopbacktls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"
)

// Authority is a generated certificate with the pool that trusts it.
type Authority struct {
	Cert tls.Certificate
	Pool *x509.CertPool
	PEM  []byte
}

var (
	sharedOnce sync.Once
	shared     *Authority
	sharedErr  error
)

// Shared returns one certificate per process so every emulator and client in it agrees.
func Shared() (*Authority, error) {
	sharedOnce.Do(func() { shared, sharedErr = New() })
	return shared, sharedErr
}

// New generates a fresh ECDSA P-256 certificate valid for the loopback names for 30 days.
func New() (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "IdP Sync loopback emulator", Organization: []string{"IdP Sync (emulator)"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &Authority{
		Cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		Pool: pool,
		PEM:  pemEncode(der),
	}, nil
}

// ServerConfig is the TLS configuration an emulator listens with.
func (a *Authority) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{a.Cert}, MinVersion: tls.VersionTLS12, CurvePreferences: loopbackCurves}
}

// loopbackCurves is X25519 alone for the emulators' connections, server and client: Go's
// default adds the X25519MLKEM768 hybrid, whose ML-KEM key generation and encapsulation were
// about a third of each handshake's CPU under -race (a tenth of internal/reliability's CPU goes
// to handshakes). A loopback test link needs no post-quantum key exchange; real endpoints keep
// Go's defaults.
var loopbackCurves = []tls.CurveID{tls.X25519}

// Transport returns an HTTP transport that trusts only this certificate.
func (a *Authority) Transport() *http.Transport { return transportFor(a.Pool) }

// TransportTrustingPEM is Transport for a process that has only the authority's certificate
// in PEM (a test's child process), not the Authority.
func TransportTrustingPEM(certPEM []byte) *http.Transport {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return transportFor(pool)
}

func transportFor(pool *x509.CertPool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, CurvePreferences: loopbackCurves}
	t.MaxIdleConnsPerHost = 64
	return t
}

// Client returns an HTTP client that trusts only this certificate.
func (a *Authority) Client() *http.Client {
	return &http.Client{Transport: a.Transport(), Timeout: 2 * time.Minute}
}

// UntrustedTransports are transports that must refuse an emulator's certificate, for the clients'
// TLS tests: the system roots (no loopback authority in them) and another loopback authority's.
func UntrustedTransports() (map[string]http.RoundTripper, error) {
	other, err := New()
	if err != nil {
		return nil, err
	}
	return map[string]http.RoundTripper{
		"system roots":     http.DefaultTransport.(*http.Transport).Clone(),
		"another emulator": other.Transport(),
	}, nil
}
