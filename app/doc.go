// Package app is the layer Wails binds to the frontend: thin services that translate between
// the screens and internal/ (the backend shared with the CLI). It holds no sync logic.
//
// How to add a screen's service (one file per area: directories.go, sync.go, reports.go, ...):
//
//  1. Declare `type XService struct{ env *env }` (plus the backend handle it needs) and give it
//     only the methods the frontend calls: every exported method of a bound type becomes a JS
//     function, so wiring (constructors, setters, Close) lives on Services or in unexported
//     functions, never as exported methods of XService.
//  2. Each bound method returns a typed result (a struct with json tags; Wails generates a
//     TypeScript interface for it in frontend/wailsjs/go/models.ts) and an error, and runs its
//     body through call(): call turns any error into a coded *apperr.Error and a panic into
//     apperr.Internal, so the frontend always receives {code, message, action} (see
//     FormatError) and never a raw Go error string or a dead process.
//  3. Add the service to Services in app.go (a field, New, Bind).
//  4. Run `make bindings` and commit the regenerated .d.ts and models.ts under frontend/wailsjs.
//
// Nothing under internal/ may call the Wails runtime: it exits the process when called
// without the context Wails gives at startup, which tests and the CLI never have. Services
// hand internal/ the env instead, which implements Emitter (progress events) and Dialogs
// (file pickers, opening the system browser for sign-in). runtime_wails.go is the only file
// that imports the Wails runtime; before startup (tests, CLI) env drops events and refuses
// dialogs with a coded error.
package app
