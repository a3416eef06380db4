package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/testenv"
)

// TestMain lets this test binary stand in for idpsync: run with a command as its first
// argument (not a -test. flag) it is `idpsync COMMAND …`, so the tests drive the commands as a
// user's shell or the OS scheduler would, in their own process, with their own environment,
// standard input and exit code.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-test.") {
		os.Exit(Run(context.Background(), config.FromEnv(os.LookupEnv), os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if demoHome != "" {
		_ = os.RemoveAll(demoHome)
	}
	os.Exit(code)
}

// world is a user's machine for one test: a temporary IdP Sync home, the emulators of the demo
// (Graph, identity, Atlassian; trusted through SSL_CERT_FILE as an admin trusts a corporate CA,
// and no other CA), and the real Secret Service of the D-Bus session the tests run in.
type world struct {
	t    *testing.T
	home string
	env  *demo.Env
	cert string
	bin  string
	// noCAs is an empty folder, the child's SSL_CERT_DIR: with SSL_CERT_FILE alone Go still
	// parses every certificate in /etc/ssl/certs, a fifth of a child's CPU under -race (~0.02 s
	// of ~0.1 s, for each of ~130 children), for servers none of them may trust anyway.
	noCAs string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	// The child binary keeps keys in the OS keychain: a real Secret Service on Linux.
	testenv.SecretService(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	env, err := demo.Start(ctx, demo.Options{NoThrottle: true, Users: 60, Groups: 12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	dir := t.TempDir()
	cert := filepath.Join(dir, "emulators.pem")
	if err := os.WriteFile(cert, env.Authority.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	noCAs := filepath.Join(dir, "no-system-cas")
	if err := os.Mkdir(noCAs, 0o700); err != nil {
		t.Fatal(err)
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, home: filepath.Join(dir, "home"), env: env, cert: cert, bin: bin, noCAs: noCAs}
}

// environ is the child's environment: the user's, with the test's home and certificate, no
// display (so sign-in picks the device code) and no keys or token from the outside.
func (w *world) environ(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "IDPSYNC_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR", "DISPLAY", "WAYLAND_DISPLAY", "IDPSYNC_SCIM_API_KEY", "IDPSYNC_ORG_API_KEY", "IDPSYNC_GRAPH_TOKEN", "IDPSYNC_DEMO":
			continue
		}
		out = append(out, kv)
	}
	return append(out, append([]string{"IDPSYNC_HOME=" + w.home, "SSL_CERT_FILE=" + w.cert, "SSL_CERT_DIR=" + w.noCAs}, extra...)...)
}

type result struct {
	code        int
	out, errOut string
}

func (r result) all() string { return r.out + "\n--- stderr:\n" + r.errOut }

// doc decodes stdout as one --json document and returns the payload under kind.
func (r result) doc(t *testing.T, kind string, v any) {
	t.Helper()
	var d map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.all())
	}
	if string(d["version"]) != "1" || string(d["kind"]) != `"`+kind+`"` {
		t.Fatalf("document version %s kind %s, want 1 %q:\n%s", d["version"], d["kind"], kind, r.out)
	}
	if err := json.Unmarshal(d[kind], v); err != nil {
		t.Fatalf("%s payload: %v\n%s", kind, err, r.out)
	}
}

// run runs `idpsync ARGS…` with stdin and extra environment.
func (w *world) run(stdin string, extraEnv []string, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Env = w.environ(extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	return w.exec(cmd)
}

// exec runs cmd to its end and returns its exit code and output.
func (w *world) exec(cmd *exec.Cmd) result {
	w.t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("%v: %v", cmd.Args, err)
	}
	return result{code: code, out: out.String(), errOut: errb.String()}
}

var deviceCodeLine = regexp.MustCompile(`open (https://\S+) and enter the code (\S+)`)

// signIn runs `idpsync signin --device-code` and plays the admin: reads the code from the
// terminal and enters it at the emulated device login page.
func (w *world) signIn(dir string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, "signin", "--directory", dir)
	cmd.Env = w.environ()
	pr, pw := io.Pipe()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, pw), &errb
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := deviceCodeLine.FindStringSubmatch(sc.Text()); m != nil {
				if err := w.env.Browser.DeviceLogin(m[1], m[2]); err != nil {
					w.t.Errorf("device login: %v", err)
				}
			}
		}
	}()
	err := cmd.Wait()
	pw.Close()
	wg.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return result{code: code, out: out.String(), errOut: errb.String()}
}

// addArgs are the setup screen's fields for the emulated organization and tenant.
func (w *world) addArgs(name string) []string {
	e := w.env
	return []string{"directory", "add", "--name", name, "--client-id", e.ClientID(), "--scim-url", e.Atlassian.SCIMURL(),
		"--scim-key-created", time.Now().UTC().Format(time.DateOnly), "--org-id", e.Atlassian.OrgID(), "--allow-custom-host",
		"--graph-url", e.GraphURL(), "--authority", e.AuthorityURL(), "--org-url", e.OrgURL()}
}
