package backend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/keychain"
)

// demoBackend opens a backend on a fresh demo tenant (60 users, 8 groups) with one directory.
// ctx bounds the test's calls as it bounds the emulators: 2 minutes, where one of these tests
// takes seconds, so a hung call fails the test with its own message instead of the binary's
// 10-minute timeout.
func demoBackend(t *testing.T) (context.Context, *Backend, *demo.Env, Directory) {
	t.Helper()
	// Each caller runs in parallel: its own demo world and home, and it waits on the emulators,
	// pacing and fsyncs. Before the 2-minute context, which must not run while the test queues.
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	env, b, d := openDemo(ctx, t, 60, 8, t.TempDir(), &recorder{})
	return ctx, b, env, d
}

// A wrong or expired directory key used to give an incremental preview "Succeeded, 0 changes";
// a wrong organization key went unnoticed by headless runs. Every plan now proves both keys
// first and fails with atlassian_unauthorized, the key's age and what to do.
func TestIssue18_05_EveryRunProvesItsKeys(t *testing.T) {
	ctx, b, env, d := demoBackend(t)
	_, plan, err := b.Headless(ctx, d.ID, HeadlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains}); err != nil {
		t.Fatal(err)
	}
	// The directory key, stored 400 days ago, no longer works (regenerated in Atlassian).
	if err := keychain.PutAPIKey(ctx, env.Secrets, d.ID, keychain.SCIMKey, "regenerated-elsewhere", time.Now().AddDate(0, 0, -400)); err != nil {
		t.Fatal(err)
	}
	_, _, err = b.Headless(ctx, d.ID, HeadlessOptions{}) // incremental: nothing changed in Entra
	ae := apperr.As(err)
	if ae.Code != apperr.AtlassianUnauthorized || !strings.Contains(ae.Message, "directory API key") || !strings.Contains(ae.Message, "400 days") || ae.Action == "" {
		t.Fatalf("wrong directory key: %v", err)
	}
	if _, err := b.Preview(ctx, d.ID, PreviewOptions{}); apperr.CodeOf(err) != apperr.AtlassianUnauthorized {
		t.Fatalf("GUI preview with a wrong directory key: %v", err)
	}
	runs, _ := b.st.Runs(ctx, d.ID, "", 1)
	if len(runs) != 1 || runs[0].Status == "succeeded" || runs[0].Status == "planned" || runs[0].ErrorCode != string(apperr.AtlassianUnauthorized) {
		t.Fatalf("the run is recorded as %+v", runs)
	}
	// The directory key is back; the organization key is wrong.
	if err := keychain.PutAPIKey(ctx, env.Secrets, d.ID, keychain.SCIMKey, env.Atlassian.APIKey(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := keychain.PutAPIKey(ctx, env.Secrets, d.ID, keychain.OrgKey, "wrong-org-key", time.Now()); err != nil {
		t.Fatal(err)
	}
	_, _, err = b.Headless(ctx, d.ID, HeadlessOptions{})
	if ae := apperr.As(err); ae.Code != apperr.AtlassianUnauthorized || !strings.Contains(ae.Message, "organization API key") {
		t.Fatalf("wrong organization key: %v", err)
	}
}

// Setup and the Connection tab do not save a key Atlassian refused unless the admin chooses to.
func TestIssue18_05_RefusedKeyIsNotSavedUnlessChosen(t *testing.T) {
	ctx, b, env, d := demoBackend(t)
	// A fresh home on the same emulators: the demo directory's SCIM directory is free there.
	fresh, err := Open(ctx, demoOptions(env, t.TempDir(), &recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	in := DirectoryInput{Name: "Second", Cloud: "global", ClientID: env.ClientID(), SCIMBaseURL: env.Atlassian.SCIMURL(),
		SCIMAPIKey: "typo-in-the-key", AllowCustomHost: true}
	_, err = fresh.CreateDirectory(ctx, in)
	if apperr.CodeOf(err) != apperr.AtlassianUnauthorized || !strings.Contains(err.Error(), "nothing was saved") || strings.Contains(err.Error(), "typo-in-the-key") {
		t.Fatalf("create with a refused key: %v", err)
	}
	if ds, _ := fresh.ListDirectories(ctx); len(ds) != 0 {
		t.Fatalf("%d directories after a refused create", len(ds))
	}
	// Edit: a refused organization key leaves the stored one as it was.
	edit := DirectoryInput{Name: d.Name, Cloud: "global", ClientID: d.ClientID, SCIMBaseURL: d.SCIMBaseURL, AllowCustomHost: true,
		OrgID: d.OrgID, OrgAPIKey: "typo-org-key"}
	if _, err := b.UpdateDirectory(ctx, d.ID, edit); apperr.CodeOf(err) != apperr.AtlassianUnauthorized {
		t.Fatalf("edit with a refused org key: %v", err)
	}
	if k, _ := keychain.GetAPIKey(ctx, env.Secrets, d.ID, keychain.OrgKey); k.Secret != env.Atlassian.OrgAPIKey() {
		t.Fatal("the refused organization key replaced the stored one")
	}
	// The admin's explicit choice saves it.
	edit.SaveUntested = true
	if _, err := b.UpdateDirectory(ctx, d.ID, edit); err != nil {
		t.Fatal(err)
	}
	if k, _ := keychain.GetAPIKey(ctx, env.Secrets, d.ID, keychain.OrgKey); k.Secret != "typo-org-key" {
		t.Fatal("save anyway did not save")
	}
}
