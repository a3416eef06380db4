package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/keychain"
)

func (w *world) directories() []backend.Directory {
	w.t.Helper()
	r := w.run("", nil, "directory", "list", "--json")
	if r.code != 0 {
		w.t.Fatalf("directory list: %s", r.all())
	}
	var ds []backend.Directory
	r.doc(w.t, "directories", &ds)
	return ds
}

func wantRefused(t *testing.T, r result, code int, errCode apperr.Code) {
	t.Helper()
	if r.code != code || !strings.Contains(r.errOut, "error ["+string(errCode)+"]") {
		t.Fatalf("exit %d, want %d with [%s]:\n%s", r.code, code, errCode, r.all())
	}
}

// Issue 16 point 1: a directory is set up from a terminal as from the screens, with its keys on
// standard input, and every bad input is refused with a code and nothing stored.
func TestIssue16_01_DirectoryAddRefusesBadInputAndStoresNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	e := w.env
	keys := e.Atlassian.APIKey() + "\n" + e.Atlassian.OrgAPIKey() + "\n"
	add := append(w.addArgs("Contoso Ünïcode"), "--scim-key-stdin", "--org-key-stdin")

	for _, tc := range []struct {
		name    string
		stdin   string
		env     []string
		args    []string
		code    int
		errCode apperr.Code
	}{
		{"missing SCIM key", "", nil, w.addArgs("Contoso Ünïcode"), ExitFailure, apperr.SecretMissing},
		{"empty stdin", "", nil, add, ExitFailure, apperr.SecretMissing},
		{"org id without its key", e.Atlassian.APIKey() + "\n", nil, append(w.addArgs("Contoso Ünïcode"), "--scim-key-stdin"), ExitFailure, apperr.SecretMissing},
		{"key on the command line", "", nil, append(w.addArgs("Contoso Ünïcode"), "--scim-key", e.Atlassian.APIKey()), ExitUsage, apperr.InvalidInput},
		{"wrong SCIM key", "not-the-key\n" + e.Atlassian.OrgAPIKey() + "\n", nil, add, ExitFailure, apperr.AtlassianUnauthorized},
		{"wrong org key from the environment", e.Atlassian.APIKey() + "\n", []string{"IDPSYNC_ORG_API_KEY=wrong"}, append(w.addArgs("Contoso Ünïcode"), "--scim-key-stdin"), ExitFailure, apperr.AtlassianUnauthorized},
		{"http endpoint", keys, nil, append(add, "--graph-url", "http://127.0.0.1:1/v1.0"), ExitFailure, apperr.InsecureURL},
		{"no name", keys, nil, []string{"directory", "add", "--client-id", "x", "--scim-url", e.Atlassian.SCIMURL()}, ExitUsage, apperr.InvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.run(tc.stdin, tc.env, tc.args...)
			wantRefused(t, r, tc.code, tc.errCode)
			if strings.Contains(r.all(), e.Atlassian.APIKey()) || strings.Contains(r.all(), e.Atlassian.OrgAPIKey()) {
				t.Fatalf("a key was printed:\n%s", r.all())
			}
			if ds := w.directories(); len(ds) != 0 {
				t.Fatalf("a refused add stored %+v", ds)
			}
		})
	}

	// The good one: keys from stdin; then the same name again (any case) is refused.
	r := w.run(keys, nil, append(add, "--json")...)
	if r.code != 0 {
		t.Fatalf("add: %s", r.all())
	}
	var d backend.Directory
	r.doc(t, "directory", &d)
	if d.Name != "Contoso Ünïcode" || !d.HasSCIMKey || !d.HasOrgKey || d.GraphURL != e.GraphURL() || d.AuthorityURL != e.AuthorityURL() || d.OrgURL != e.OrgURL() {
		t.Fatalf("added %+v", d)
	}
	wantRefused(t, w.run(keys, nil, append(w.addArgs("CONTOSO ÜNÏCODE"), "--scim-key-stdin", "--org-key-stdin")...), ExitFailure, apperr.InvalidInput)
	if ds := w.directories(); len(ds) != 1 {
		t.Fatalf("directories %+v", ds)
	}
	// The keys are in the real keychain under the directory's id, and nowhere in the output.
	ctx := context.Background()
	k, err := keychain.GetAPIKey(ctx, keychain.New(keychain.Options{}), d.ID, keychain.SCIMKey)
	if err != nil || k.Secret != e.Atlassian.APIKey() {
		t.Fatalf("SCIM key in the keychain: %v", err)
	}
	t.Cleanup(func() { w.run("", nil, "directory", "remove", "--directory", d.Name, "--yes") })

	// test: every part passes, in words and in JSON.
	r = w.run("", nil, "directory", "test", "--directory", "contoso ünïcode")
	if r.code != 0 || !strings.Contains(r.out, "OK       SCIM API key") || !strings.Contains(r.out, "OK       Organization API key") {
		t.Fatalf("test:\n%s", r.all())
	}
	// A wrong key given to test is reported for its part, and exits 1; the stored key stays.
	r = w.run("wrong\n", nil, "directory", "test", "--directory", d.Name, "--scim-key-stdin", "--json")
	var conn struct {
		OK    bool `json:"ok"`
		Parts []struct{ Part, Status, Code string }
	}
	r.doc(t, "connection", &conn)
	if r.code != ExitFailure || conn.OK || len(conn.Parts) != 4 || conn.Parts[1].Part != "scimKey" || conn.Parts[1].Status != "failed" || conn.Parts[1].Code != string(apperr.AtlassianUnauthorized) {
		t.Fatalf("test with a wrong key: %+v\n%s", conn, r.all())
	}
	// edit with a wrong key is refused and keeps the stored key; a good edit changes only the
	// fields given.
	wantRefused(t, w.run("wrong\n", nil, "directory", "edit", "--directory", d.Name, "--scim-key-stdin", "--name", "Renamed"), ExitFailure, apperr.AtlassianUnauthorized)
	if k, err := keychain.GetAPIKey(ctx, keychain.New(keychain.Options{}), d.ID, keychain.SCIMKey); err != nil || k.Secret != e.Atlassian.APIKey() {
		t.Fatalf("a refused edit changed the key: %v", err)
	}
	r = w.run("", nil, "directory", "edit", "--directory", d.Name, "--name", "Contoso EU", "--json")
	var ed backend.Directory
	r.doc(t, "directory", &ed)
	if r.code != 0 || ed.Name != "Contoso EU" || ed.ClientID != d.ClientID || ed.GraphURL != d.GraphURL || !ed.HasSCIMKey {
		t.Fatalf("edit: %+v\n%s", ed, r.all())
	}
	// Unknown directories are not_found everywhere.
	for _, args := range [][]string{{"directory", "show", "--directory", "Nope"}, {"directory", "test", "--directory", "Nope"},
		{"directory", "remove", "--directory", "Nope", "--yes"}, {"settings", "get", "--directory", "Nope"}, {"signin", "--directory", "Nope"},
		{"conflicts", "list", "--directory", "Nope"}, {"plan", "--directory", "Nope"}} {
		wantRefused(t, w.run("", nil, args...), ExitFailure, apperr.NotFound)
	}
	// remove without a terminal needs --yes; with it, the keys leave the keychain.
	if r := w.run("", nil, "directory", "remove", "--directory", "Contoso EU"); r.code != ExitUsage {
		t.Fatalf("remove without --yes: %s", r.all())
	}
	if r := w.run("", nil, "directory", "remove", "--directory", "Contoso EU", "--yes"); r.code != 0 {
		t.Fatalf("remove: %s", r.all())
	}
	if _, err := keychain.GetAPIKey(ctx, keychain.New(keychain.Options{}), d.ID, keychain.SCIMKey); apperr.CodeOf(err) != apperr.SecretMissing {
		t.Fatalf("key after remove: %v", err)
	}
	if ds := w.directories(); len(ds) != 0 {
		t.Fatalf("after remove: %+v", ds)
	}
}

