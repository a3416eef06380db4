package app

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/report"
)

// screensUI stands in for the Wails runtime: it records events and answers the file dialogs.
type screensUI struct {
	mu       sync.Mutex
	events   map[string]int
	openPath string
	savePath string
	folder   string
}

func (f *screensUI) Emit(event string, _ any) {
	f.mu.Lock()
	f.events[event]++
	f.mu.Unlock()
}
func (f *screensUI) OpenFile(FileDialog) (string, error) { return f.openPath, nil }
func (f *screensUI) SaveFile(FileDialog) (string, error) { return f.savePath, nil }
func (f *screensUI) OpenURL(string) error                { return nil }
func (f *screensUI) ChooseFolder(FileDialog) (string, error) {
	return f.folder, nil
}

func (f *screensUI) count(event string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events[event]
}

// must unwraps a bound call's (result, error); the test's deferred failOnPanic reports the error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(mustError{err})
	}
	return v
}

type mustError struct{ err error }

func failOnPanic(t *testing.T) {
	if r := recover(); r != nil {
		if e, ok := r.(mustError); ok {
			t.Fatalf("unexpected error: %v (code %s)", e.err, apperr.CodeOf(e.err))
		}
		panic(r)
	}
}

// TestScreensOnTheDemo drives the services the way the screens do, against the real backend on
// the demo emulators: add a directory, test the connection (and a wrong key), sign in, read the
// tenant, domains and groups, choose specific domains and groups, preview, decide the conflicts,
// apply with the dialog's confirmation, then history, troubleshooting and the report view.
func TestScreensOnTheDemo(t *testing.T) {
	defer failOnPanic(t)
	home := t.TempDir()
	s := New(demoOptions(home, false))
	ui := &screensUI{events: map[string]int{}}
	s.env.attach(ui)
	defer s.core.close()
	ds, ss, rs := s.Directories, s.Sync, s.Reports

	if l := must(ds.List()); len(l) != 0 {
		t.Fatalf("a fresh demo lists %d directories", len(l))
	}
	demo := must(ds.DemoDefaults())
	if !demo.Demo || demo.SCIMAPIKey == "" || len(demo.ConflictGroups) != 2 {
		t.Fatalf("demo defaults %+v", demo)
	}
	in := backend.DirectoryInput{Name: "Contoso <b>", Cloud: "global", ClientID: demo.ClientID, SCIMBaseURL: demo.SCIMBaseURL,
		SCIMAPIKey: demo.SCIMAPIKey, OrgID: demo.OrgID, OrgAPIKey: demo.OrgAPIKey, AllowCustomHost: true}

	// Test connection: every part passes; a wrong key fails its part only, with its code.
	rep := must(ds.TestConnection("", in))
	if !rep.OK() || rep.UserCount < 1 {
		t.Fatalf("connection %+v", rep)
	}
	bad := in
	bad.SCIMAPIKey = "wrong"
	rep = must(ds.TestConnection("", bad))
	if !rep.SCIMURL.OK || rep.SCIMKey.OK || rep.SCIMKey.Code != apperr.AtlassianUnauthorized {
		t.Fatalf("wrong key: %+v", rep)
	}

	d := must(ds.Create(in))
	if _, err := ds.Create(in); apperr.CodeOf(err) == "" {
		t.Fatal("a second directory with the same name was accepted")
	}
	if a := must(ds.Account(d.ID)); a != nil {
		t.Fatalf("signed in before signing in: %+v", a)
	}
	acct := must(ds.SignIn(d.ID))
	if acct.Username == "" {
		t.Fatal("no account after sign-in")
	}
	card := must(ds.Tenant(d.ID))
	if card.ID == "" || card.Mismatch {
		t.Fatalf("tenant card %+v", card)
	}
	doms := must(ds.Domains(d.ID))
	var chosen []string
	for _, dm := range doms {
		if dm.Selectable {
			chosen = append(chosen, dm.Name)
		}
	}
	if len(chosen) == 0 {
		t.Fatalf("no selectable domain in %+v", doms)
	}
	// The picker: the top level, then a search for each conflict group.
	top := must(ds.Groups(d.ID, backend.GroupQuery{}))
	if top.Total == 0 {
		t.Fatal("no groups")
	}
	var groups []string
	for _, name := range demo.ConflictGroups {
		page := must(ds.Groups(d.ID, backend.GroupQuery{Search: name}))
		i := slices.IndexFunc(page.Groups, func(g backend.GroupNode) bool { return g.DisplayName == name })
		if i < 0 {
			t.Fatalf("search %q found %+v", name, page.Groups)
		}
		groups = append(groups, page.Groups[i].ID)
	}
	set := must(ds.SyncSettings(d.ID))
	set.DomainMode, set.Domains, set.UserMode, set.Groups = "specific", chosen, "groups", groups
	must(ds.SaveSettings(d.ID, set))

	plan := must(ss.Preview(d.ID, false))
	if len(plan.Conflicts) != 2 {
		t.Fatalf("want the 2 demo conflicts, got %+v", plan.Conflicts)
	}
	plan = must(ss.DecideConflict(plan.PlanID, plan.Conflicts[0].GroupEntraID, "take_over"))
	plan = must(ss.DecideConflict(plan.PlanID, plan.Conflicts[1].GroupEntraID, "skip"))
	// The preview's operations are paged as a report's: one model for both screens.
	ph := must(rs.OpenRun(plan.RunID))
	ops := must(rs.Operations(ph.ID, report.Query{Actions: []report.Action{report.AddMember, report.RemoveMember}, Limit: 5}))
	if ops.Total == 0 || len(ops.Rows[0].Chain) == 0 || ops.Rows[0].Group == nil {
		t.Fatalf("memberships without chains: %+v", ops)
	}
	if ph.Summary.Kind != report.KindPreview || ph.Summary.Operations != plan.Operations || ph.Summary.Skips != plan.Skips {
		t.Fatalf("the preview's report disagrees with the plan: %+v vs %d ops, %d skips", ph.Summary, plan.Operations, plan.Skips)
	}

	// Apply answers within its wait (1.5 s in the app) or says the sync started; both calls here
	// must answer, the refused one too: with the app's wait a loaded machine that took longer to
	// refuse it turned the refusal into "started" and a nil error. 2 minutes is a safety net only.
	ss.wait = 2 * time.Minute
	// The dialog's confirmation must name the exact domains: one missing is refused.
	c := backend.Confirmation{TenantID: plan.TenantID, Domains: plan.Domains, PlanDigest: plan.Digest}
	short := c
	short.Domains = nil
	if _, err := ss.Apply(d.ID, plan.PlanID, short); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("an unconfirmed domain set: %v", err)
	}
	res := must(ss.Apply(d.ID, plan.PlanID, c))
	if res.Started || res.Run == nil || res.Run.Status != "succeeded" {
		t.Fatalf("apply %+v", res)
	}
	run := *res.Run
	if ui.count(EventApplied) != 2 { // the refused one and this one
		t.Fatalf("sync:applied emitted %d times", ui.count(EventApplied))
	}
	if ui.count(backend.EventProgress) == 0 || ui.count(backend.EventRunDone) == 0 {
		t.Fatalf("events %+v", ui.events)
	}
	if d = must(ds.Get(d.ID)); d.SyncedUsers == 0 || d.SyncedDomains != len(plan.Domains) || d.LastRun == nil {
		t.Fatalf("overview after the sync %+v", d)
	}
	hist := must(ss.History("", 0))
	if len(hist) < 2 || hist[0].Run.Kind != "apply" || hist[0].DirectoryName != in.Name {
		t.Fatalf("history %+v", hist)
	}
	if _, err := ss.Troubleshooting(d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Cancel(d.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("cancel with nothing running: %v", err)
	}

	// The report view: the run, its operations, a comparison with the preview, an export, a file.
	h := must(rs.OpenRun(run.RunID))
	if h.Summary.Kind != report.KindApply || h.Summary.Operations == 0 {
		t.Fatalf("summary %+v", h.Summary)
	}
	page := must(rs.Operations(h.ID, report.Query{Results: []report.Result{report.ResultSucceeded}, Limit: 3}))
	if page.Total == 0 || len(page.Rows) != 3 {
		t.Fatalf("page %+v", page)
	}
	prev := must(rs.OpenRun(hist[len(hist)-1].Run.RunID))
	cmp := must(rs.Compare(prev.ID, h.ID))
	if cmp.Diff == nil || !cmp.Diff.SameTenant {
		t.Fatalf("comparison %+v", cmp)
	}
	ui.savePath = filepath.Join(t.TempDir(), "run.html")
	out := must(rs.Export(h.ID, ExportRequest{Format: "html", Pseudonymize: true}))
	if len(out.Files) != 1 {
		t.Fatalf("export %+v", out)
	}
	// CSV goes into the folder the admin chose, not into a folder named after a file name.
	ui.folder = t.TempDir()
	ui.savePath = filepath.Join(t.TempDir(), "should-not-be-used.csv")
	csvOut := must(rs.Export(h.ID, ExportRequest{Format: "csv"}))
	if len(csvOut.Files) != 2 || filepath.Dir(csvOut.Files[0]) != ui.folder || filepath.Dir(csvOut.Files[1]) != ui.folder {
		t.Fatalf("CSV export wrote %v, want operations.csv and skips.csv in %s", csvOut.Files, ui.folder)
	}
	if _, err := os.Stat(ui.savePath); err == nil {
		t.Fatal("CSV export made a folder of the save dialog's file name")
	}
	ui.openPath = out.Files[0]
	fromFile := must(rs.OpenFile())
	if fromFile.Summary.Source == nil || fromFile.Summary.Source.Format != report.FormatHTML || !fromFile.Summary.Pseudonymized {
		t.Fatalf("opened export %+v", fromFile.Summary)
	}
	ui.openPath = ""
	if h := must(rs.OpenFile()); h.ID != "" {
		t.Fatal("a cancelled dialog opened a report")
	}
	junk := filepath.Join(t.TempDir(), "junk.json")
	if err := os.WriteFile(junk, []byte(`{"not":"a report"`), 0o600); err != nil {
		t.Fatal(err)
	}
	ui.openPath = junk
	if _, err := rs.OpenFile(); apperr.CodeOf(err) == "" || apperr.CodeOf(err) == apperr.Internal {
		t.Fatalf("a broken file: %v", err)
	}
	// Older reports are forgotten beyond the bound; a forgotten handle says so.
	for range maxOpenReports {
		must(rs.OpenRun(run.RunID))
	}
	if _, err := rs.Operations(h.ID, report.Query{}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("an evicted report: %v", err)
	}

	must(ds.Disconnect(d.ID))
	if l := must(ds.List()); len(l) != 0 {
		t.Fatalf("still listed after disconnect: %+v", l)
	}
}

// TestCancelSignInWithoutOne: cancelling when no sign-in waits is harmless and says so.
func TestCancelSignInWithoutOne(t *testing.T) {
	defer failOnPanic(t)
	s := New(Options{})
	if r := must(s.Directories.CancelSignIn("nope")); r.OK {
		t.Fatal("cancelled a sign-in that was not running")
	}
}
