package app

import (
	"context"
	"sync"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
)

// core is the backend shared by the directory, sync and report services. It is opened on the
// first call rather than in New, so that building the services (tests, the CLI) never touches
// the store, the keychain or the network, and a store that cannot open becomes a coded error on
// the screen instead of a window that never appears.
type core struct {
	env *env

	once       sync.Once
	ctx        context.Context
	stop       context.CancelFunc
	b          *backend.Backend
	demoTenant DemoTenant // nil outside demo mode
	err        error

	mu          sync.Mutex
	signIns     map[string]context.CancelFunc // by directory: the sign-in the admin may cancel
	deviceCodes map[string]backend.DeviceCode // the last code shown, for the demo's emulated browser

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
	b, d := c.b, c.demoTenant
	c.mu.Unlock()
	if d != nil {
		d.Close() // the demo's backend with its emulators
	} else if b != nil {
		_ = b.Close()
	}
}

// openBackend opens the real backend on the configured folder, or in demo mode the demo's.
func openBackend(c *core) (*backend.Backend, error) {
	cfg := c.env.opts.Config
	if !cfg.Demo {
		return backend.Open(c.ctx, backend.Options{Home: cfg.Home, GraphToken: cfg.GraphToken, Emitter: c, OpenURL: c.env.OpenURL})
	}
	if c.env.opts.StartDemo == nil {
		return nil, apperr.New(apperr.Internal, "this build has no demo tenant")
	}
	b, d, err := c.env.opts.StartDemo(c.ctx, c)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.demoTenant = d
	c.mu.Unlock()
	return b, nil
}

// demo returns the running demo tenant, or nil outside demo mode.
func (c *core) demo() DemoTenant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.demoTenant
}

// openDeviceLogin opens the device-code page: in the system browser, or in demo mode the
// emulated browser enters the code itself.
func (c *core) openDeviceLogin(dc backend.DeviceCode) error {
	if d := c.demo(); d != nil {
		go func() { _ = d.DeviceLogin(dc.URL, dc.UserCode) }()
		return nil
	}
	return c.env.OpenURL(dc.URL)
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
