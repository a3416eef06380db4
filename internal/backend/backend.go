// Package backend is the one backend behind the GUI (app/ services) and the headless commands:
// it owns the store, the keychain secrets, the per-directory clients (sign-in, Graph, Atlassian)
// and runs previews and applies through the sync engine, reporting progress to an injected Emitter.
// The app layer and the CLI only translate calls, events and errors.
package backend

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"time"

	"github.com/idpsync/idpsync/internal/alert"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/store"
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
	Home      string             // the store's folder; "" → store.Home's default
	Emitter   Emitter            // nil → events dropped
	Secrets   keychain.Store     // nil → the OS keychain
	Endpoints Endpoints          // overrides for every directory
	Transport http.RoundTripper  // parent transport for all remote calls (nil → http.DefaultTransport)
	OpenURL   func(string) error // opens the system browser for interactive sign-in
	// AllowCustomHost lets every directory use a non-Atlassian SCIM host (emulators, demo).
	AllowCustomHost bool
	// SCIMLimiter sets the Atlassian client's adaptive pacing (zero: the client's own defaults,
	// atlassian.LimiterConfig, the only ones).
	SCIMLimiter atlassian.LimiterConfig
	Now         func() time.Time
	// Demo opens only the demo's own folder (see DemoMarker); DemoOptions sets it.
	Demo bool
	// GraphToken is a Graph access token an admin already holds (config.Config.GraphToken): the
	// reads use it instead of the signed-in account's, for headless use without the token cache.
	GraphToken string
	// Alerts delivers the alerts of automatic syncs (zero: desktop notifications and webhooks
	// over Transport).
	Alerts alert.Sender
}

// Backend is safe for concurrent use by the GUI's bound calls.
type Backend struct {
	opts   Options
	st     *store.Store
	home   string
	mu     gosync.Mutex
	auths  map[string]*auth.Client // per directory, so MSAL's in-memory cache is reused
	plans  map[string]*planEntry   // by plan id
	groups map[string]*groupCache  // the group picker's snapshot per directory
	runs   map[string]context.CancelFunc
	// previews counts the previews being computed per directory, for the status.
	previews map[string]int
	stop     chan struct{}
}

type nopEmitter struct{}

func (nopEmitter) Emit(string, any) {}

