package backend

import (
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

// A second IdP Sync directory on the SCIM directory of an existing one is refused, however its
// URL is typed; the same Entra tenant in two directories is a warning on both.
func TestIssue18_08_OneIdPSyncDirectoryPerSCIMDirectory(t *testing.T) {
	ctx, b, env, d := demoBackend(t)
	url := env.Atlassian.SCIMURL()
	i := strings.Index(url, "/scim/")
	id := url[i+len("/scim/directory/"):]
	for _, typed := range []string{url, url + "/", strings.ToUpper(url[:i]) + url[i:], url[:i] + "/scim/directory/" + strings.ToUpper(id)} {
		_, err := b.CreateDirectory(ctx, DirectoryInput{Name: "Second", Cloud: "global", ClientID: "c2", SCIMBaseURL: typed, AllowCustomHost: true})
		if apperr.CodeOf(err) != apperr.DirectoryDuplicate || !strings.Contains(err.Error(), d.Name) {
			t.Fatalf("%s: %v", typed, err)
		}
	}
	if ds, _ := b.ListDirectories(ctx); len(ds) != 1 {
		t.Fatalf("%d directories after refused creates", len(ds))
	}
	other, err := b.CreateDirectory(ctx, DirectoryInput{Name: "Other", Cloud: "global", ClientID: "c2",
		SCIMBaseURL: url[:i] + "/scim/directory/another-directory", AllowCustomHost: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(other.Warnings) != 0 {
		t.Fatalf("warnings before any tenant: %q", other.Warnings)
	}
	// Editing the other one onto the first one's SCIM directory is refused as well.
	if _, err := b.UpdateDirectory(ctx, other.ID, DirectoryInput{Name: "Other", Cloud: "global", ClientID: "c2", SCIMBaseURL: url, AllowCustomHost: true}); apperr.CodeOf(err) != apperr.DirectoryDuplicate {
		t.Fatalf("edit onto a used SCIM directory: %v", err)
	}
	// Both read the same tenant: a warning on each, naming the other.
	for _, id := range []string{d.ID, other.ID} {
		sd, _ := b.st.GetDirectory(ctx, id)
		sd.TenantID = env.Tenant.ID
		if err := b.st.UpdateDirectory(ctx, sd); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := b.GetDirectory(ctx, other.ID)
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], d.Name) || !strings.Contains(got.Warnings[0], env.Tenant.ID) {
		t.Fatalf("warnings %q", got.Warnings)
	}
	plan, err := b.Preview(ctx, d.ID, PreviewOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range plan.Notices {
		found = found || strings.Contains(n, "Other")
	}
	if !found {
		t.Fatalf("the preview does not warn about the same tenant: %q", plan.Notices)
	}
}
