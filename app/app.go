package app

import (
	"context"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
)

// Options are decided by main before the window opens.
type Options struct {
	// Config is the process's configuration (internal/config, read by main). With Config.Demo
	// the app starts on the built-in demo tenant through StartDemo instead of real services.
	Config config.Config
	// StartDemo starts the demo tenant and opens the backend on it (internal/demomode, wired
	// by main, so that app/ starts no emulator itself).
	StartDemo func(ctx context.Context, em backend.Emitter) (*backend.Backend, DemoTenant, error)
}

// DemoTenant is a running demo tenant, as the screens need it.
type DemoTenant interface {
	// Input is the demo directory's connection values, which the add flow pre-fills.
	Input() backend.DirectoryInput
	// Conflicts are the Entra groups whose names the demo organization already holds as
	// unmanaged groups.
	Conflicts() []string
	// DeviceLogin enters a device code in the emulated browser, standing in for the admin.
	DeviceLogin(url, code string) error
	// Close closes the backend and stops the emulators.
	Close()
}

// Services holds every bound service and wires them. It is not bound itself, so its methods
// (Startup, Shutdown, Bind) never show up in the frontend bindings.
type Services struct {
	env  *env
	core *core

	App         *AppService
	Directories *DirectoryService
	Sync        *SyncService
	Reports     *ReportService
}

// New builds the services. Nothing here touches the Wails runtime.
func New(opts Options) *Services {
	e := newEnv(opts)
	c := newCore(e)
	return &Services{
		env:         e,
		core:        c,
		App:         &AppService{env: e, core: c},
		Directories: &DirectoryService{env: e, core: c},
		Sync:        &SyncService{env: e, core: c},
		Reports:     &ReportService{env: e, core: c},
	}
}

// Bind returns the values to pass to Wails' Bind option.
func (s *Services) Bind() []any {
	return []any{s.App, s.Directories, s.Sync, s.Reports}
}

// Startup is Wails' OnStartup: it attaches the runtime (events, dialogs) for ctx, the only
// context with which the Wails runtime may be called.
func (s *Services) Startup(ctx context.Context) {
	s.env.attach(newWailsUI(ctx))
}

// Shutdown is Wails' OnShutdown: services stop emitting into a closing window.
func (s *Services) Shutdown(context.Context) {
	s.env.attach(nil)
	s.core.close()
}