// Open opens (creating if needed) the store and starts nothing else; Close releases it.
func Open(ctx context.Context, opts Options) (*Backend, error) {
	home, err := store.Home(opts.Home)
	if err != nil {
		return nil, err
	}
	if opts.Demo {
		if err := claimDemoHome(home); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(ctx, home)
	if err != nil {
		return nil, err
	}
	if opts.Emitter == nil {
		opts.Emitter = nopEmitter{}
	}
	if opts.Secrets == nil {
		opts.Secrets = keychain.New(keychain.Options{})
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Alerts.Transport == nil {
		opts.Alerts.Transport = opts.Transport
	}
	return &Backend{opts: opts, st: st, home: home, auths: map[string]*auth.Client{}, plans: map[string]*planEntry{},
		runs: map[string]context.CancelFunc{}, previews: map[string]int{}, stop: make(chan struct{})}, nil
}

// Close stops the scheduler, cancels running syncs and closes the store.
func (b *Backend) Close() error {
	b.mu.Lock()
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	for _, c := range b.runs {
		c()
	}
	b.mu.Unlock()
	return b.st.Close()
}

// Store exposes the store (tests, the demo).
func (b *Backend) Store() *store.Store { return b.st }

// Home is the folder of the store, reports and snapshots.
func (b *Backend) Home() string { return b.home }

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ---- directories

func (b *Backend) toDTO(ctx context.Context, d store.Directory) Directory {
	out := Directory{ID: d.ID, Name: d.Name, Cloud: d.Cloud, ClientID: d.ClientID, TenantID: d.TenantID, TenantName: d.TenantName,
		SCIMBaseURL: d.SCIMBaseURL, OrgID: d.OrgID, AllowCustomHost: d.AllowCustomHost, Account: d.Account, Created: rfc(d.Created),
		Demo: d.Demo, Status: StatusDisabled, KeyExpiresInDays: -1, GraphURL: d.GraphURL, AuthorityURL: d.AuthorityURL, OrgURL: d.OrgURL, SignInTenant: d.SignInTenant}
	keyExpired := false
	if k, err := keychain.GetAPIKey(ctx, b.opts.Secrets, d.ID, keychain.SCIMKey); err == nil {
		out.HasSCIMKey = true
		out.SCIMKeyCreated = k.Stored.UTC().Format(time.DateOnly)
		out.KeyExpiresInDays = int(time.Until(k.ExpiresBy()).Hours() / 24)
		keyExpired = !b.opts.Now().Before(k.ExpiresBy())
	}
	if _, err := keychain.GetAPIKey(ctx, b.opts.Secrets, d.ID, keychain.OrgKey); err == nil {
		out.HasOrgKey = true
	}
	s, _ := b.settings(ctx, d.ID)
	st := b.status(ctx, d, s, out.HasSCIMKey, keyExpired)
	out.Status, out.StatusReason, out.LastRun = st.Status, st.Reason, st.LastRun
	if st.Status == StatusEnabled && st.LastRun != nil {
		if t, err := time.Parse(time.RFC3339, st.LastRun.Started); err == nil {
			out.NextSync = rfc(t.Add(time.Duration(s.AutoIntervalMinutes) * time.Minute))
		}
	}
	if maps, err := b.st.Mappings(ctx, d.ID); err == nil {
		for _, m := range maps {
			if m.Kind == "group" {
				out.SyncedGroups++
			} else if m.Managed {
				out.SyncedUsers++
			}
		}
	}
	if c, _ := b.st.StandingConfirmation(ctx, d.ID); c != nil {
		out.SyncedDomains = len(c.Domains)
	}
	out.LastAlert, _ = b.LastAlert(ctx, d.ID)
	out.Warnings = append([]string{}, b.sameTenant(ctx, d.ID, d.TenantID)...)
	return out
}

func (b *Backend) ListDirectories(ctx context.Context) ([]Directory, error) {
	ds, err := b.st.ListDirectories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Directory, 0, len(ds))
	for _, d := range ds {
		out = append(out, b.toDTO(ctx, d))
	}
	return out, nil
}

func (b *Backend) GetDirectory(ctx context.Context, id string) (Directory, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return Directory{}, err
	}
	return b.toDTO(ctx, d), nil
}

// FindDirectory returns the directory with that name (the CLI's --directory).
func (b *Backend) FindDirectory(ctx context.Context, name string) (Directory, error) {
	d, err := b.st.DirectoryByName(ctx, name)
	if err != nil {
		return Directory{}, err
	}
	return b.toDTO(ctx, d), nil
}

func validateInput(in *DirectoryInput, allowCustom bool) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return apperr.New(apperr.InvalidInput, "the directory needs a name")
	}
	if len([]rune(in.Name)) > 100 {
		return apperr.New(apperr.InvalidInput, "the directory name is longer than 100 characters")
	}
	if in.Cloud == "" {
		in.Cloud = "global"
	}
	if _, err := auth.CloudEndpoints(directoryCloud(in.Cloud)); err != nil {
		return err
	}
	if strings.TrimSpace(in.ClientID) == "" {
		return apperr.New(apperr.InvalidInput, "the application (client) id is missing").WithAction("Enter the client id of your app registration in Entra.")
	}
	if _, err := validateSCIMURL(in.SCIMBaseURL, in.AllowCustomHost || allowCustom); err != nil {
		return err
	}
	if err := validateEndpoints(in); err != nil {
		return err
	}
	if err := validateSignInTenant(in); err != nil {
		return err
	}
	for _, k := range []string{in.SCIMAPIKey, in.OrgAPIKey} {
		if strings.ContainsAny(k, " \t\r\n") || len(k) > 4096 {
			return apperr.New(apperr.InvalidInput, "an API key contains spaces or is too long").WithAction("Paste the key exactly as Atlassian shows it.")
		}
	}
	return nil
}

