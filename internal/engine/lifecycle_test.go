package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// The lifecycle's tests run it on in-memory ports (lifecycle_fakes_test.go): each would fail if
// one of its steps (lock, key proof, prepare, confirmation, rails, record, resume, apply,
// commit, report, close) were dropped.

const lcDir = "lc"

// lcTenant is six users of contoso.com in two groups, everyone in "All".
func lcTenant() *directory.Snapshot {
	s := &directory.Snapshot{
		Tenant:  directory.Tenant{ID: "t-1", DisplayName: "Contoso", InitialDomain: "contoso.onmicrosoft.com", VerifiedDomains: []string{"contoso.com"}},
		Domains: []directory.Domain{{Name: "contoso.com", IsVerified: true, IsDefault: true}},
		Groups:  []directory.Group{{ID: "g1", DisplayName: "All", SecurityEnabled: true}, {ID: "g2", DisplayName: "Admins", SecurityEnabled: true}},
		Members: map[string][]directory.Member{},
	}
	for i := 1; i <= 6; i++ {
		id := fmt.Sprintf("u%d", i)
		s.Users = append(s.Users, directory.User{ID: id, UserPrincipalName: id + "@contoso.com", Mail: id + "@contoso.com",
			GivenName: "User", Surname: id, DisplayName: "User " + id, AccountEnabled: true})
		s.Members["g1"] = append(s.Members["g1"], directory.Member{ID: id, Kind: directory.MemberUser})
	}
	s.Members["g2"] = []directory.Member{{ID: "u1", Kind: directory.MemberUser}, {ID: "u2", Kind: directory.MemberUser}}
	return s
}

type lcEnv struct {
	t    *testing.T
	src  *memSource
	tgt  *memTarget
	st   *memState
	lock *memLock
	home string
	set  Settings
}

func newLC(t *testing.T) *lcEnv {
	s, err := DefaultSettings().Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return &lcEnv{t: t, src: &memSource{snap: lcTenant()}, tgt: newMemTarget(), st: newMemState(), lock: &memLock{}, home: t.TempDir(), set: s}
}

// engine is a new engine per run, as every caller builds one.
func (l *lcEnv) engine() *Engine {
	return &Engine{DirectoryID: lcDir, Source: l.src, Target: l.tgt, State: l.st, SnapshotDir: l.home + "/snapshots"}
}

var lcConfirm = Confirmation{TenantID: "t-1", Domains: []string{"Contoso.com"}}

func (l *lcEnv) spec(c Confirmation) RunSpec {
	return RunSpec{PreviewSpec: PreviewSpec{DirectoryName: "LC", Settings: l.set, AppVersion: "test", Reports: ReportFiles{Dir: l.home + "/reports"}},
		Confirm: c, Purpose: "test", Lock: l.lock}
}

func (l *lcEnv) run(ctx context.Context, s RunSpec) (*RunResult, error) {
	l.t.Helper()
	res, err := l.engine().Run(ctx, s)
	if res == nil {
		l.t.Fatal("Run returned no result")
	}
	if l.lock.held {
		l.t.Fatal("the run left the directory locked")
	}
	return res, err
}

// record is the run row the state holds, which must exist.
func (l *lcEnv) record(id string) Run {
	l.t.Helper()
	r, ok := l.st.runs[id]
	if !ok || id == "" {
		l.t.Fatalf("run %q was not recorded (runs: %v)", id, l.st.runs)
	}
	return r
}

// readReport decodes the report file a run row names: it must be there, complete.
func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	if path == "" {
		t.Fatal("no report path")
	}
	if _, err := os.Stat(path + ".tmp"); err == nil {
		t.Errorf("%s.tmp left behind", path)
	}
	r, _, err := report.DecodeFile(path, report.DefaultLimits, report.Visitor{})
	if err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	return r
}