// --tenant is the setup screen's Directory (tenant) ID field: a GUID or a verified domain is
// stored (lowercased) in the directory's sign-in tenant, the shared endpoints and anything else
// are refused with the screen's code and nothing is stored, and an edit of another field keeps it.
func TestDirectoryTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	e := w.env
	keys := e.Atlassian.APIKey() + "\n" + e.Atlassian.OrgAPIKey() + "\n"
	add := append(w.addArgs("Contoso"), "--scim-key-stdin", "--org-key-stdin", "--no-test", "--json")
	for _, bad := range []string{"organizations", "Common", "consumers", "contoso", "8f1c2d3e-0a4b-4c5d-9e6f", "a b.com"} {
		wantRefused(t, w.run(keys, nil, append(add, "--tenant", bad)...), ExitFailure, apperr.InvalidInput)
	}
	if ds := w.directories(); len(ds) != 0 {
		t.Fatalf("a refused tenant stored %+v", ds)
	}
	const guid = "8F1C2D3E-0A4B-4C5D-9E6F-7A8B9C0D1E2F"
	r := w.run(keys, nil, append(add, "--tenant", " "+guid+" ")...)
	var d backend.Directory
	r.doc(t, "directory", &d)
	if r.code != 0 || d.SignInTenant != strings.ToLower(guid) {
		t.Fatalf("add --tenant: %+v\n%s", d, r.all())
	}
	t.Cleanup(func() { w.run("", nil, "directory", "remove", "--directory", d.ID, "--yes") })
	edit := func(args ...string) (backend.Directory, result) {
		r := w.run("", nil, append([]string{"directory", "edit", "--directory", d.ID, "--no-test", "--json"}, args...)...)
		var nd backend.Directory
		if r.code == 0 {
			r.doc(t, "directory", &nd)
		}
		return nd, r
	}
	if nd, r := edit("--name", "Contoso EU"); r.code != 0 || nd.SignInTenant != strings.ToLower(guid) {
		t.Fatalf("edit --name dropped the tenant: %+v\n%s", nd, r.all())
	}
	_, r = edit("--tenant", "common")
	wantRefused(t, r, ExitFailure, apperr.InvalidInput)
	if nd, r := edit("--tenant", "Contoso.OnMicrosoft.com"); r.code != 0 || nd.SignInTenant != "contoso.onmicrosoft.com" {
		t.Fatalf("edit --tenant domain: %+v\n%s", nd, r.all())
	}
	if r := w.run("", nil, "directory", "show", "--directory", d.ID); r.code != 0 || !strings.Contains(r.out, "Sign-in tenant: contoso.onmicrosoft.com") {
		t.Fatalf("show:\n%s", r.all())
	}
	if nd, r := edit("--tenant", ""); r.code != 0 || nd.SignInTenant != "" {
		t.Fatalf("edit --tenant \"\": %+v\n%s", nd, r.all())
	}
}