func (b *Backend) CreateDirectory(ctx context.Context, in DirectoryInput) (Directory, error) {
	if err := validateInput(&in, b.opts.AllowCustomHost); err != nil {
		return Directory{}, err
	}
	if err := b.refuseSameSCIM(ctx, "", in.SCIMBaseURL); err != nil {
		return Directory{}, err
	}
	if err := b.refuseRefusedKeys(ctx, "", in); err != nil {
		return Directory{}, err
	}
	d := store.Directory{ID: engine.NewID(), Name: in.Name, Cloud: in.Cloud, ClientID: strings.TrimSpace(in.ClientID), SCIMBaseURL: strings.TrimSpace(in.SCIMBaseURL),
		OrgID: strings.TrimSpace(in.OrgID), AllowCustomHost: in.AllowCustomHost, SCIMKeyCreated: in.SCIMKeyCreated, Created: b.opts.Now(),
		GraphURL: in.GraphURL, AuthorityURL: in.AuthorityURL, OrgURL: in.OrgURL, SignInTenant: in.SignInTenant}
	if err := b.st.CreateDirectory(ctx, d); err != nil {
		return Directory{}, err
	}
	if err := b.putKeys(ctx, d.ID, in); err != nil {
		_ = b.st.DeleteDirectory(ctx, d.ID)
		return Directory{}, err
	}
	if err := b.st.SaveSettings(ctx, d.ID, defaultSettings()); err != nil {
		return Directory{}, err
	}
	return b.GetDirectory(ctx, d.ID)
}

func (b *Backend) putKeys(ctx context.Context, id string, in DirectoryInput) error {
	stored := b.opts.Now()
	if t, err := time.Parse(time.DateOnly, in.SCIMKeyCreated); err == nil {
		stored = t
	}
	if in.SCIMAPIKey != "" {
		if err := keychain.PutAPIKey(ctx, b.opts.Secrets, id, keychain.SCIMKey, in.SCIMAPIKey, stored); err != nil {
			return err
		}
	}
	if in.OrgAPIKey != "" {
		if err := keychain.PutAPIKey(ctx, b.opts.Secrets, id, keychain.OrgKey, in.OrgAPIKey, b.opts.Now()); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) UpdateDirectory(ctx context.Context, id string, in DirectoryInput) (Directory, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return Directory{}, err
	}
	if err := validateInput(&in, b.opts.AllowCustomHost); err != nil {
		return Directory{}, err
	}
	if err := b.refuseSameSCIM(ctx, id, in.SCIMBaseURL); err != nil {
		return Directory{}, err
	}
	if err := b.refuseRefusedKeys(ctx, id, in); err != nil {
		return Directory{}, err
	}
	d.Name, d.Cloud, d.ClientID, d.SCIMBaseURL, d.OrgID, d.AllowCustomHost = in.Name, in.Cloud, strings.TrimSpace(in.ClientID), strings.TrimSpace(in.SCIMBaseURL), strings.TrimSpace(in.OrgID), in.AllowCustomHost
	d.GraphURL, d.AuthorityURL, d.OrgURL = in.GraphURL, in.AuthorityURL, in.OrgURL
	if err := pinnedAgrees(d, in.SignInTenant); err != nil {
		return Directory{}, err
	}
	d.SignInTenant = in.SignInTenant
	if in.SCIMKeyCreated != "" {
		d.SCIMKeyCreated = in.SCIMKeyCreated
	}
	if err := b.st.UpdateDirectory(ctx, d); err != nil {
		return Directory{}, err
	}
	if err := b.putKeys(ctx, id, in); err != nil {
		return Directory{}, err
	}
	b.mu.Lock()
	delete(b.auths, id) // the client id, cloud or sign-in tenant may have changed
	b.mu.Unlock()
	return b.GetDirectory(ctx, id)
}

// Disconnect signs out, wipes the directory's secrets, settings, mappings and history.
func (b *Backend) Disconnect(ctx context.Context, id string) error {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return err
	}
	lock, err := b.st.LockDirectory(ctx, id, "disconnect")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if c, err := b.authClient(ctx, d); err == nil {
		_ = c.SignOut(ctx)
	}
	for _, k := range []keychain.KeyKind{keychain.SCIMKey, keychain.OrgKey} {
		if err := keychain.DeleteAPIKey(ctx, b.opts.Secrets, id, k); err != nil && apperr.CodeOf(err) != apperr.SecretMissing {
			return err
		}
	}
	b.mu.Lock()
	delete(b.auths, id)
	b.dropPlans(id)
	b.mu.Unlock()
	_ = os.Remove(filepath.Join(b.home, "snapshots", id+".snapshot.gz"))
	_ = alert.DeleteWebhook(ctx, b.opts.Secrets, id)
	_ = os.Remove(b.alertPath(id))
	return b.st.DeleteDirectory(ctx, id)
}
