package app

import "context"

// Options are decided by main before the window opens.
type Options struct {
	// Demo starts the app on the built-in demo tenant (loopback emulators) instead of real
	// services; `make demo` sets it through IDPSYNC_DEMO=1.
	Demo bool
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
		App:         &AppService{env: e},
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