func TestRunLocksProvesPreparesAppliesCommitsAndRecords(t *testing.T) {
	ctx := context.Background()
	l := newLC(t)
	res, err := l.run(ctx, l.spec(lcConfirm))
	if err != nil {
		t.Fatal(err)
	}
	if l.lock.taken != 1 || l.lock.released != 1 {
		t.Errorf("lock taken %d, released %d: want once each", l.lock.taken, l.lock.released)
	}
	if l.tgt.verified != 1 {
		t.Errorf("the key was proved %d times, want once", l.tgt.verified)
	}
	if res.Outcome == nil || res.Outcome.Status != report.StatusSucceeded {
		t.Fatalf("outcome %+v", res.Outcome)
	}
	if len(l.tgt.users) != 6 || len(l.tgt.groups) != 2 {
		t.Fatalf("Atlassian has %d users and %d groups, want 6 and 2", len(l.tgt.users), len(l.tgt.groups))
	}
	// The preview the run prepared is recorded as a preview, with its report.
	if res.Preview == nil || res.Preview.Plan != res.Plan {
		t.Fatalf("preview %+v", res.Preview)
	}
	pr := l.record(res.Preview.RunID)
	if pr.Kind != "preview" || pr.Status != string(report.StatusPlanned) || pr.ReportPath != res.Preview.ReportPath {
		t.Errorf("preview run %+v", pr)
	}
	if rep := readReport(t, pr.ReportPath); rep.Kind != report.KindPreview || rep.RunID != pr.ID {
		t.Errorf("preview report %s %s", rep.Kind, rep.RunID)
	}
	// The apply is recorded with its counts, its end and its report.
	ar := l.record(res.RunID)
	if ar.Kind != "apply" || ar.Status != string(report.StatusSucceeded) || ar.Ended.IsZero() || !strings.Contains(ar.Counts, "succeeded") ||
		ar.ReportPath != res.ReportPath || ar.PID != os.Getpid() {
		t.Errorf("apply run %+v", ar)
	}
	rep := readReport(t, ar.ReportPath)
	if rep.Status != report.StatusSucceeded || rep.Confirmed.TenantID != "t-1" || rep.Confirmed.PlanDigest != res.Plan.Digest || rep.AppVersion != "test" {
		t.Errorf("apply report: status %s, confirmed %+v", rep.Status, rep.Confirmed)
	}
	// Every journaled unit ran.
	if pend, _ := l.st.Journal(ctx, res.RunID, JournalPending); len(pend) != 0 || len(l.st.journal[res.RunID]) == 0 {
		t.Errorf("journal: %d entries, %d pending", len(l.st.journal[res.RunID]), len(pend))
	}
	// Committed: the next run continues from the delta links, and proves the key again.
	if l.st.delta == nil || l.st.delta.UsersLink != l.src.handed.Users {
		t.Fatalf("delta state after a clean run: %+v", l.st.delta)
	}
	next, err := l.run(ctx, l.spec(lcConfirm))
	if err != nil {
		t.Fatal(err)
	}
	if next.Plan.Full || next.Plan.Len() != 0 || next.Outcome.Status != report.StatusSucceeded {
		t.Errorf("the run after a clean one: full %v, %d operations, %s", next.Plan.Full, next.Plan.Len(), next.Outcome.Status)
	}
	if l.tgt.verified != 2 {
		t.Errorf("the key was proved %d times in two runs", l.tgt.verified)
	}
}

func TestRunRefusesAConfirmationThatDoesNotMatch(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]Confirmation{
		"other tenant":  {TenantID: "t-2", Domains: lcConfirm.Domains},
		"other domains": {TenantID: "t-1", Domains: []string{"contoso.com", "fabrikam.com"}},
	} {
		t.Run(name, func(t *testing.T) {
			l := newLC(t)
			res, err := l.run(ctx, l.spec(c))
			if apperr.CodeOf(err) != apperr.ConfirmationRequired {
				t.Fatalf("err %v, want confirmation_required", err)
			}
			if l.tgt.writes != 0 || res.Outcome != nil {
				t.Fatalf("%d writes after a refused confirmation", l.tgt.writes)
			}
			// Refused after its own read: recorded as a blocked apply, with a report saying why.
			r := l.record(res.RunID)
			if !res.Blocked || r.Kind != "apply" || r.Status != string(report.StatusBlocked) || r.ErrorCode != string(apperr.ConfirmationRequired) {
				t.Fatalf("blocked run %+v", r)
			}
			if rep := readReport(t, r.ReportPath); rep.Status != report.StatusBlocked || len(rep.Errors) == 0 {
				t.Fatalf("blocked report: %s %+v", rep.Status, rep.Errors)
			}
		})
	}
	t.Run("previewed plan", func(t *testing.T) {
		l := newLC(t)
		pv, err := l.engine().Preview(ctx, l.spec(lcConfirm).PreviewSpec)
		if err != nil {
			t.Fatal(err)
		}
		for _, digest := range []string{"", "not-the-digest"} {
			s := l.spec(lcConfirm)
			s.Plan, s.Confirm.PlanDigest = pv.Plan, digest
			res, err := l.run(ctx, s)
			if apperr.CodeOf(err) != apperr.ConfirmationRequired || res.RunID != "" {
				t.Fatalf("digest %q: err %v, run %q", digest, err, res.RunID)
			}
		}
		// An answer to the dialog, not a run: nothing locked, read, written or recorded.
		if l.lock.taken != 0 || l.tgt.writes != 0 || len(l.st.runs) != 1 {
			t.Fatalf("lock taken %d, %d writes, %d runs", l.lock.taken, l.tgt.writes, len(l.st.runs))
		}
		s := l.spec(lcConfirm)
		s.Plan, s.Confirm.PlanDigest = pv.Plan, pv.Plan.Digest
		res, err := l.run(ctx, s)
		if err != nil || res.Outcome.Status != report.StatusSucceeded {
			t.Fatalf("the confirmed plan: %v", err)
		}
		if l.src.reads != 1 || res.Preview != nil {
			t.Fatalf("a previewed plan was read again (%d reads)", l.src.reads)
		}
	})
}

