package cli

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"testing"
)

// connectProxy is an HTTP proxy that records the hosts clients ask it to tunnel to (CONNECT)
// and refuses the tunnel: enough to see which client honours the proxy variables.
type connectProxy struct {
	mu    sync.Mutex
	hosts []string
	addr  string
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{addr: l.Addr().String()}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				p.mu.Lock()
				p.hosts = append(p.hosts, req.Method+" "+req.Host)
				p.mu.Unlock()
				c.Write([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
			}()
		}
	}()
	return p
}

func (p *connectProxy) saw(host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.hosts {
		if h == "CONNECT "+host {
			return true
		}
	}
	return false
}

// Issue 16 point 7: the Atlassian, Microsoft sign-in and Graph clients all go through the proxy
// that HTTPS_PROXY names, to the directory's stored endpoints. (Go never proxies loopback
// addresses, so the endpoints here are names that only the proxy could reach.)
func TestIssue16_07_ProxyVariablesReachEveryClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	proxy := startConnectProxy(t)
	name := "Proxied"
	r := w.run("k\n", nil, "directory", "add", "--name", name, "--client-id", w.env.ClientID(), "--no-test", "--allow-custom-host",
		"--scim-url", "https://scim.idpsync.test/scim/directory/d1", "--scim-key-stdin",
		"--graph-url", "https://graph.idpsync.test/v1.0", "--authority", "https://login.idpsync.test", "--org-url", "https://org.idpsync.test")
	if r.code != 0 {
		t.Fatalf("add: %s", r.all())
	}
	t.Cleanup(func() { w.run("", nil, "directory", "remove", "--directory", name, "--yes") })
	env := []string{"HTTPS_PROXY=http://" + proxy.addr, "NO_PROXY="}
	if r := w.run("", env, "directory", "test", "--directory", name); r.code == 0 {
		t.Fatalf("test through a refusing proxy passed: %s", r.all())
	}
	if r := w.run("", env, "signin", "--directory", name, "--device-code"); r.code == 0 {
		t.Fatalf("signin through a refusing proxy passed: %s", r.all())
	}
	// Graph is read after the Atlassian keys are proven: a second directory whose Atlassian
	// side is the (loopback, so direct) emulator and whose Graph is behind the proxy.
	r = w.run(w.env.Atlassian.APIKey()+"\n", nil, "directory", "add", "--name", "Proxied Graph", "--client-id", w.env.ClientID(), "--allow-custom-host",
		"--scim-url", w.env.Atlassian.SCIMURL(), "--scim-key-stdin", "--graph-url", "https://graph.idpsync.test/v1.0")
	if r.code != 0 {
		t.Fatalf("add: %s", r.all())
	}
	t.Cleanup(func() { w.run("", nil, "directory", "remove", "--directory", "Proxied Graph", "--yes") })
	if r := w.run("", append(env, "IDPSYNC_GRAPH_TOKEN=t"), "plan", "--directory", "Proxied Graph"); r.code == 0 {
		t.Fatalf("plan through a refusing proxy passed: %s", r.all())
	}
	for _, h := range []string{"scim.idpsync.test:443", "login.idpsync.test:443", "graph.idpsync.test:443"} {
		if !proxy.saw(h) {
			proxy.mu.Lock()
			t.Errorf("no CONNECT %s through the proxy; it saw %v", h, proxy.hosts)
			proxy.mu.Unlock()
		}
	}
}
