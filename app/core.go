package app

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/demo"
)

// core is the backend shared by the directory, sync and report services. It is opened on the
// first call rather than in New, so that building the services (tests, the CLI) never touches
// the store, the keychain or the network, and a store that cannot open becomes a coded error on
// the screen instead of a window that never appears.
type core struct {
	env *env

	once    sync.Once
	ctx     context.Context
	stop    context.CancelFunc
	b       *backend.Backend
	demoEnv *demo.Env
	err     error

	mu          sync.Mutex
	signIns     map[string]context.CancelFunc // by directory: the sign-in the admin may cancel
	deviceCodes map[string]backend.DeviceCode // the last code shown, for the demo's emulated browser
	conflicts   []string                      // demo: names of the unmanaged same-named groups

	// open builds the backend; tests replace it.
	open func(c *core) (*backend.Backend, error)
}

func newCore(e *env) *core {
	ctx, stop := context.WithCancel(context.Background())
	return &core{env: e, ctx: ctx, stop: stop, signIns: map[string]context.CancelFunc{},
		deviceCodes: map[string]backend.DeviceCode{}, open: openBackend}
}

// Emit records device codes (the demo's browser needs them) and forwards every event to the window.
func (c *core) Emit(event string, data any) {
	if dc, ok := data.(backend.DeviceCode); ok && event == backend.EventDeviceCode {
		c.mu.Lock()
		c.deviceCodes[dc.DirectoryID] = dc
		c.mu.Unlock()
	}
	c.env.Emit(event, data)
}

// backend returns the opened backend, opening it on first use.
func (c *core) backend() (*backend.Backend, error) {
	c.once.Do(func() {
		c.b, c.err = c.open(c)
		if c.err == nil {
			c.b.StartScheduler(c.ctx)
		}
	})
	return c.b, c.err
}

func (c *core) close() {
	c.stop()
	c.mu.Lock()
	b, d := c.b, c.demoEnv
	c.mu.Unlock()
	if b != nil {
		_ = b.Close()
	}
	if d != nil {
		d.Close()
	}
}

// openBackend opens the real backend, or in demo mode starts the emulators first and points the
// backend at them (with an in-memory keychain and the emulated browser for sign-in).
func openBackend(c *core) (*backend.Backend, error) {
	if !c.env.opts.Demo {
		return backend.Open(c.ctx, backend.Options{Emitter: c, OpenURL: c.env.OpenURL})
	}
	env, err := demo.Start(c.ctx, demo.Options{})
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "the demo tenant could not start")
	}
	c.mu.Lock()
	c.demoEnv = env
	c.mu.Unlock()
	names := prepareDemo(env)
	c.mu.Lock()
	c.conflicts = names
	c.mu.Unlock()
	home := os.Getenv("IDPSYNC_HOME")
	if home != "" {
		// Never the real directories' folder: the demo's own inside it when it holds them.
		home = backend.DemoHome(home)
	} else {
		// The emulators are new on every start, so the demo keeps nothing: a fresh folder per run.
		if home, err = os.MkdirTemp("", "idpsync-demo-"); err != nil {
			return nil, apperr.Wrap(err, apperr.Internal, "cannot create the demo's folder")
		}
	}
	b, err := backend.Open(c.ctx, backend.DemoOptions(env, home, c))
	if err != nil {
		return nil, err
	}
	if os.Getenv("IDPSYNC_DEMO_SETUP") != "0" {
		if _, err := b.SetupDemo(c.ctx, env); err != nil {
			slog.Warn("demo directory not set up", "err", err)
		}
	}
	return b, nil
}

// prepareDemo makes the demo show every screen: a second same-named unmanaged group, so that one
// conflict can be taken over and another skipped, and (IDPSYNC_DEMO_LATENCY, e.g. "30ms") a slower
// Atlassian so that progress and cancel can be watched.
func prepareDemo(env *demo.Env) []string {
	names := []string{env.ConflictGroup}
	for _, g := range env.Tenant.Snapshot().Groups {
		name := strings.TrimSpace(g.DisplayName)
		if name != "" && name != env.ConflictGroup && !strings.ContainsAny(name, "<>&\"'") {
			if _, err := env.Atlassian.SeedGroup(atlassian.SeedGroup{DisplayName: name}); err != nil {
				slog.Warn("demo: second conflict group not seeded", "err", err)
			} else {
				names = append(names, name)
			}
			break
		}
	}
	if d, err := time.ParseDuration(os.Getenv("IDPSYNC_DEMO_LATENCY")); err == nil && d > 0 {
		env.Atlassian.SetLatency(d)
	}
	return names
}

func (c *core) conflictGroups() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.conflicts...)
}

// demo returns the running demo environment, or nil outside demo mode.
func (c *core) demo() *demo.Env {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.demoEnv
}

// signInContext gives a sign-in a context the admin can cancel from the waiting state.
func (c *core) signInContext(dirID string) (context.Context, func()) {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Minute)
	c.mu.Lock()
	if old := c.signIns[dirID]; old != nil {
		old()
	}
	c.signIns[dirID] = cancel
	c.mu.Unlock()
	return ctx, func() {
		cancel()
		c.mu.Lock()
		delete(c.signIns, dirID)
		c.mu.Unlock()
	}
}

func (c *core) cancelSignIn(dirID string) bool {
	c.mu.Lock()
	cancel := c.signIns[dirID]
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return cancel != nil
}
