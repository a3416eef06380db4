package cli

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// connectProxy is an HTTP proxy that records the hosts clients ask it to tunnel to (CONNECT)
// and tunnels every one to the same server, whose certificate (emutest.UntrustedTLS) no client trusts: enough
// to see which client honours the proxy variables, and each stops at once on the certificate
// (a proxy answering 403 was retried with backoff by the Graph client, ~3 s of waiting).
type connectProxy struct {
	mu    sync.Mutex
	hosts []string
	addr  string
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	untrusted, _ := emutest.UntrustedTLS(t)
	p := &connectProxy{}
	p.addr = emutest.EachConn(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.hosts = append(p.hosts, req.Method+" "+req.Host)
		p.mu.Unlock()
		up, err := net.Dial("tcp", untrusted)
		if err != nil || req.Method != http.MethodConnect {
			c.Write([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"))
			return
		}
		defer up.Close()
		c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go io.Copy(up, br)
		io.Copy(c, up)
	})
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
		t.Fatalf("test through the proxy to an untrusted server passed: %s", r.all())
	}
	if r := w.run("", env, "signin", "--directory", name, "--device-code"); r.code == 0 {
		t.Fatalf("signin through the proxy to an untrusted server passed: %s", r.all())
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
		t.Fatalf("plan through the proxy to an untrusted server passed: %s", r.all())
	}
	for _, h := range []string{"scim.idpsync.test:443", "login.idpsync.test:443", "graph.idpsync.test:443"} {
		if !proxy.saw(h) {
			proxy.mu.Lock()
			t.Errorf("no CONNECT %s through the proxy; it saw %v", h, proxy.hosts)
			proxy.mu.Unlock()
		}
	}
}
