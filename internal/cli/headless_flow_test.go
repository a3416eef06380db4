package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// setUp adds the emulated directory and signs in with the device code, as README shows.
func (w *world) setUp(name string) backend.Directory {
	w.t.Helper()
	e := w.env
	r := w.run(e.Atlassian.APIKey()+"\n"+e.Atlassian.OrgAPIKey()+"\n", nil, append(w.addArgs(name), "--scim-key-stdin", "--org-key-stdin", "--json")...)
	if r.code != 0 {
		w.t.Fatalf("add: %s", r.all())
	}
	var d backend.Directory
	r.doc(w.t, "directory", &d)
	w.t.Cleanup(func() { w.run("", nil, "directory", "remove", "--directory", d.ID, "--yes") })
	if r := w.signIn(name); r.code != 0 || !strings.Contains(r.out, "Signed in as admin@") {
		w.t.Fatalf("signin: %s", r.all())
	}
	return d
}

// Issue 16 points 2–4 and 7: from a terminal only, a directory is signed in with a device code,
// its settings read and changed, its conflict decided, previewed and synced, each with one JSON
// document; the stored endpoints are the only way the commands know the emulators.
func TestIssue16_02_HeadlessSetupSettingsConflictsAndSync(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	name := "Fabrikam"
	w.setUp(name)

	// settings get / set: the document get prints, changed, goes back; bad documents change nothing.
	r := w.run("", nil, "settings", "get", "--directory", name)
	var s backend.Settings
	r.doc(t, "settings", &s)
	if r.code != 0 || s.DomainMode != "all" || s.AutoIntervalMinutes != 240 {
		t.Fatalf("settings get: %+v\n%s", s, r.all())
	}
	before := r.out
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"autoSync": true, "autoIntervalMinutes": 3`), 0o600)
	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"malformed file", "", []string{"--file", bad}},
		{"missing file", "", []string{"--file", filepath.Join(t.TempDir(), "none.json")}},
		{"unknown field", `{"autoSinc": true}`, nil},
		{"interval under 5 minutes", `{"autoIntervalMinutes": 3}`, nil},
		{"specific domains without one", `{"domainMode": "specific", "domains": []}`, nil},
		{"wrong kind", `{"version":1,"kind":"directory","directory":{}}`, nil},
		{"empty", "", nil},
		{"two documents", `{"autoSync":true} {"autoSync":false}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.run(tc.stdin, nil, append([]string{"settings", "set", "--directory", name}, tc.args...)...)
			wantRefused(t, r, ExitFailure, apperr.InvalidInput)
			var e backend.ErrorDTO
			r.doc(t, "error", &e)
			if e.Code != string(apperr.InvalidInput) {
				t.Fatalf("error document %+v", e)
			}
			if after := w.run("", nil, "settings", "get", "--directory", name); after.out != before {
				t.Fatalf("a refused set changed the settings:\n%s", after.out)
			}
		})
	}
	// The wrapped document with one change: only that field changes.
	doc := strings.Replace(before, `"deactivationMaxCount": 50`, `"deactivationMaxCount": 7`, 1)
	r = w.run(doc, nil, "settings", "set", "--directory", name)
	var s2 backend.Settings
	r.doc(t, "settings", &s2)
	if r.code != 0 || s2.DeactivationMaxCount != 7 || s2.DeactivationMaxPercent != s.DeactivationMaxPercent || s2.AutoIntervalMinutes != 240 {
		t.Fatalf("settings set: %+v\n%s", s2, r.all())
	}

	// conflicts: the demo organization holds an unmanaged group named like an Entra group.
	r = w.run("", nil, "conflicts", "list", "--directory", name, "--json")
	var cs []backend.Conflict
	r.doc(t, "conflicts", &cs)
	if r.code != 0 || len(cs) != 1 || cs[0].DisplayName != w.env.ConflictGroup || cs[0].Decision != "" {
		t.Fatalf("conflicts list: %+v\n%s", cs, r.all())
	}
	// Until it is decided the plan holds it, in words and in JSON.
	r = w.run("", nil, "plan", "--directory", name)
	if r.code != 0 || !strings.Contains(r.out, "Conflict: Atlassian group \""+w.env.ConflictGroup+"\" is not managed by IdP Sync: held") {
		t.Fatalf("plan before the decision:\n%s", r.all())
	}
	r = w.run("", nil, "plan", "--directory", name, "--json")
	var p backend.PlanSummary
	r.doc(t, "plan", &p)
	if r.code != 0 || len(p.Conflicts) != 1 || p.Conflicts[0].Decision != "" {
		t.Fatalf("plan before the decision: %+v\n%s", p.Conflicts, r.all())
	}
	wantRefused(t, w.run("", nil, "conflicts", "decide", "--directory", name, "--group", "no such group", "--skip"), ExitFailure, apperr.NotFound)
	if r := w.run("", nil, "conflicts", "decide", "--directory", name, "--group", w.env.ConflictGroup, "--skip", "--take-over"); r.code != ExitUsage {
		t.Fatalf("two decisions: %s", r.all())
	}
	r = w.run("", nil, "conflicts", "decide", "--directory", name, "--group", strings.ToUpper(w.env.ConflictGroup), "--take-over", "--json")
	var c backend.Conflict
	r.doc(t, "conflict", &c)
	if r.code != 0 || c.Decision != "take_over" || c.DisplayName != w.env.ConflictGroup {
		t.Fatalf("decide: %+v\n%s", c, r.all())
	}

	// plan --json: nothing blocks now; the document carries what the confirmation binds to.
	r = w.run("", nil, "plan", "--directory", name, "--json")
	p = backend.PlanSummary{}
	r.doc(t, "plan", &p)
	if r.code != 0 || len(p.Blocked) != 0 || p.TenantID != w.env.Tenant.ID || len(p.Domains) == 0 || p.Operations == 0 || p.ReportPath == "" {
		t.Fatalf("plan: %+v\n%s", p, r.all())
	}
	if len(w.env.Atlassian.Writes()) != 0 {
		t.Fatalf("plan wrote to Atlassian")
	}
	// --org-url reaches the plan: the organization API it names is the one asked instead of the
	// stored one. Here an HTTPS server with a certificate the child does not trust: the plan
	// stops at once naming it, and the server saw the connection (a closed port, which proved
	// the same, was retried with backoff for 3-4 s).
	other, accepted := emutest.UntrustedTLS(t)
	r = w.run("", nil, "plan", "--directory", name, "--org-url", "https://"+other)
	if r.code != ExitFailure || !strings.Contains(r.errOut, other) || accepted() == 0 {
		t.Fatalf("plan with --org-url on another server (%d connections):\n%s", accepted(), r.all())
	}
	// sync --json with the wrong domains is blocked, writes nothing, and says why in the document.
	r = w.run("", nil, "sync", "--directory", name, "--confirm-tenant", p.TenantID, "--confirm-domains", p.Domains[0], "--json")
	var sd syncDocument
	r.doc(t, "sync", &sd)
	if r.code != ExitFailure || sd.Error == nil || sd.Error.Code != string(apperr.ConfirmationRequired) || sd.Run != nil || len(w.env.Atlassian.Writes()) != 0 {
		t.Fatalf("sync with other domains: %+v\n%s", sd, r.all())
	}
	r = w.run("", nil, "sync", "--directory", name, "--confirm-tenant", p.TenantID, "--confirm-domains", strings.Join(p.Domains, ","), "--json")
	sd = syncDocument{}
	r.doc(t, "sync", &sd)
	if r.code != 0 || sd.Error != nil || sd.Run == nil || sd.Run.Status != "succeeded" || sd.Plan == nil || sd.Plan.Operations != p.Operations {
		t.Fatalf("sync: %+v\n%s", sd, r.all())
	}
	if len(w.env.Atlassian.Writes()) == 0 {
		t.Fatalf("sync wrote nothing")
	}
	// The directory now shows the sync; signout leaves no account.
	r = w.run("", nil, "directory", "show", "--directory", name, "--json")
	var d backend.Directory
	r.doc(t, "directory", &d)
	if d.LastRun == nil || d.LastRun.Status != "succeeded" || d.TenantID != w.env.Tenant.ID || d.SyncedUsers == 0 {
		t.Fatalf("show after sync: %+v", d)
	}
	if r := w.run("", nil, "signout", "--directory", name); r.code != 0 {
		t.Fatalf("signout: %s", r.all())
	}
	wantRefused(t, w.run("", nil, "plan", "--directory", name), ExitFailure, apperr.AuthRequired)
}
