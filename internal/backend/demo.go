package backend

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/idpsync/idpsync/internal/apperr"
)

// DemoMarker is the file that makes a folder the demo's own. Demo mode opens only a folder that
// has it or is new (missing or empty, and then gets it): the demo runs on an in-memory keychain
// and emulators, and on a home with real directories it replaced their sign-ins and deleted
// their sealed token caches, whose keys it could not find.
const DemoMarker = "demo-home"

// DemoHome is the demo's folder for base (IDPSYNC_HOME): base itself when it is the demo's
// already or new, else base/demo, so that a home holding real directories is never the demo's.
func DemoHome(base string) string {
	if ok, _ := demoHomeState(base); ok {
		return base
	}
	return filepath.Join(base, "demo")
}

// demoHomeState reports whether home may be the demo's: it carries DemoMarker, or is missing or
// an empty folder.
func demoHomeState(home string) (ok bool, err error) {
	if _, err := os.Stat(filepath.Join(home, DemoMarker)); err == nil {
		return true, nil
	}
	f, err := os.Open(home)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err == io.EOF {
		return true, nil
	} else if err != nil {
		return false, err
	}
	return false, nil
}

// claimDemoHome makes home the demo's, or refuses a folder that holds anything else.
func claimDemoHome(home string) error {
	ok, err := demoHomeState(home)
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot read the demo's folder %s", home)
	}
	if !ok {
		return apperr.New(apperr.InvalidInput, "demo mode does not open %s: the folder is not the demo's (it holds other files, such as real directories)", home).
			WithAction("Start the demo without IDPSYNC_HOME, or point IDPSYNC_HOME at an empty folder.")
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot create the demo's folder %s", home)
	}
	if err := os.WriteFile(filepath.Join(home, DemoMarker), []byte("IdP Sync demo mode: emulated tenant, nothing real.\n"), 0o600); err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot mark the demo's folder %s", home)
	}
	return nil
}

// SetupDemo creates the demo directory in afresh (the emulators are new on every start, so no
// earlier state applies), marks it as the demo's, and signs in (internal/demomode supplies in
// and the emulated browser that completes the sign-in).
func (b *Backend) SetupDemo(ctx context.Context, in DirectoryInput) (Directory, error) {
	if d, err := b.st.DirectoryByName(ctx, in.Name); err == nil {
		if err := b.Disconnect(ctx, d.ID); err != nil {
			return Directory{}, err
		}
	} else if apperr.CodeOf(err) != apperr.NotFound {
		return Directory{}, err
	}
	d, err := b.CreateDirectory(ctx, in)
	if err != nil {
		return Directory{}, err
	}
	sd, err := b.st.GetDirectory(ctx, d.ID)
	if err != nil {
		return Directory{}, err
	}
	sd.Demo = true
	if err := b.st.UpdateDirectory(ctx, sd); err != nil {
		return Directory{}, err
	}
	if _, err := b.SignIn(ctx, d.ID); err != nil {
		return Directory{}, err
	}
	return b.GetDirectory(ctx, d.ID)
}
