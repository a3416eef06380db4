package keychain_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/apperr/apperrtest"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/testenv"
)

// requireSecretService skips outside a D-Bus session (fails under `make test`, which provides
// a fresh unlocked gnome-keyring): these tests exercise the real Secret Service.
func requireSecretService(t testing.TB) {
	t.Helper()
	testenv.SecretService(t)
}

// realStore is the OS keychain under a service name unique to this test, cleaned up afterwards.
func realStore(t *testing.T) *keychain.OS {
	t.Helper()
	requireSecretService(t)
	return keychain.New(keychain.Options{Service: fmt.Sprintf("idpsync-test-%d-%s", os.Getpid(), t.Name())})
}

func TestOSRoundTripOnSecretService(t *testing.T) {
	s := realStore(t)
	ctx := context.Background()
	if err := s.Set(ctx, "item", "s3cret-value"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "item", "s3cret-value-2"); err != nil { // replaces, no duplicate
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "item")
	if err != nil || got != "s3cret-value-2" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete(ctx, "item"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "item")
	e := apperrtest.Want(t, err, apperr.SecretMissing)
	if strings.Contains(e.Error(), "s3cret") {
		t.Fatalf("error leaks the secret: %v", e)
	}
	if err := s.Delete(ctx, "item"); err != nil {
		t.Fatalf("deleting an absent item: %v", err)
	}
}

func TestItemSizeLimitEverywhere(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/fake") // the fake backend needs no bus
	for _, s := range []keychain.Store{keychain.New(keychain.Options{Backend: &fakeBackend{}}), keychain.NewMemory()} {
		big := strings.Repeat("x", keychain.MaxItemSize+1)
		apperrtest.Want(t, s.Set(context.Background(), "big", big), apperr.Internal)
		if err := s.Set(context.Background(), "fits", big[:keychain.MaxItemSize]); err != nil {
			t.Fatalf("%T: %v", s, err)
		}
	}
}

// envelopeBlob is a 10 KB stand-in for an MSAL cache, with recognisable token-like strings.
func envelopeBlob(t *testing.T) ([]byte, []string) {
	t.Helper()
	markers := []string{"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.ACCESS-TOKEN-MARKER", "0.REFRESH-TOKEN-MARKER-AQABAAAA"}
	var b bytes.Buffer
	for b.Len() < 10*1024 {
		for _, m := range markers {
			b.WriteString(`{"secret":"` + m + `"},`)
		}
	}
	return b.Bytes(), markers
}

func TestEnvelopeOnSecretService(t *testing.T) {
	s := realStore(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "idpsync")
	env := keychain.NewEnvelope(s, dir)
	blob, markers := envelopeBlob(t)
	if err := env.Save(ctx, "msal-dir1", blob); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Remove(context.Background(), "msal-dir1") })

	st, err := os.Stat(env.Path("msal-dir1"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("sealed file mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Fatalf("folder mode %v, want 0700", dst.Mode().Perm())
	}
	raw, _ := os.ReadFile(env.Path("msal-dir1"))
	key, err := s.Get(ctx, "envelope/msal-dir1")
	if err != nil {
		t.Fatal(err)
	}
	rawKey, _ := base64.StdEncoding.DecodeString(key)
	for _, secret := range append(markers, key) {
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("sealed file contains %q", secret[:12])
		}
	}
	if bytes.Contains(raw, rawKey) {
		t.Fatal("sealed file contains the raw key")
	}

	// A fresh Envelope (a restarted app) has no cached key and reads it from the Secret Service.
	got, err := keychain.NewEnvelope(s, dir).Load(ctx, "msal-dir1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, blob) {
		t.Fatal("round trip changed the blob")
	}
	t.Logf("10 KB blob: sealed file %d bytes, key item %d bytes", len(raw), len(key))
}

func TestEnvelopeMissingKeyMeansSignInAgain(t *testing.T) {
	s := realStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	blob, _ := envelopeBlob(t)
	if err := keychain.NewEnvelope(s, dir).Save(ctx, "cache", blob); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "envelope/cache"); err != nil {
		t.Fatal(err)
	}
	env := keychain.NewEnvelope(s, dir)
	_, err := env.Load(ctx, "cache")
	apperrtest.Want(t, err, apperr.SecretMissing)
	if !errors.Is(err, keychain.ErrUnreadable) {
		t.Fatalf("want ErrUnreadable, got %v", err)
	}
	if _, err := os.Stat(env.Path("cache")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale file kept: %v", err)
	}
	// Next load: nothing sealed, which callers treat as "not signed in".
	_, err = env.Load(ctx, "cache")
	if !errors.Is(err, keychain.ErrNotSealed) {
		t.Fatalf("want ErrNotSealed, got %v", err)
	}
}

