package loopbacktls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listener is an emulator's HTTPS server on a loopback address.
type Listener struct {
	url  string
	srv  *http.Server
	auth *Authority

	mu    sync.Mutex
	fresh map[net.Conn]struct{} // connections that have not begun a request (http.StateNew)
}

// Serve listens on addr ("" means 127.0.0.1 on a free port) and serves h over HTTPS with a's
// certificate in the background. Only loopback addresses are accepted: the emulators must never
// be reachable from another machine. HTTP/1.1 only, so a fault can hijack and reset a connection.
// A nil a is the process's Shared authority, which every emulator uses unless told otherwise.
func Serve(a *Authority, addr string, h http.Handler) (*Listener, error) {
	if a == nil {
		var err error
		if a, err = Shared(); err != nil {
			return nil, err
		}
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("listen %s: not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	l := &Listener{
		url:   "https://" + ln.Addr().String(),
		srv:   &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		auth:  a,
		fresh: map[net.Conn]struct{}{},
	}
	l.srv.ConnState = l.track
	l.srv.RegisterOnShutdown(l.closeFresh)
	go func() { _ = l.srv.Serve(tls.NewListener(ln, a.ServerConfig())) }()
	return l, nil
}

// URL is the server's root, https://127.0.0.1:PORT.
func (l *Listener) URL() string { return l.url }

// Authority is the certificate authority the listener serves with.
func (l *Listener) Authority() *Authority { return l.auth }

// Close stops accepting, gives in-flight requests two seconds, then closes every connection;
// its error says when requests were still running after the grace and were cut. Connections
// that have not begun a request are closed at once (closeFresh): http.Server's Shutdown counts
// them as idle only after 5 s, so one a client dialed and pooled unused (Go's transport dials
// one per waiting request and keeps the spare) held Close for the whole grace, 2 s of each
// reliability test's 3.
func (l *Listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		return errors.Join(fmt.Errorf("requests still in flight after the grace: %w", err), l.srv.Close())
	}
	return nil
}

// track keeps the set of connections that have not read a byte of a request yet.
func (l *Listener) track(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s == http.StateNew {
		l.fresh[c] = struct{}{}
	} else {
		delete(l.fresh, c)
	}
}

// closeFresh closes the connections with no request begun; Shutdown calls it once it has
// stopped accepting, so no request is in flight on any of them.
func (l *Listener) closeFresh() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.fresh {
		_ = c.Close()
	}
}

// ResetConnection drops the request's connection with a TCP RST, as a broken proxy or a lost
// link would, so clients see "connection reset by peer" rather than a clean close.
func ResetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack() // sees through StatusRecorder
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*tls.Conn); ok {
		if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
			_ = tcp.Close()
			return
		}
	}
	_ = conn.Close()
}

// StatusRecorder remembers the status a handler wrote, for an emulator's request log.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
}

func (r *StatusRecorder) WriteHeader(code int) {
	if r.Status == 0 {
		r.Status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *StatusRecorder) Write(b []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (hijack, flush) underneath.
func (r *StatusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Endpoint is where an emulator serves once started, embedded by the Atlassian and identity
// emulators' Servers: Listen starts it, URL is its root (https://127.0.0.1:PORT, "" before),
// Authority its certificate authority, and Close is safe before Listen.
type Endpoint struct {
	l *Listener
}

// Listen serves h on loopback HTTPS at addr (Serve) in the background; its error names the
// emulator.
func (e *Endpoint) Listen(name string, a *Authority, addr string, h http.Handler) error {
	l, err := Serve(a, addr, h)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	e.l = l
	return nil
}

// URL is the root the emulator serves, https://127.0.0.1:PORT ("" before Listen).
func (e *Endpoint) URL() string {
	if e.l == nil {
		return ""
	}
	return e.l.url
}

// Authority is the certificate authority the emulator serves with (nil before Listen).
func (e *Endpoint) Authority() *Authority {
	if e.l == nil {
		return nil
	}
	return e.l.auth
}

// Close stops the emulator (Listener.Close); nothing to do before Listen.
func (e *Endpoint) Close() error {
	if e.l == nil {
		return nil
	}
	return e.l.Close()
}
