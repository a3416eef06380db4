package backend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/demo"
)

// Issue 13 point 3: "after a restart it says 'Sync enabled' with a next-sync time while the
// directory is 'Not signed in'". Automatic syncing is on and a sync was made; the app closes; the
// Microsoft sign-in is gone from the keychain (the key of the sealed token cache, "envelope/"
// + "msal-<id>": a reset keychain, another OS user); the app opens again over the same home. The
// directory and the list then say not signed in, with no next-sync time (the scheduler does not
// run a directory that cannot read its tenant). The body compiles on 4d2e2e2 too, where it fails.
func TestRestartWithoutTheSignInSaysNotSignedIn(t *testing.T) {
	t.Parallel() // its own demo world and home; it waits on the emulators, pacing and fsyncs
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	env, b, d := openDemo(ctx, t, 40, 5, home, nil)
	s, err := b.Settings(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.AutoSync, s.AutoIntervalMinutes = true, 240
	if _, err := b.SaveSettings(ctx, d.ID, s); err != nil {
		t.Fatal(err)
	}
	_, p, err := b.Headless(ctx, d.ID, HeadlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Headless(ctx, d.ID, HeadlessOptions{ConfirmTenant: p.TenantID, ConfirmDomains: p.Domains, Yes: true, Apply: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.GetDirectory(ctx, d.ID); err != nil || string(got.Status) != "enabled" || got.NextSync == "" {
		t.Fatalf("signed in after a sync: status %q, next sync %q (%v); want enabled with a next sync", got.Status, got.NextSync, err)
	}
	b.Close()
	if err := env.Secrets.Delete(ctx, "envelope/msal-"+strings.ToLower(d.ID)); err != nil {
		t.Fatal(err)
	}

	b = reopenDemo(ctx, t, env, home)
	got, err := b.GetDirectory(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Status) != "not_signed_in" || got.NextSync != "" {
		t.Errorf("after the restart without the sign-in: status %q, next sync %q; want not_signed_in and no next sync", got.Status, got.NextSync)
	}
	list, err := b.ListDirectories(ctx)
	if err != nil || len(list) != 1 || string(list[0].Status) != "not_signed_in" || list[0].NextSync != "" {
		t.Errorf("the list after the restart: %+v (%v); want the one directory not_signed_in with no next sync", list, err)
	}
}

// reopenDemo opens a second backend over home on the same emulators, as the app does at its next
// start; it closes with the test.
func reopenDemo(ctx context.Context, t *testing.T, env *demo.Env, home string) *Backend {
	t.Helper()
	b, err := Open(ctx, demoOptions(env, home, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
