package app

import (
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Emitter sends an event to the frontend. Its shape matches the emitter internal/backend
// takes, so env can be handed to the backend as is.
type Emitter interface {
	Emit(event string, data any)
}

// FileFilter restricts a file dialog to a pattern such as "*.json;*.html".
type FileFilter struct {
	Name    string
	Pattern string
}

// FileDialog describes an open or save dialog.
type FileDialog struct {
	Title       string
	DefaultName string
	Filters     []FileFilter
}

// Dialogs are the native interactions internal/ may need; the app layer supplies them.
type Dialogs interface {
	// OpenFile returns the chosen path, or "" when the admin cancelled.
	OpenFile(d FileDialog) (string, error)
	// SaveFile returns the chosen path, or "" when the admin cancelled.
	SaveFile(d FileDialog) (string, error)
	// ChooseFolder returns the chosen (or newly made) folder, or "" when the admin cancelled.
	ChooseFolder(d FileDialog) (string, error)
	// OpenURL opens url in the system browser (Microsoft sign-in, documentation links).
	OpenURL(url string) error
}

// UI is what the Wails runtime provides once the window exists.
type UI interface {
	Emitter
	Dialogs
}

// env is shared by every service: the options the app started with and the UI once
// attached. Before attach it is silent and refuses dialogs, so services behave the same in
// unit tests and the real app.
type env struct {
	opts Options

	mu sync.RWMutex
	ui UI
}

func newEnv(opts Options) *env { return &env{opts: opts} }

func (e *env) attach(ui UI) {
	e.mu.Lock()
	e.ui = ui
	e.mu.Unlock()
}

func (e *env) current() UI {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.ui
}

// Emit forwards to the window, or drops the event when there is none yet.
func (e *env) Emit(event string, data any) {
	if ui := e.current(); ui != nil {
		ui.Emit(event, data)
	}
}

func errNoWindow() error {
	return apperr.New(apperr.Internal, "the app window is not ready").
		WithAction("Wait for the window to finish loading, then try again.")
}

func (e *env) OpenFile(d FileDialog) (string, error) {
	if ui := e.current(); ui != nil {
		return ui.OpenFile(d)
	}
	return "", errNoWindow()
}

func (e *env) SaveFile(d FileDialog) (string, error) {
	if ui := e.current(); ui != nil {
		return ui.SaveFile(d)
	}
	return "", errNoWindow()
}

func (e *env) ChooseFolder(d FileDialog) (string, error) {
	if ui := e.current(); ui != nil {
		return ui.ChooseFolder(d)
	}
	return "", errNoWindow()
}

func (e *env) OpenURL(url string) error {
	if ui := e.current(); ui != nil {
		return ui.OpenURL(url)
	}
	return errNoWindow()
}
