// Package backend is the one backend behind the GUI (app/ services) and the headless commands:
// it owns the store, the keychain secrets, the per-directory clients (sign-in, Graph, Atlassian)
// and runs previews and applies through the sync engine, reporting progress to an injected Emitter.
// The app layer and the CLI only translate calls, events and errors.
package backend

import (
	"context"
	"net/http"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Endpoints override the cloud's hosts (national clouds, proxies, emulators). Empty fields keep
// the defaults of the directory's cloud.
type Endpoints struct {
	Authority string // e.g. https://login.microsoftonline.com (the tenant is appended)
	GraphURL  string // e.g. https://graph.microsoft.com/v1.0
	SCIMURL   string // replaces the directory's SCIM base URL
	OrgURL    string // e.g. https://api.atlassian.com
}

// Options configure a Backend.
type Options struct {
	Home      string             // the store's folder; "" → $IDPSYNC_HOME or os.UserConfigDir()/idpsync
	Emitter   Emitter            // nil → events dropped
	Secrets   Secrets            // nil → the OS keychain
	Endpoints Endpoints          // overrides for every directory
	Transport http.RoundTripper  // parent transport for all remote calls (nil → http.DefaultTransport)
	OpenURL   func(string) error // opens the system browser for interactive sign-in
	Demo      bool               // run against the built-in emulators (see internal/emulator/demo)
}

// Secrets is the consumer-side view of the keychain (internal/keychain).
type Secrets interface {
	Get(key string) (string, error) // apperr SecretMissing when absent
	Set(key, value string) error
	Delete(key string) error
}

// Backend is safe for concurrent use by the GUI's bound calls.
type Backend struct {
	opts Options
}

func notYet(what string) error {
	return apperr.New(apperr.Internal, "%s is not implemented yet", what)
}

// Open opens (creating if needed) the store and starts nothing else; Close releases it.
func Open(ctx context.Context, opts Options) (*Backend, error) {
	return &Backend{opts: opts}, nil
}

// Close stops the scheduler, cancels running syncs and closes the store.
func (b *Backend) Close() error { return nil }

// ---- directories

func (b *Backend) ListDirectories(ctx context.Context) ([]Directory, error) {
	return nil, notYet("ListDirectories")
}
func (b *Backend) GetDirectory(ctx context.Context, id string) (Directory, error) {
	return Directory{}, notYet("GetDirectory")
}

// FindDirectory returns the directory with that name (the CLI's --directory).
func (b *Backend) FindDirectory(ctx context.Context, name string) (Directory, error) {
	return Directory{}, notYet("FindDirectory")
}
func (b *Backend) CreateDirectory(ctx context.Context, in DirectoryInput) (Directory, error) {
	return Directory{}, notYet("CreateDirectory")
}
func (b *Backend) UpdateDirectory(ctx context.Context, id string, in DirectoryInput) (Directory, error) {
	return Directory{}, notYet("UpdateDirectory")
}

// Disconnect signs out, wipes the directory's secrets, settings, mappings and history.
func (b *Backend) Disconnect(ctx context.Context, id string) error { return notYet("Disconnect") }

// ---- sign-in

// SignIn runs the interactive sign-in (system browser through Options.OpenURL).
func (b *Backend) SignIn(ctx context.Context, id string) (Account, error) {
	return Account{}, notYet("SignIn")
}

// SignInDeviceCode signs in with a device code, emitting EventDeviceCode with the code to enter.
func (b *Backend) SignInDeviceCode(ctx context.Context, id string) (Account, error) {
	return Account{}, notYet("SignInDeviceCode")
}
func (b *Backend) SignOut(ctx context.Context, id string) error { return notYet("SignOut") }

// CurrentAccount returns the cached account, or nil when nobody is signed in.
func (b *Backend) CurrentAccount(ctx context.Context, id string) (*Account, error) {
	return nil, notYet("CurrentAccount")
}

// ---- tenant, domains, groups, settings

func (b *Backend) Tenant(ctx context.Context, id string) (TenantCard, error) {
	return TenantCard{}, notYet("Tenant")
}
func (b *Backend) Domains(ctx context.Context, id string) ([]DomainRow, error) {
	return nil, notYet("Domains")
}
func (b *Backend) Groups(ctx context.Context, id string, q GroupQuery) (GroupPage, error) {
	return GroupPage{}, notYet("Groups")
}
func (b *Backend) Settings(ctx context.Context, id string) (Settings, error) {
	return Settings{}, notYet("Settings")
}
func (b *Backend) SaveSettings(ctx context.Context, id string, s Settings) (Settings, error) {
	return Settings{}, notYet("SaveSettings")
}

// ---- preview and apply

// Preview reads both sides and computes a plan, kept in memory for Apply (one per directory).
func (b *Backend) Preview(ctx context.Context, id string, o PreviewOptions) (PlanSummary, error) {
	return PlanSummary{}, notYet("Preview")
}
func (b *Backend) Operations(ctx context.Context, planID string, q OpQuery) (OpPage, error) {
	return OpPage{}, notYet("Operations")
}
func (b *Backend) Skips(ctx context.Context, planID string, q SkipQuery) (SkipPage, error) {
	return SkipPage{}, notYet("Skips")
}

// DecideConflict records "take_over" or "skip" for an unmanaged same-named group and replans.
func (b *Backend) DecideConflict(ctx context.Context, planID, groupEntraID, decision string) (PlanSummary, error) {
	return PlanSummary{}, notYet("DecideConflict")
}

// Apply applies a previewed plan after checking the confirmation; it blocks until the run ends.
func (b *Backend) Apply(ctx context.Context, planID string, c Confirmation) (RunSummary, error) {
	return RunSummary{}, notYet("Apply")
}

// Cancel stops the directory's running sync: in-flight operations finish, the rest is recorded.
func (b *Backend) Cancel(ctx context.Context, id string) error { return notYet("Cancel") }

// Headless is `idpsync plan` / `idpsync sync`: preview, check the headless confirmation, apply.
func (b *Backend) Headless(ctx context.Context, id string, o HeadlessOptions) (RunSummary, PlanSummary, error) {
	return RunSummary{}, PlanSummary{}, notYet("Headless")
}

// ---- history and reports

func (b *Backend) Runs(ctx context.Context, id string, limit int) ([]RunSummary, error) {
	return nil, notYet("Runs")
}
func (b *Backend) Run(ctx context.Context, runID string) (RunSummary, error) {
	return RunSummary{}, notYet("Run")
}

// ReportPath returns the JSON report file of a run.
func (b *Backend) ReportPath(ctx context.Context, runID string) (string, error) {
	return "", notYet("ReportPath")
}
func (b *Backend) RunOperations(ctx context.Context, runID string, q OpQuery) (OpPage, error) {
	return OpPage{}, notYet("RunOperations")
}

// ---- automatic syncing

// StartScheduler runs automatic syncs of directories with AutoSync on until ctx ends.
func (b *Backend) StartScheduler(ctx context.Context) { _ = ctx }