func TestEnvelopeWrongKeyTamperAndRename(t *testing.T) {
	ctx := context.Background()
	blob, _ := envelopeBlob(t)
	cases := map[string]func(t *testing.T, s keychain.Store, env *keychain.Envelope) string{
		"wrong key": func(t *testing.T, s keychain.Store, env *keychain.Envelope) string {
			k := make([]byte, 32)
			_, _ = rand.Read(k)
			if err := s.Set(ctx, "envelope/c", base64.StdEncoding.EncodeToString(k)); err != nil {
				t.Fatal(err)
			}
			return "c"
		},
		"malformed key": func(t *testing.T, s keychain.Store, env *keychain.Envelope) string {
			if err := s.Set(ctx, "envelope/c", "not base64!"); err != nil {
				t.Fatal(err)
			}
			return "c"
		},
		"flipped byte": func(t *testing.T, s keychain.Store, env *keychain.Envelope) string {
			raw, _ := os.ReadFile(env.Path("c"))
			raw[len(raw)/2] ^= 1
			_ = os.WriteFile(env.Path("c"), raw, 0o600)
			return "c"
		},
		"truncated": func(t *testing.T, s keychain.Store, env *keychain.Envelope) string {
			_ = os.WriteFile(env.Path("c"), []byte("IDPSENV1short"), 0o600)
			return "c"
		},
		"renamed onto another name": func(t *testing.T, s keychain.Store, env *keychain.Envelope) string {
			// Same key material under the other name: only the bound name differs.
			k, _ := s.Get(ctx, "envelope/c")
			_ = s.Set(ctx, "envelope/d", k)
			raw, _ := os.ReadFile(env.Path("c"))
			_ = os.WriteFile(env.Path("d"), raw, 0o600)
			return "d"
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			s := keychain.NewMemory()
			dir := t.TempDir()
			if err := keychain.NewEnvelope(s, dir).Save(ctx, "c", blob); err != nil {
				t.Fatal(err)
			}
			env := keychain.NewEnvelope(s, dir)
			target := spoil(t, s, env)
			got, err := env.Load(ctx, target)
			if got != nil {
				t.Fatal("returned data from a spoiled file")
			}
			apperrtest.Want(t, err, apperr.SecretMissing)
			if !errors.Is(err, keychain.ErrUnreadable) {
				t.Fatalf("want ErrUnreadable, got %v", err)
			}
			if _, err := os.Stat(env.Path(target)); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("spoiled file kept")
			}
		})
	}
}

func TestEnvelopeRekeyedByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	s := keychain.NewMemory()
	dir := t.TempDir()
	a, b := keychain.NewEnvelope(s, dir), keychain.NewEnvelope(s, dir)
	if err := a.Save(ctx, "c", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Load(ctx, "c"); err != nil { // a caches the key
		t.Fatal(err)
	}
	// b signs out and in again: new key, new file. a must follow, not declare the file lost.
	if err := b.Remove(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "c", []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, err := a.Load(ctx, "c")
	if err != nil || string(got) != "two" {
		t.Fatalf("Load = %q, %v", got, err)
	}
}

func TestEnvelopeRefusesBadNames(t *testing.T) {
	env := keychain.NewEnvelope(keychain.NewMemory(), t.TempDir())
	for _, n := range []string{"", "../x", "a/b", "UPPER", strings.Repeat("a", 101)} {
		apperrtest.Want(t, env.Save(context.Background(), n, []byte("x")), apperr.InvalidInput)
	}
}

func TestEnvelopeKeychainDownKeepsFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fb := &fakeBackend{}
	s := keychain.New(keychain.Options{Backend: fb, Timeout: time.Second})
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/fake") // the fake backend needs no bus; preflight must pass
	if err := keychain.NewEnvelope(s, dir).Save(ctx, "c", []byte("blob")); err != nil {
		t.Fatal(err)
	}
	fb.fail(errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"))
	env := keychain.NewEnvelope(s, dir)
	_, err := env.Load(ctx, "c")
	apperrtest.Want(t, err, apperr.KeychainUnavailable)
	if _, err := os.Stat(env.Path("c")); err != nil {
		t.Fatal("a locked keychain must not cost the sealed file")
	}
}

// fakeBackend is a go-keyring stand-in that can block or fail.
type fakeBackend struct {
	mu    sync.Mutex
	items map[string]string
	block chan struct{} // non-nil: calls wait on it
	err   error
	calls int
}

func (f *fakeBackend) fail(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func (f *fakeBackend) enter() error {
	f.mu.Lock()
	f.calls++
	b, err := f.block, f.err
	f.mu.Unlock()
	if b != nil {
		<-b
	}
	return err
}

func (f *fakeBackend) Set(s, u, p string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		f.items = map[string]string{}
	}
	f.items[s+"|"+u] = p
	return nil
}

func (f *fakeBackend) Get(s, u string) (string, error) {
	if err := f.enter(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[s+"|"+u]
	if !ok {
		return "", errNotFound()
	}
	return v, nil
}

func (f *fakeBackend) Delete(s, u string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.items, s+"|"+u)
	return nil
}

// TestHungKeychainTimesOut runs in a synctest bubble: the keychain's timer is the bubble's clock,
// which moves only when every goroutine of the test is blocked, so the 80 ms timeout fires after
// exactly 80 ms however busy the machine is. On the wall clock the test asserted "within 2 s",
// polled 2 s for the recovery, and a cancelled call whose timer had also fired by the time it
// reached its select (a goroutine descheduled for 80 ms) picked either answer at random.
func TestHungKeychainTimesOut(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/fake")
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		fb := &fakeBackend{block: release}
		const timeout = 80 * time.Millisecond
		s := keychain.New(keychain.Options{Backend: fb, Timeout: timeout})
		ctx := context.Background()

		start := time.Now()
		e := apperrtest.Want(t, s.Set(ctx, "k", "v"), apperr.KeychainTimeout)
		if d := time.Since(start); d != timeout {
			t.Fatalf("timed out after %v, want the %v timeout", d, timeout)
		}
		if e.Action == "" {
			t.Fatal("no remedy given")
		}
		// The first call still hangs: the next one must not queue forever behind it.
		start = time.Now()
		apperrtest.Want(t, s.Set(ctx, "k", "v"), apperr.KeychainTimeout)
		if d := time.Since(start); d != timeout {
			t.Fatalf("the call behind the hung one gave up after %v, want %v", d, timeout)
		}
		// Cancellation wins over the timeout.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		apperrtest.Want(t, func() error { _, err := s.Get(cctx, "k"); return err }(), apperr.Canceled)

		fb.mu.Lock()
		fb.block = nil
		fb.mu.Unlock()
		close(release)  // the keychain answers at last
		synctest.Wait() // the hung Set has stored its value and left the gate
		if v, err := s.Get(ctx, "k"); err != nil || v != "v" {
			t.Fatalf("keychain did not recover: %q, %v", v, err)
		}
	})
}

func TestErrorCatalogueMapsToCodes(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/fake")
	for _, msg := range []string{
		`exec: "dbus-launch": executable file not found in $PATH`,
		"dial unix /tmp/nonexistent-bus: connect: no such file or directory",
		"The name org.freedesktop.secrets was not provided by any .service files",
		"failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'",
	} {
		fb := &fakeBackend{}
		fb.fail(errors.New(msg))
		s := keychain.New(keychain.Options{Backend: fb})
		e := apperrtest.Want(t, s.Set(context.Background(), "k", "TOPSECRET"), apperr.KeychainUnavailable)
		if e.Action == "" || strings.Contains(e.Error(), "TOPSECRET") {
			t.Fatalf("%q: action %q, error %v", msg, e.Action, e)
		}
	}
}

// TestNoSecretService runs the real go-keyring in child processes whose session bus is missing
// or points at nothing, as on a server without a desktop session.
func TestNoSecretService(t *testing.T) {
	if os.Getenv("IDPSYNC_KEYCHAIN_CHILD") == "1" {
		err := keychain.New(keychain.Options{Service: "idpsync-test-child", Timeout: 5 * time.Second}).
			Set(context.Background(), "k", "v")
		b, _ := json.Marshal(apperr.As(err))
		fmt.Printf("RESULT %s\n", b)
		return
	}
	for name, env := range map[string][]string{
		"bus address points at nothing": {"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/idpsync-bus", "XDG_RUNTIME_DIR=" + t.TempDir()},
		"no bus at all":                 {"DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=" + t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestNoSecretService$", "-test.count=1")
			cmd.Env = append(append(os.Environ(), "IDPSYNC_KEYCHAIN_CHILD=1"), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			i := bytes.Index(out, []byte("RESULT "))
			if i < 0 {
				t.Fatalf("child printed no result:\n%s", out)
			}
			var e apperr.Error
			line := out[i+7:]
			line = line[:bytes.IndexByte(line, '\n')]
			if err := json.Unmarshal(line, &e); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			if e.Code != apperr.KeychainUnavailable || e.Action == "" {
				t.Fatalf("got %+v", e)
			}
		})
	}
}