func TestRunCancelRecordsCanceledWithDoneAndNotDone(t *testing.T) {
	l := newLC(t)
	l.set.Concurrency = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := l.spec(lcConfirm)
	s.Hook = func(seq int) {
		if seq == 4 {
			cancel()
		}
	}
	res, err := l.run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome.Status != report.StatusCanceled {
		t.Fatalf("status %s, want canceled", res.Outcome.Status)
	}
	// The row is written although the run's context is canceled.
	r := l.record(res.RunID)
	rep := readReport(t, r.ReportPath)
	if r.Status != string(report.StatusCanceled) || rep.Status != report.StatusCanceled {
		t.Fatalf("run %s, report %s", r.Status, rep.Status)
	}
	done, notDone := 0, 0
	for _, c := range rep.Counts {
		switch c.Result {
		case report.ResultSucceeded:
			done += c.N
		case report.ResultPlanned:
			notDone += c.N
		}
	}
	if done == 0 || notDone == 0 || done+notDone != res.Plan.Len() {
		t.Fatalf("done %d + not done %d of %d operations", done, notDone, res.Plan.Len())
	}
	if l.st.delta != nil {
		t.Fatal("a canceled run committed its delta links")
	}
	// The next run finishes what was not done.
	next, err := l.run(context.Background(), l.spec(lcConfirm))
	if err != nil || next.Outcome.Status != report.StatusSucceeded || !next.Plan.Full || next.Plan.Len() != notDone {
		t.Fatalf("the run after the cancel: %v, full %v, %d operations for %d not done", err, next.Plan.Full, next.Plan.Len(), notDone)
	}
}

func TestRunResumesTheRunACrashLeftRunning(t *testing.T) {
	ctx := context.Background()
	l := newLC(t)
	l.st.runs["dead"] = Run{ID: "dead", DirectoryID: lcDir, Kind: "apply", Status: string(report.StatusRunning), Started: time.Now().Add(-time.Hour), PID: 4242, Host: "h"}
	_ = l.st.JournalAdd(ctx, "dead", slices.Values([]JournalEntry{{Seq: 1, State: JournalPending}, {Seq: 2, State: JournalPending}, {Seq: 3, State: JournalDone}}))
	res, err := l.run(ctx, l.spec(lcConfirm))
	if err != nil {
		t.Fatal(err)
	}
	dead := l.record("dead")
	if dead.Status != string(report.StatusFailed) || dead.ErrorCode != "interrupted" || !strings.Contains(dead.ErrorMessage, res.RunID) {
		t.Fatalf("the crashed run after the next one: %+v", dead)
	}
	for _, e := range l.st.journal["dead"] {
		want := JournalFailed
		if e.Seq == 3 {
			want = JournalDone
		}
		if e.State != want || e.Seq != 3 && !strings.Contains(e.Result, "reconciled by run "+res.RunID) {
			t.Errorf("entry %d: %s %s", e.Seq, e.State, e.Result)
		}
	}
	if runs, _ := l.st.Runs(ctx, lcDir, string(report.StatusRunning), 10); len(runs) != 0 {
		t.Fatalf("%d runs left running", len(runs))
	}
}

