package backend

import (
	"context"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/store"
)

func accountDTO(a auth.Account) Account {
	return Account{Username: a.Username, Name: a.Name, TenantID: a.TenantID, ObjectID: a.ObjectID}
}

func (b *Backend) afterSignIn(ctx context.Context, d store.Directory, a auth.Account) (Account, error) {
	if d.TenantID != "" && !strings.EqualFold(d.TenantID, a.TenantID) {
		return accountDTO(a), apperr.New(apperr.TenantMismatch, "this directory syncs tenant %s (%s), but %s belongs to tenant %s",
			d.TenantID, d.TenantName, a.Username, a.TenantID).WithAction("Sign in with an account of the directory's tenant.")
	}
	d.Account = a.Username
	if err := b.st.UpdateDirectory(ctx, d); err != nil {
		return Account{}, err
	}
	return accountDTO(a), nil
}

// dirAuth returns a directory and its sign-in client.
func (b *Backend) dirAuth(ctx context.Context, id string) (store.Directory, *auth.Client, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return d, nil, err
	}
	c, err := b.authClient(ctx, d)
	return d, c, err
}

// SignIn runs the interactive sign-in (system browser through Options.OpenURL).
func (b *Backend) SignIn(ctx context.Context, id string) (Account, error) {
	d, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return Account{}, err
	}
	a, err := c.SignInInteractive(ctx, "")
	if err != nil {
		return Account{}, err
	}
	return b.afterSignIn(ctx, d, a)
}

// SignInDeviceCode signs in with a device code, emitting EventDeviceCode with the code to enter.
func (b *Backend) SignInDeviceCode(ctx context.Context, id string) (Account, error) {
	d, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return Account{}, err
	}
	a, err := c.SignInDeviceCode(ctx, func(dc auth.DeviceCode) {
		b.opts.Emitter.Emit(EventDeviceCode, DeviceCode{DirectoryID: id, UserCode: dc.UserCode, URL: dc.VerificationURL, Message: dc.Message})
	})
	if err != nil {
		return Account{}, err
	}
	return b.afterSignIn(ctx, d, a)
}

func (b *Backend) SignOut(ctx context.Context, id string) error {
	d, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return err
	}
	if err := c.SignOut(ctx); err != nil {
		return err
	}
	d.Account = ""
	return b.st.UpdateDirectory(ctx, d)
}

// CurrentAccount returns the cached account, or nil when nobody is signed in.
func (b *Backend) CurrentAccount(ctx context.Context, id string) (*Account, error) {
	_, c, err := b.dirAuth(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := c.Account(ctx)
	if apperr.CodeOf(err) == apperr.AuthRequired {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dto := accountDTO(a)
	return &dto, nil
}
