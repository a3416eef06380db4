package app

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

// TestBoundMethodsFollowTheConvention checks every bound service: each exported method
// returns (result, error), and none is a wiring method that would leak into the bindings.
func TestBoundMethodsFollowTheConvention(t *testing.T) {
	errType := reflect.TypeOf((*error)(nil)).Elem()
	for _, v := range New(Options{}).Bind() {
		typ := reflect.TypeOf(v)
		if typ.Kind() != reflect.Pointer || typ.Elem().Kind() != reflect.Struct {
			t.Fatalf("%v: bind pointers to structs", typ)
		}
		if typ.NumMethod() == 0 {
			t.Fatalf("%v binds no methods", typ)
		}
		for i := 0; i < typ.NumMethod(); i++ {
			m := typ.Method(i)
			name := typ.Elem().Name() + "." + m.Name
			if m.Type.NumOut() != 2 || m.Type.Out(1) != errType {
				t.Errorf("%s must return (result, error), returns %v", name, m.Type)
			}
			for _, wiring := range []string{"Startup", "Shutdown", "Set", "Close", "Bind", "Attach"} {
				if strings.HasPrefix(m.Name, wiring) {
					t.Errorf("%s looks like wiring; keep it off bound types", name)
				}
			}
		}
	}
}

func TestAbout(t *testing.T) {
	home := t.TempDir()
	s := New(demoOptions(home, false))
	defer s.core.close()
	info, err := s.App.About()
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "IdP Sync" || info.Version == "" || info.DataDir != home || !info.Demo || !strings.Contains(info.Platform, "/") {
		t.Fatalf("About() = %+v", info)
	}

	info, err = New(Options{}).App.About()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(info.DataDir) != "idpsync" || info.Demo {
		t.Fatalf("default data dir %q should end in idpsync", info.DataDir)
	}
}

// In demo mode on a folder that holds real directories, About names the demo's own folder, the
// one the app writes to, not the configured one (it named IDPSYNC_HOME).
func TestAboutNamesTheDemosFolder(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "idpsync.db"), []byte("real"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := New(demoOptions(home, false))
	defer s.core.close()
	info, err := s.App.About()
	if err != nil {
		t.Fatal(err)
	}
	if info.DataDir != filepath.Join(home, "demo") || info.DataDir != must(s.core.backend()).Home() {
		t.Fatalf("About names %s; the demo writes to %s", info.DataDir, must(s.core.backend()).Home())
	}
}

func TestPing(t *testing.T) {
	s := New(Options{})
	r, err := s.App.Ping("  hello  ")
	if err != nil || r.Echo != "hello" || r.ReceivedAt == "" {
		t.Fatalf("Ping = %+v, %v", r, err)
	}
	for _, in := range []string{"", "   ", strings.Repeat("é", maxPing+1)} {
		_, err := s.App.Ping(in)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Code != apperr.InvalidInput || e.Action == "" {
			t.Fatalf("Ping(%d runes) error = %v, want coded invalid_input with an action", len(in), err)
		}
	}
	if _, err := s.App.Ping(strings.Repeat("é", maxPing)); err != nil {
		t.Fatalf("Ping at the limit: %v", err)
	}
}

func TestCallRecoversPanicsAndCodesErrors(t *testing.T) {
	res, err := call("Boom", func() (int, error) { panic("kaboom") })
	var e *apperr.Error
	if res != 0 || !errors.As(err, &e) || e.Code != apperr.Internal || !strings.Contains(e.Message, "Boom") {
		t.Fatalf("panic: res %d err %v", res, err)
	}
	if strings.Contains(e.Message, "kaboom") {
		t.Fatalf("the panic value reached the message: %q", e.Message)
	}

	res, err = call("Raw", func() (int, error) { return 5, errors.New("open /secret/path: denied") })
	if res != 0 || apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("raw error: res %d err %v", res, err)
	}

	coded := apperr.New(apperr.NotFound, "no such directory")
	if _, err := call("Coded", func() (int, error) { return 0, coded }); err != error(coded) {
		t.Fatalf("coded error was replaced: %v", err)
	}
	if res, err := call("OK", func() (int, error) { return 3, nil }); res != 3 || err != nil {
		t.Fatalf("ok: %d %v", res, err)
	}
}

func TestFormatErrorIsCodeMessageAction(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{apperr.New(apperr.TenantMismatch, "wrong tenant").WithAction("Sign in to the pinned tenant."),
			`{"code":"tenant_mismatch","message":"wrong tenant","action":"Sign in to the pinned tenant."}`},
		{apperr.Wrap(errors.New("token=abc"), apperr.AuthFailed, "sign-in failed"),
			`{"code":"auth_failed","message":"sign-in failed"}`},
		{errors.New("raw detail"), `{"code":"internal","message":"unexpected error"}`},
		{&apperr.Error{Code: apperr.NotFound}, `{"code":"not_found","message":"unexpected error"}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(FormatError(c.err))
		if err != nil || string(b) != c.want {
			t.Errorf("FormatError(%v) = %s, %v; want %s", c.err, b, err, c.want)
		}
	}
	if FormatError(nil) != nil {
		t.Error("FormatError(nil) should be nil")
	}
}

type fakeUI struct {
	mu     sync.Mutex
	events []string
	opened []string
}

func (f *fakeUI) Emit(event string, _ any) {
	f.mu.Lock()
	f.events = append(f.events, event)
	f.mu.Unlock()
}
func (f *fakeUI) OpenFile(FileDialog) (string, error)     { return "/tmp/in.json", nil }
func (f *fakeUI) SaveFile(FileDialog) (string, error)     { return "", nil }
func (f *fakeUI) ChooseFolder(FileDialog) (string, error) { return "", nil }
func (f *fakeUI) OpenURL(u string) error {
	f.mu.Lock()
	f.opened = append(f.opened, u)
	f.mu.Unlock()
	return nil
}

func TestEnvBeforeAndAfterTheWindow(t *testing.T) {
	s := New(Options{})
	var em Emitter = s.env
	em.Emit("sync:progress", 1) // dropped, must not panic
	if _, err := s.env.OpenFile(FileDialog{}); apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("OpenFile before startup: %v", err)
	}
	if err := s.env.OpenURL("https://login.microsoftonline.com/"); err == nil {
		t.Fatal("OpenURL before startup should fail")
	}

	ui := &fakeUI{}
	s.env.attach(ui)
	em.Emit("sync:progress", 2)
	if p, err := s.env.OpenFile(FileDialog{}); p != "/tmp/in.json" || err != nil {
		t.Fatalf("OpenFile = %q, %v", p, err)
	}
	if err := s.env.OpenURL("https://example.test/"); err != nil {
		t.Fatal(err)
	}
	if len(ui.events) != 1 || ui.events[0] != "sync:progress" || len(ui.opened) != 1 {
		t.Fatalf("ui saw events %v, urls %v", ui.events, ui.opened)
	}

	s.env.attach(nil) // Shutdown
	em.Emit("late", nil)
	if len(ui.events) != 1 {
		t.Fatalf("event after shutdown reached the UI: %v", ui.events)
	}
}