func TestRunWritesTheReportWhenItFails(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		fail func(l *lcEnv)
		code apperr.Code
		// after says whether the step after the failing one ran (it must not).
		after func(l *lcEnv, res *RunResult) bool
		// failed is the run recorded as failed: the preview when the apply never started.
		failed func(res *RunResult) string
		kind   string
	}{
		{"the read", func(l *lcEnv) { l.src.err = apperr.New(apperr.GraphUnavailable, "Graph is down") }, apperr.GraphUnavailable,
			func(_ *lcEnv, res *RunResult) bool { return res.RunID != "" }, // an apply run
			func(res *RunResult) string { return res.Preview.RunID }, "preview"},
		{"the key", func(l *lcEnv) { l.tgt.verifyErr = apperr.New(apperr.AtlassianUnauthorized, "the key is wrong") }, apperr.AtlassianUnauthorized,
			func(l *lcEnv, _ *RunResult) bool { return l.src.reads != 0 }, // the key is proved before anything is read
			func(res *RunResult) string { return res.Preview.RunID }, "preview"},
		{"the apply", func(l *lcEnv) { l.st.journalErr = apperr.New(apperr.StoreCorrupt, "the journal cannot be written") }, apperr.StoreCorrupt,
			func(l *lcEnv, _ *RunResult) bool { return l.tgt.writes != 0 },
			func(res *RunResult) string { return res.RunID }, "apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLC(t)
			tc.fail(l)
			res, err := l.run(ctx, l.spec(lcConfirm))
			if apperr.CodeOf(err) != tc.code {
				t.Fatalf("err %v, want %s", err, tc.code)
			}
			if tc.after(l, res) {
				t.Fatalf("the step after the failure ran: %d reads, %d writes, apply run %q", l.src.reads, l.tgt.writes, res.RunID)
			}
			r := l.record(tc.failed(res))
			if r.Kind != tc.kind || r.Status != string(report.StatusFailed) || r.ErrorCode != string(tc.code) || r.Ended.IsZero() {
				t.Fatalf("%s run %+v", tc.kind, r)
			}
			if rep := readReport(t, r.ReportPath); rep.Status != report.StatusFailed || len(rep.Errors) == 0 || rep.Errors[0].Code != string(tc.code) {
				t.Fatalf("report %s %+v", rep.Status, rep.Errors)
			}
		})
	}
}

func TestRunStopsAtTheLockThePinAndTheRails(t *testing.T) {
	ctx := context.Background()
	t.Run("lock", func(t *testing.T) {
		l := newLC(t)
		release, _ := l.lock.TryLock(ctx, lcDir, "other")
		_, err := l.engine().Run(ctx, l.spec(lcConfirm))
		release()
		if apperr.CodeOf(err) != apperr.SyncLocked || l.src.reads != 0 || len(l.st.runs) != 0 {
			t.Fatalf("err %v, %d reads, %d runs: a locked directory is neither read nor recorded", err, l.src.reads, len(l.st.runs))
		}
	})
	t.Run("pin", func(t *testing.T) {
		l := newLC(t)
		s := l.spec(lcConfirm)
		s.Pin = TenantPin{TenantID: "t-0", TenantName: "Fabrikam"}
		res, err := l.run(ctx, s)
		if apperr.CodeOf(err) != apperr.TenantMismatch || l.tgt.writes != 0 || res.RunID != "" {
			t.Fatalf("err %v, %d writes", err, l.tgt.writes)
		}
	})
	t.Run("rails", func(t *testing.T) {
		l := newLC(t)
		if _, err := l.run(ctx, l.spec(lcConfirm)); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			l.src.snap.Users[i].AccountEnabled = false
		}
		l.set.DeactivationMaxCount, l.set.DeactivationMaxPercent = 2, 0
		writes := l.tgt.writes
		res, err := l.run(ctx, l.spec(lcConfirm))
		if apperr.CodeOf(err) != apperr.ThresholdExceeded || l.tgt.writes != writes {
			t.Fatalf("err %v, %d writes past the threshold", err, l.tgt.writes-writes)
		}
		if r := l.record(res.RunID); !res.Blocked || r.Status != string(report.StatusBlocked) || readReport(t, r.ReportPath).Status != report.StatusBlocked {
			t.Fatalf("blocked run %+v", r)
		}
		s := l.spec(lcConfirm)
		s.Overrides.Threshold = true
		if res, err := l.run(ctx, s); err != nil || res.Outcome.Status != report.StatusSucceeded || l.tgt.writes == writes {
			t.Fatalf("with the override: %v", err)
		}
	})
}
