package app

import (
	"context"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
)

// DirectoryService serves the identity-provider screens: the list, the add/edit flow with its
// connection test and Microsoft sign-in, the tenant card, and the sync settings with their
// domain list and group picker.
type DirectoryService struct {
	env  *env
	core *core
}

// with runs fn against the opened backend inside call, so every failure is coded.
func with[T any](c *core, op string, fn func(b *backend.Backend) (T, error)) (T, error) {
	return call(op, func() (T, error) {
		b, err := c.backend()
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(b)
	})
}

// Done is the result of a call that only succeeds or fails.
type Done struct {
	OK bool `json:"ok"`
}

// List returns every directory with its status and last-sync counts.
func (s *DirectoryService) List() ([]backend.Directory, error) {
	return with(s.core, "List", func(b *backend.Backend) ([]backend.Directory, error) {
		return b.ListDirectories(s.core.ctx)
	})
}

// Get returns one directory.
func (s *DirectoryService) Get(id string) (backend.Directory, error) {
	return with(s.core, "Get", func(b *backend.Backend) (backend.Directory, error) {
		return b.GetDirectory(s.core.ctx, id)
	})
}

// Create adds a directory; its keys go to the keychain and never come back.
func (s *DirectoryService) Create(in backend.DirectoryInput) (backend.Directory, error) {
	return with(s.core, "Create", func(b *backend.Backend) (backend.Directory, error) {
		return b.CreateDirectory(s.core.ctx, in)
	})
}

// Update edits a directory; empty key fields keep the stored keys.
func (s *DirectoryService) Update(id string, in backend.DirectoryInput) (backend.Directory, error) {
	return with(s.core, "Update", func(b *backend.Backend) (backend.Directory, error) {
		return b.UpdateDirectory(s.core.ctx, id, in)
	})
}

// Disconnect signs out, wipes the directory's keys and removes its settings and history.
func (s *DirectoryService) Disconnect(id string) (Done, error) {
	return with(s.core, "Disconnect", func(b *backend.Backend) (Done, error) {
		return Done{OK: true}, b.Disconnect(s.core.ctx, id)
	})
}

// TestConnection checks the Atlassian URL and keys part by part (id "" for a new directory).
func (s *DirectoryService) TestConnection(id string, in backend.DirectoryInput) (backend.ConnectionReport, error) {
	return with(s.core, "TestConnection", func(b *backend.Backend) (backend.ConnectionReport, error) {
		return b.TestConnection(s.core.ctx, id, in)
	})
}

// SignIn opens Microsoft's sign-in in the system browser and waits for it (CancelSignIn stops it).
func (s *DirectoryService) SignIn(id string) (backend.Account, error) {
	return s.signIn("SignIn", id, (*backend.Backend).SignIn)
}

// SignInDeviceCode signs in with a device code; the code arrives as the auth:devicecode event.
func (s *DirectoryService) SignInDeviceCode(id string) (backend.Account, error) {
	return s.signIn("SignInDeviceCode", id, (*backend.Backend).SignInDeviceCode)
}

// signIn runs one way of signing in under the directory's sign-in context, which CancelSignIn
// cancels.
func (s *DirectoryService) signIn(name, id string, how func(*backend.Backend, context.Context, string) (backend.Account, error)) (backend.Account, error) {
	return with(s.core, name, func(b *backend.Backend) (backend.Account, error) {
		ctx, done := s.core.signInContext(id)
		defer done()
		a, err := how(b, ctx, id)
		return a, canceledSignIn(ctx.Err(), err)
	})
}

// canceledSignIn gives a sign-in the admin cancelled its own code, whatever MSAL returned.
func canceledSignIn(ctxErr, err error) error {
	if err != nil && ctxErr != nil {
		return apperr.Wrap(err, apperr.AuthCanceled, "the sign-in was cancelled").WithAction("Sign in again when you are ready.")
	}
	return err
}

// CancelSignIn stops a sign-in that is waiting for the browser or the device code.
func (s *DirectoryService) CancelSignIn(id string) (Done, error) {
	return call("CancelSignIn", func() (Done, error) {
		return Done{OK: s.core.cancelSignIn(id)}, nil
	})
}

// OpenDeviceLogin opens the device-code page in the system browser (in demo mode the emulated
// browser, which enters the code itself, standing in for the admin).
func (s *DirectoryService) OpenDeviceLogin(id string) (Done, error) {
	return call("OpenDeviceLogin", func() (Done, error) {
		s.core.mu.Lock()
		dc, ok := s.core.deviceCodes[id]
		s.core.mu.Unlock()
		if !ok {
			return Done{}, apperr.New(apperr.NotFound, "no device code is waiting for this directory").WithAction("Start the device code sign-in again.")
		}
		return Done{OK: true}, s.core.openDeviceLogin(dc)
	})
}

