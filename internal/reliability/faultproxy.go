package reliability

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"crypto/tls"

	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
)

// Faults are per-request probabilities (0..1) of each injected failure, drawn in this order from
// one seeded source, so a run is reproducible from its seed.
type Faults struct {
	Seed       uint64
	Rate429    float64       // 429 with Retry-After, not forwarded
	Rate500    float64       // 500, not forwarded
	Rate503    float64       // 503, not forwarded
	Rate504    float64       // 504 after forwarding: the upstream did the work, the answer is lost
	RateReset  float64       // connection closed before forwarding
	RateSlow   float64       // forwarded after SlowDelay
	RateCut    float64       // forwarded, then the body stops half-way (or the connection drops for an empty body)
	RetryAfter int           // seconds in the 429's Retry-After
	SlowDelay  time.Duration // default 300ms
	// Retry503 is the 503's Retry-After ("": none). Both are Graph's: "You may repeat the request
	// after a delay, the length of which may be specified in a Retry-After header"
	// (learn.microsoft.com/graph/errors); without one, kiota waits 2 s, then 4 s, 8 s.
	Retry503 string
}

// Fault kinds as counted by Counts.
const (
	Kind429   = "429"
	Kind500   = "500"
	Kind503   = "503"
	Kind504   = "504"
	KindReset = "reset"
	KindSlow  = "slow"
	KindCut   = "cut"
)

// FaultProxy forwards every request to one upstream over loopback HTTPS and injects Faults. It
// keeps the client's Host header, so absolute links an emulator builds from it (Graph's nextLink)
// lead back through the proxy.
type FaultProxy struct {
	upstream string
	client   *http.Client
	srv      *httptest.Server

	mu       sync.Mutex
	mangle   Mangle
	answered func(*http.Request)
	faults   Faults
	rng      *rand.Rand
	counts   map[string]int
	requests int
}

// Mangle rewrites an upstream answer before it reaches the client (hostile-input tests).
type Mangle func(r *http.Request, status int, body []byte) (int, []byte)

// SetMangle installs (nil: removes) a rewrite of every forwarded answer.
func (p *FaultProxy) SetMangle(m Mangle) {
	p.mu.Lock()
	p.mangle = m
	p.mu.Unlock()
}

// SetAnswered installs (nil: removes) a function called with every request the upstream has
// answered, before the answer goes back to the client: the crash series kills its child there,
// at an exact write, with that write done and the child not told.
func (p *FaultProxy) SetAnswered(f func(*http.Request)) {
	p.mu.Lock()
	p.answered = f
	p.mu.Unlock()
}

// NewFaultProxy starts a proxy in front of upstream (an https:// root) trusting only a's
// certificate, and serving with it.
func NewFaultProxy(upstream string, a *loopbacktls.Authority, f Faults) *FaultProxy {
	tr := a.Transport()
	tr.DisableCompression = true // pass bodies through as the upstream sent them
	p := &FaultProxy{upstream: strings.TrimRight(upstream, "/"), counts: map[string]int{},
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	p.SetFaults(f)
	p.srv = httptest.NewUnstartedServer(p)
	p.srv.TLS = a.ServerConfig().Clone()
	p.srv.TLS.NextProtos = []string{"http/1.1"} // connection resets need Hijack, which HTTP/2 lacks
	p.srv.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	p.srv.StartTLS()
	return p
}

// URL is the proxy's root, to use instead of the upstream's.
func (p *FaultProxy) URL() string { return p.srv.URL }

// Close stops the proxy.
func (p *FaultProxy) Close() { p.srv.Close() }

// SetFaults changes the rates (and reseeds) while serving.
func (p *FaultProxy) SetFaults(f Faults) {
	if f.SlowDelay <= 0 {
		f.SlowDelay = 300 * time.Millisecond
	}
	p.mu.Lock()
	p.faults, p.rng = f, rand.New(rand.NewPCG(f.Seed, 0x5eed))
	p.mu.Unlock()
}

// Counts returns the faults injected so far by kind, and the number of requests seen.
func (p *FaultProxy) Counts() (map[string]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out, p.requests
}

// Injected is the total number of faults injected.
func (p *FaultProxy) Injected() int {
	c, _ := p.Counts()
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

func (p *FaultProxy) draw() (string, Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	f := p.faults
	x := p.rng.Float64()
	for _, k := range []struct {
		kind string
		rate float64
	}{{Kind429, f.Rate429}, {Kind500, f.Rate500}, {Kind503, f.Rate503}, {Kind504, f.Rate504}, {KindReset, f.RateReset}, {KindSlow, f.RateSlow}, {KindCut, f.RateCut}} {
		if x < k.rate {
			p.counts[k.kind]++
			return k.kind, f
		}
		x -= k.rate
	}
	return "", f
}

func errorBody(r *http.Request, status int) []byte {
	if strings.Contains(r.URL.Path, "/scim/") {
		return []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"` + strconv.Itoa(status) + `","detail":"injected by the fault proxy"}`)
	}
	return []byte(`{"error":{"code":"` + http.StatusText(status) + `","message":"injected by the fault proxy"}}`)
}

func writeError(w http.ResponseWriter, r *http.Request, status int) {
	b := errorBody(r, status)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
				if t, ok := tc.NetConn().(*net.TCPConn); ok {
					_ = t.SetLinger(0) // RST, not FIN
				}
			}
			_ = c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

var hopHeaders = []string{"Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Te", "Trailer", "Content-Length"}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, f := p.draw()
	switch kind {
	case Kind429:
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		writeError(w, r, http.StatusTooManyRequests)
		return
	case Kind500:
		writeError(w, r, http.StatusInternalServerError)
		return
	case Kind503:
		if f.Retry503 != "" {
			w.Header().Set("Retry-After", f.Retry503)
		}
		writeError(w, r, http.StatusServiceUnavailable)
		return
	case KindReset:
		hangUp(w)
		return
	case KindSlow:
		select {
		case <-time.After(f.SlowDelay):
		case <-r.Context().Done():
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		hangUp(w)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		writeError(w, r, http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	out.Host = r.Host
	p.mu.Lock()
	if p.mangle != nil {
		out.Header.Del("Accept-Encoding") // a mangler reads plain bodies
	}
	p.mu.Unlock()
	resp, err := p.client.Do(out)
	if err != nil {
		hangUp(w) // the upstream reset us: pass it on
		return
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		hangUp(w)
		return
	}
	p.mu.Lock()
	answered, m := p.answered, p.mangle
	p.mu.Unlock()
	if answered != nil {
		answered(r)
	}
	if kind == Kind504 {
		writeError(w, r, http.StatusGatewayTimeout)
		return
	}
	status := resp.StatusCode
	if m != nil {
		status, rb = m(r, status, rb)
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	if kind == KindCut {
		if len(rb) < 2 {
			hangUp(w) // no body to cut: the answer is lost after the work was done
			return
		}
		// Declare the whole body, send half: the client sees an unexpected EOF.
		w.Header().Set("Content-Length", strconv.Itoa(len(rb)))
		w.WriteHeader(status)
		_, _ = w.Write(rb[:len(rb)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		hangUp(w)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rb)))
	w.WriteHeader(status)
	_, _ = w.Write(rb)
}
