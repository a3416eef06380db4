// Package demomode is the one place that wires the product to the built-in demo tenant: it
// starts the emulators (internal/emulator/demo), supplies the backend's options for them (their
// URLs, their certificate as the only trusted one, the in-memory keychain, the emulated browser),
// picks the demo's folder and sets up the demo directory. main (the GUI) and `idpsync sync
// --demo` call it; app/ and internal/backend import no emulator. The demo ships in the binary:
// trying the app without an account is a feature.
package demomode

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
	emuatl "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/store"
)

// Options choose how the demo starts.
type Options struct {
	Home    string          // the demo's folder (GUIHome, CLIHome)
	Emitter backend.Emitter // the backend's events
	// SecondConflict seeds a second same-named unmanaged group, so that the GUI shows one
	// conflict taken over and another skipped.
	SecondConflict bool
	// Latency slows the emulated Atlassian down (config.Config.DemoLatency).
	Latency time.Duration
	// Tenant sizes the generated tenant (zero: the demo's default).
	Tenant demo.Options
	// Start starts the emulators; nil is demo.Start (tests count or replace it).
	Start func(context.Context, demo.Options) (*demo.Env, error)
}

// Session is a running demo: its emulators and the backend on them.
type Session struct {
	Env     *demo.Env
	Backend *backend.Backend
	// ConflictGroups are the Entra groups whose names the demo organization already holds as
	// unmanaged groups, so that a tester knows which groups to pick to see the conflict screen.
	ConflictGroups []string
}

// Open starts the emulators and opens the backend on them.
func Open(ctx context.Context, o Options) (*Session, error) {
	start := o.Start
	if start == nil {
		start = demo.Start
	}
	env, err := start(ctx, o.Tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "the demo tenant could not start")
	}
	s := &Session{Env: env, ConflictGroups: []string{env.ConflictGroup}}
	if o.SecondConflict {
		s.ConflictGroups = append(s.ConflictGroups, seedSecondConflict(env)...)
	}
	if o.Latency > 0 {
		env.Atlassian.SetLatency(o.Latency)
	}
	if s.Backend, err = backend.Open(ctx, BackendOptions(env, o.Home, o.Emitter)); err != nil {
		env.Close()
		return nil, err
	}
	return s, nil
}

// Setup creates the demo directory afresh (the emulators are new on every start, so no earlier
// state applies) and signs it in through the real MSAL code with the emulated browser.
func (s *Session) Setup(ctx context.Context) (backend.Directory, error) {
	return s.Backend.SetupDemo(ctx, DirectoryInput(s.Env))
}

// Close closes the backend, then the emulators.
func (s *Session) Close() {
	_ = s.Backend.Close()
	s.Env.Close()
}

// DeviceLogin enters a device code in the emulated browser, standing in for the admin.
func (s *Session) DeviceLogin(url, code string) error { return s.Env.Browser.DeviceLogin(url, code) }

// BackendOptions point a backend at the demo's emulators, with home as its folder.
func BackendOptions(env *demo.Env, home string, em backend.Emitter) backend.Options {
	return backend.Options{Home: home, Demo: true, Emitter: em, Secrets: env.Secrets, Transport: env.Transport(), OpenURL: env.Browser.Open,
		AllowCustomHost: true, SCIMLimiter: atlassian.LimiterConfig{Initial: 500, Max: 5000, Increase: 100},
		Endpoints: backend.Endpoints{Authority: env.AuthorityURL(), GraphURL: env.GraphURL(), OrgURL: env.OrgURL()}}
}

// DirectoryInput is the demo directory: the emulators' addresses and their emulated keys (not
// secrets: they open only this run's loopback emulators).
func DirectoryInput(env *demo.Env) backend.DirectoryInput {
	return backend.DirectoryInput{Name: demo.DirectoryName, Cloud: "global", ClientID: env.ClientID(),
		SCIMBaseURL: env.Atlassian.SCIMURL(), SCIMAPIKey: env.Atlassian.APIKey(), SCIMKeyCreated: time.Now().UTC().Format(time.DateOnly),
		OrgID: env.Atlassian.OrgID(), OrgAPIKey: env.Atlassian.OrgAPIKey(), AllowCustomHost: true}
}

// GUIHome is the desktop demo's folder: never the real directories' folder (the demo's own
// inside configured when that holds them), and without a configured folder a fresh one per
// start, because the emulators are new on every start and the demo keeps nothing.
func GUIHome(configured string) (string, error) {
	if configured != "" {
		return backend.DemoHome(configured), nil
	}
	home, err := os.MkdirTemp("", "idpsync-demo-")
	if err != nil {
		return "", apperr.Wrap(err, apperr.Internal, "cannot create the demo's folder")
	}
	return home, nil
}

// CLIHome is `idpsync sync --demo`'s folder: HOME/demo, or a fresh one inside it when an earlier
// version left HOME/demo unmarked (backend.Open refuses any folder that is not the demo's).
func CLIHome(configured string) (string, error) {
	home, err := store.Home(configured)
	if err != nil {
		return "", err
	}
	return backend.DemoHome(filepath.Join(home, "demo")), nil
}

// seedSecondConflict gives the first plainly named group a same-named unmanaged twin.
func seedSecondConflict(env *demo.Env) []string {
	for _, g := range env.Tenant.Snapshot().Groups {
		name := strings.TrimSpace(g.DisplayName)
		if name != "" && name != env.ConflictGroup && !strings.ContainsAny(name, "<>&\"'") {
			if _, err := env.Atlassian.SeedGroup(emuatl.SeedGroup{DisplayName: name}); err != nil {
				slog.Warn("demo: second conflict group not seeded", "err", err)
				return nil
			}
			return []string{name}
		}
	}
	return nil
}

// StartGUI is the desktop app's demo (IDPSYNC_DEMO=1): its folder (GUIHome), a second conflict
// group, the configured latency, and the demo directory set up unless cfg.DemoSetup is off. A
// failed set-up is logged, not fatal: the add flow still works on the running emulators.
func StartGUI(ctx context.Context, cfg config.Config, em backend.Emitter) (*Session, error) {
	home, err := GUIHome(cfg.Home)
	if err != nil {
		return nil, err
	}
	var size demo.Options
	switch cfg.DemoSize {
	case "":
	case "L":
		size = demo.ScenarioL
	default:
		return nil, apperr.New(apperr.InvalidInput, "IDPSYNC_DEMO_SIZE is %q: use L or leave it unset", cfg.DemoSize)
	}
	s, err := Open(ctx, Options{Home: home, Emitter: em, SecondConflict: true, Latency: cfg.DemoLatency, Tenant: size})
	if err != nil {
		return nil, err
	}
	if cfg.DemoSetup {
		if _, err := s.Setup(ctx); err != nil {
			slog.Warn("demo directory not set up", "err", err)
		}
	}
	return s, nil
}

// Input is the demo directory's connection values, which the add flow pre-fills.
func (s *Session) Input() backend.DirectoryInput { return DirectoryInput(s.Env) }

// Conflicts are the names of the demo's same-named unmanaged groups.
func (s *Session) Conflicts() []string { return append([]string(nil), s.ConflictGroups...) }