// SignOut forgets the directory's Microsoft account.
func (s *DirectoryService) SignOut(id string) (Done, error) {
	return with(s.core, "SignOut", func(b *backend.Backend) (Done, error) {
		return Done{OK: true}, b.SignOut(s.core.ctx, id)
	})
}

// Account is the signed-in Microsoft account, or nil.
func (s *DirectoryService) Account(id string) (*backend.Account, error) {
	return with(s.core, "Account", func(b *backend.Backend) (*backend.Account, error) {
		return b.CurrentAccount(s.core.ctx, id)
	})
}

// Tenant reads the signed-in tenant for the "is this the right tenant?" card.
func (s *DirectoryService) Tenant(id string) (backend.TenantCard, error) {
	return with(s.core, "Tenant", func(b *backend.Backend) (backend.TenantCard, error) {
		return b.Tenant(s.core.ctx, id)
	})
}

// Domains lists the Entra domains with their verification and Atlassian claim status.
func (s *DirectoryService) Domains(id string) ([]backend.DomainRow, error) {
	return with(s.core, "Domains", func(b *backend.Backend) ([]backend.DomainRow, error) {
		return b.Domains(s.core.ctx, id)
	})
}

// Groups pages the group picker: a level of the tree, or a search.
func (s *DirectoryService) Groups(id string, q backend.GroupQuery) (backend.GroupPage, error) {
	return with(s.core, "Groups", func(b *backend.Backend) (backend.GroupPage, error) {
		return b.Groups(s.core.ctx, id, q)
	})
}

// SyncSettings returns the directory's sync settings.
func (s *DirectoryService) SyncSettings(id string) (backend.Settings, error) {
	return with(s.core, "SyncSettings", func(b *backend.Backend) (backend.Settings, error) {
		return b.Settings(s.core.ctx, id)
	})
}

// SaveSettings stores the settings; a preview made before is no longer current.
func (s *DirectoryService) SaveSettings(id string, in backend.Settings) (backend.Settings, error) {
	return with(s.core, "SaveSettings", func(b *backend.Backend) (backend.Settings, error) {
		return b.SaveSettings(s.core.ctx, id, in)
	})
}

// DemoConnection is what the add flow pre-fills in demo mode: the emulators' addresses and
// their emulated keys (not secrets: they open only the loopback emulators of this run).
type DemoConnection struct {
	Demo        bool   `json:"demo"`
	ClientID    string `json:"clientId,omitempty"`
	SCIMBaseURL string `json:"scimBaseUrl,omitempty"`
	SCIMAPIKey  string `json:"scimApiKey,omitempty"`
	OrgID       string `json:"orgId,omitempty"`
	OrgAPIKey   string `json:"orgApiKey,omitempty"`
	// ConflictGroups are the Entra groups whose names the demo organization already holds as
	// unmanaged groups, so that a tester knows which groups to pick to see the conflict screen.
	ConflictGroups []string `json:"conflictGroups,omitempty"`
}

// DemoDefaults returns the demo's connection values, or {demo:false} outside demo mode.
func (s *DirectoryService) DemoDefaults() (DemoConnection, error) {
	return with(s.core, "DemoDefaults", func(*backend.Backend) (DemoConnection, error) {
		d := s.core.demo()
		if d == nil {
			return DemoConnection{}, nil
		}
		in := d.Input()
		return DemoConnection{Demo: true, ClientID: in.ClientID, SCIMBaseURL: in.SCIMBaseURL, SCIMAPIKey: in.SCIMAPIKey,
			OrgID: in.OrgID, OrgAPIKey: in.OrgAPIKey, ConflictGroups: d.Conflicts()}, nil
	})
}

// RetiredGroups lists the groups Entra renames retired that still hold members (and access).
func (s *DirectoryService) RetiredGroups(id string) ([]backend.RetiredGroup, error) {
	return with(s.core, "RetiredGroups", func(b *backend.Backend) ([]backend.RetiredGroup, error) {
		return b.RetiredGroups(s.core.ctx, id)
	})
}

// FinishRename empties and deletes a retired group; confirmName must repeat its name.
func (s *DirectoryService) FinishRename(id, scimID, confirmName string) ([]backend.RetiredGroup, error) {
	return with(s.core, "FinishRename", func(b *backend.Backend) ([]backend.RetiredGroup, error) {
		return b.FinishRename(s.core.ctx, id, scimID, confirmName)
	})
}
