package backend

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/keychain"
	"github.com/idpsync/idpsync/internal/report"
)

// recorder counts events; apply workers emit progress concurrently, so the count is atomic.
type recorder struct{ n atomic.Int64 }

func (r *recorder) Emit(string, any) { r.n.Add(1) }

func TestDemoSyncEndToEnd(t *testing.T) {
	t.Parallel() // its own demo world and home; it waits on the emulators, pacing and fsyncs
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	em := &recorder{}
	env, b, d := openDemo(ctx, t, 120, 15, t.TempDir(), em)
	if d.Account == "" || !d.HasSCIMKey {
		t.Fatalf("demo directory not signed in: %+v", d)
	}
	_, plan, err := b.Headless(ctx, d.ID, HeadlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan: %d ops, %d skips, domains %v, conflicts %d", plan.Operations, plan.Skips, plan.Domains, len(plan.Conflicts))
	if plan.Operations == 0 || plan.ReportPath == "" {
		t.Fatalf("empty plan %+v", plan)
	}
	// A changed domain set is refused before anything is written.
	_, _, err = b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains[:len(plan.Domains)-1]})
	if apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("want confirmation_required, got %v", err)
	}
	if n := len(env.Atlassian.Writes()); n != 0 {
		t.Fatalf("%d writes after a refused confirmation", n)
	}
	run, _, err := b.Headless(ctx, d.ID, HeadlessOptions{Apply: true, ConfirmTenant: plan.TenantID, ConfirmDomains: plan.Domains})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "succeeded" {
		t.Fatalf("run %+v", run)
	}
	_, again, err := b.Headless(ctx, d.ID, HeadlessOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	// Only the held conflict remains.
	if again.Operations != len(again.Conflicts) {
		v, _ := b.OpenReport(ctx, again.RunID)
		t.Fatalf("second full run plans %d ops: %+v", again.Operations, v.Operations(report.Query{}).Rows)
	}
	if em.n.Load() == 0 {
		t.Fatal("no progress events")
	}
}