// TestLockedKeyringWithoutDisplay locks a real gnome-keyring and asks for an item, as on a
// desktop whose login keyring was not unlocked at login. It needs its own D-Bus session (the
// lock would disturb the other tests), so it starts one with a fresh keyring in a child process.
func TestLockedKeyringWithoutDisplay(t *testing.T) {
	if os.Getenv("IDPSYNC_KEYCHAIN_CHILD") == "locked" {
		conn, err := dbus.SessionBus()
		if err != nil {
			fmt.Printf("RESULT-ERR %v\n", err)
			return
		}
		var locked []dbus.ObjectPath
		var prompt dbus.ObjectPath
		err = conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
			Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"}).Store(&locked, &prompt)
		if err != nil || len(locked) != 1 {
			fmt.Printf("RESULT-ERR lock: %v %v\n", err, locked)
			return
		}
		err = keychain.New(keychain.Options{Service: "idpsync-test-locked", Timeout: 10 * time.Second}).Set(context.Background(), "k", "v")
		b, _ := json.Marshal(apperr.As(err))
		fmt.Printf("RESULT %s\n", b)
		return
	}
	requireSecretService(t)
	if _, err := exec.LookPath("gnome-keyring-daemon"); err != nil {
		t.Fatal("gnome-keyring-daemon is not installed; run the tests via `make test` on a machine set up by the project's scripts")
	}
	kr := t.TempDir()
	for _, d := range []string{"data", "run"} {
		if err := os.MkdirAll(filepath.Join(kr, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c",
		`printf %s pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$0" -test.run='^TestLockedKeyringWithoutDisplay$' -test.count=1`, os.Args[0])
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") && !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "IDPSYNC_KEYCHAIN_CHILD=locked", "XDG_DATA_HOME="+filepath.Join(kr, "data"), "XDG_RUNTIME_DIR="+filepath.Join(kr, "run"))
	out, err := cmd.CombinedOutput()
	i := bytes.Index(out, []byte("RESULT "))
	if err != nil || i < 0 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	line := out[i+7:]
	line = line[:bytes.IndexByte(line, '\n')]
	var e apperr.Error
	if err := json.Unmarshal(line, &e); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if e.Code != apperr.KeychainUnavailable || !strings.Contains(e.Action, "locked") {
		t.Fatalf("got %+v", e)
	}
	t.Logf("locked keyring: %s / %s", e.Message, e.Action)
}

func TestAPIKeyItems(t *testing.T) {
	ctx := context.Background()
	stores := map[string]keychain.Store{"memory": keychain.NewMemory()}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		stores["secret service"] = realStore(t)
	} else {
		requireSecretService(t)
	}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			stored := time.Date(2026, 1, 10, 9, 30, 0, 0, time.UTC)
			secret := "ATCTT3xFfGN0" + strings.Repeat("k", 180)
			if err := keychain.PutAPIKey(ctx, s, "dir1", keychain.SCIMKey, "  "+secret+"\n", stored); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = keychain.DeleteAPIKey(ctx, s, "dir1", keychain.SCIMKey) })
			k, err := keychain.GetAPIKey(ctx, s, "dir1", keychain.SCIMKey)
			if err != nil || k.Secret != secret || !k.Stored.Equal(stored) {
				t.Fatalf("got %+v, %v", k.Stored, err)
			}
			if !k.ExpiresBy().Equal(stored.Add(365 * 24 * time.Hour)) {
				t.Fatalf("expires by %v", k.ExpiresBy())
			}
			_, err = keychain.GetAPIKey(ctx, s, "dir1", keychain.OrgKey)
			if e := apperrtest.Want(t, err, apperr.SecretMissing); !strings.Contains(e.Action, "org-key") {
				t.Fatalf("action %q", e.Action)
			}
			apperrtest.Want(t, keychain.PutAPIKey(ctx, s, "dir1", keychain.OrgKey, "  ", stored), apperr.InvalidInput)
		})
	}
}

func errNotFound() error { return keyring.ErrNotFound }

// BenchmarkSecretService measures one item read and one 10 KB envelope load (fresh key read)
// on the real Secret Service.
func BenchmarkSecretService(b *testing.B) {
	requireSecretService(b)
	s := keychain.New(keychain.Options{Service: fmt.Sprintf("idpsync-bench-%d", os.Getpid())})
	ctx := context.Background()
	dir := b.TempDir()
	blob := bytes.Repeat([]byte("0123456789"), 1024)
	if err := keychain.NewEnvelope(s, dir).Save(ctx, "bench", blob); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = keychain.NewEnvelope(s, dir).Remove(ctx, "bench") })
	b.Run("item-get", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Get(ctx, "envelope/bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("envelope-load-10KB-cold", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := keychain.NewEnvelope(s, dir).Load(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("envelope-load-10KB-cached-key", func(b *testing.B) {
		env := keychain.NewEnvelope(s, dir)
		for i := 0; i < b.N; i++ {
			if _, err := env.Load(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