func TestBackendRails(t *testing.T) {
	t.Parallel() // its own demo world and home; it waits on the emulators, pacing and fsyncs
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	env, b, d := openDemo(ctx, t, 80, 10, home, nil)
	doms, err := b.Domains(ctx, d.ID)
	if err != nil || len(doms) == 0 {
		t.Fatalf("domains %v %v", doms, err)
	}
	claimed := false
	for _, dm := range doms {
		claimed = claimed || dm.AtlassianStatus == "verified"
	}
	if !claimed {
		t.Fatalf("no Atlassian claim status beside the domains: %+v", doms)
	}
	page, err := b.Groups(ctx, d.ID, GroupQuery{})
	if err != nil || page.Total == 0 {
		t.Fatalf("group picker: %+v %v", page, err)
	}

	p, ops := previewPage(ctx, t, b, d.ID, report.Query{Actions: []report.Action{report.AddMember}, Limit: 5})
	if ops.Total != sumCounts(p.Counts, report.AddMember) || len(ops.Rows) != 5 || len(ops.Rows[0].Chain) == 0 || ops.Rows[0].Result != report.ResultPlanned {
		t.Fatalf("paged operations: %+v", ops)
	}
	// The confirmation binds tenant, domains and digest.
	for _, c := range []Confirmation{{TenantID: p.TenantID, Domains: p.Domains}, {TenantID: p.TenantID, Domains: p.Domains, PlanDigest: "bad"},
		{TenantID: "other", Domains: p.Domains, PlanDigest: p.Digest}} {
		if _, err := b.Apply(ctx, p.PlanID, c); apperr.CodeOf(err) != apperr.ConfirmationRequired {
			t.Fatalf("%+v: want confirmation_required, got %v", c, err)
		}
	}
	// A second sync of the directory (another process's lock) is refused with the holder named.
	other, err := Open(ctx, demoOptions(env, home, nil))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := other.Store().LockDirectory(ctx, d.ID, "headless sync")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Apply(ctx, p.PlanID, Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest}); apperr.CodeOf(err) != apperr.SyncLocked {
		t.Fatalf("want sync_locked, got %v", err)
	}
	lock.Unlock()
	other.Close()
	// Decide the conflict, then apply the new plan.
	if len(p.Conflicts) != 1 {
		t.Fatalf("conflicts %+v", p.Conflicts)
	}
	p, err = b.DecideConflict(ctx, p.PlanID, p.Conflicts[0].GroupEntraID, "take_over")
	if err != nil {
		t.Fatal(err)
	}
	run, err := b.Apply(ctx, p.PlanID, Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest})
	if err != nil || run.Status != "succeeded" {
		t.Fatalf("apply: %+v %v", run, err)
	}
	if _, err := b.Apply(ctx, p.PlanID, Confirmation{TenantID: p.TenantID, Domains: p.Domains, PlanDigest: p.Digest}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("a plan applies once, got %v", err)
	}
	dir, _ := b.GetDirectory(ctx, d.ID)
	if dir.TenantID != p.TenantID || dir.SyncedUsers == 0 || dir.LastRun == nil {
		t.Fatalf("overview after the sync: %+v", dir)
	}

	// Automatic sync: proceeds while tenant and domains are those confirmed, stops before
	// writing when the domain set changed.
	if _, err := b.AutoSync(ctx, d.ID); err != nil {
		t.Fatalf("automatic sync with the standing confirmation: %v", err)
	}
	if a, err := b.LastAlert(ctx, d.ID); err != nil || a != nil {
		t.Fatalf("a good automatic sync raised an alert: %+v %v", a, err)
	}
	s, _ := b.Settings(ctx, d.ID)
	s.DomainMode, s.Domains = "specific", p.Domains[:1]
	if _, err := b.SaveSettings(ctx, d.ID, s); err != nil {
		t.Fatal(err)
	}
	writes := len(env.Atlassian.Writes())
	if _, err := b.AutoSync(ctx, d.ID); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("want confirmation_required, got %v", err)
	}
	if n := len(env.Atlassian.Writes()); n != writes {
		t.Fatalf("%d writes by a blocked automatic sync", n-writes)
	}
	runs, _ := b.Runs(ctx, d.ID, 5)
	if len(runs) == 0 || runs[0].Status != "blocked" || runs[0].ErrorCode != string(apperr.ConfirmationRequired) {
		t.Fatalf("the blocked run is not recorded: %+v", runs[0])
	}
	// Issue 16 point 6: the app's own automatic sync alerts too, and the overview shows it.
	if dir, _ := b.GetDirectory(ctx, d.ID); dir.LastAlert == nil || dir.LastAlert.Status != "blocked" || dir.LastAlert.Code != string(apperr.ConfirmationRequired) ||
		dir.LastAlert.RunID != runs[0].RunID || dir.LastAlert.ReportPath == "" {
		t.Fatalf("last alert after a blocked automatic sync: %+v", dir.LastAlert)
	}
	if v, err := b.OpenReport(ctx, run.RunID); err != nil {
		t.Fatalf("run operations from the report: %v", err)
	} else {
		v.Close()
	}

	// No secret in the store or the reports.
	for _, secret := range []string{env.Atlassian.APIKey(), env.Atlassian.OrgAPIKey()} {
		if leaked := grepDir(t, home, secret); leaked != "" {
			t.Fatalf("secret found in %s", leaked)
		}
	}
	// Disconnect wipes the keys and everything stored.
	if err := b.Disconnect(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Secrets.Get(ctx, keychain.APIKeyItem(d.ID, keychain.SCIMKey)); err == nil {
		t.Fatal("the SCIM key survived the disconnect")
	}
	if list, _ := b.ListDirectories(ctx); len(list) != 0 {
		t.Fatalf("directories after disconnect: %+v", list)
	}
}

func grepDir(t *testing.T, dir, needle string) string {
	t.Helper()
	found := ""
	_ = filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(data, []byte(needle)) {
			found = path
		}
		return nil
	})
	return found
}

func sumCounts(cs []report.Count, a report.Action) (n int) {
	for _, c := range cs {
		if c.Action == a {
			n += c.N
		}
	}
	return n
}
